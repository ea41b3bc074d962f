"""Drive ``pglint server`` over raw JSON-RPC: print a session transcript, or time it.

    python scripts/lsp_session.py transcript FILE.py   # initialize, didOpen, diagnostics, codeAction
    python scripts/lsp_session.py bench [--lines 2000] [--edits 10] [--where end|middle]

``bench`` opens a generated file of about 2,000 lines, then changes it ``--edits`` times
(a line appended at the end, or a line added inside the function in the middle of the
file), each time waiting for its diagnostics, and prints the time from each didChange to
its publishDiagnostics minus the server's debounce (the check itself plus transport), next
to the same analysis timed in this process: a full ``analyse()`` of the text, and the
incremental one the server runs for an open document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLOCK = '''
def build_{i}(cfg):
    model = nn.Sequential(nn.Linear(cfg.d, cfg.d), nn.LayerNorm(cfg.d))
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [
        {{"params": decay, "weight_decay": 0.1}},
        {{"params": no_decay, "weight_decay": 0.0}},
    ]
    optimizer = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.steps)
    for step in range(cfg.steps):
        loss = model(torch.randn(4, cfg.d)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
    return model, {ret}
'''


def generated(lines: int) -> str:
    head = "import torch\nfrom torch import nn\n"
    blocks, i = [], 0
    while len((head + "".join(blocks)).splitlines()) < lines:
        ret = "torch.optim.SGD(model.parameters, lr=0.1)" if i % 10 == 5 else "optimizer"
        blocks.append(BLOCK.format(i=i, ret=ret))
        i += 1
    return head + "".join(blocks)


class Client:
    def __init__(self, log: bool):
        self.proc = subprocess.Popen([sys.executable, "-m", "pglint", "server"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.log = log
        self.next_id = 0

    def send(self, method: str, params, request: bool = False):
        msg = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            msg["id"] = self.next_id
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        if self.log:
            print("--> " + json.dumps(msg, indent=1))
        return msg.get("id")

    def receive(self) -> dict:
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        msg = json.loads(self.proc.stdout.read(length))
        if self.log:
            print("<-- " + json.dumps(msg, indent=1))
        return msg

    def until(self, pred) -> dict:
        while True:
            msg = self.receive()
            if pred(msg):
                return msg

    def initialize(self, root: Path) -> None:
        rid = self.send("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {
            "textDocument": {"publishDiagnostics": {"relatedInformation": True},
                             "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {
                                 "valueSet": ["quickfix", "source.fixAll"]}}}}}}, request=True)
        self.until(lambda m: m.get("id") == rid)
        self.send("initialized", {})

    def close(self) -> None:
        rid = self.send("shutdown", None, request=True)
        self.until(lambda m: m.get("id") == rid)
        self.send("exit", None)
        self.proc.wait(timeout=10)


def diagnostics_for(uri: str):
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri


def transcript(path: Path) -> None:
    c = Client(log=True)
    c.initialize(path.resolve().parent)
    uri = path.resolve().as_uri()
    c.send("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": path.read_text()}})
    diags = c.until(diagnostics_for(uri))["params"]["diagnostics"]
    if diags:
        rid = c.send("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": diags[0]["range"],
            "context": {"diagnostics": [diags[0]]}}, request=True)
        c.until(lambda m: m.get("id") == rid)
    c.close()


def edited(text: str, i: int, where: str) -> str:
    if where == "end":
        return text + f"\nx = {i}\n"
    mid = text.index("\ndef ", len(text) // 2)  # the last line of the function before
    end = text.rindex("\n", 0, mid)
    return text[:end] + f"\n    x = {i}" + text[end:]


def bench(lines: int, edits: int, where: str = "end") -> None:
    from pglint.lsp.analysis import Projects, analyse
    from pglint.lsp.incremental import Incremental
    from pglint.lsp.server import DEBOUNCE_S

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
        path = root / "big.py"
        text = generated(lines)
        path.write_text(text)
        n = len(text.splitlines())
        # in process: the same analysis the server runs
        projects = Projects()
        analyse(text, path, projects)
        inproc, cpu = [], []
        for i in range(edits):
            t0, c0 = time.perf_counter(), time.process_time()
            a = analyse(edited(text, i, where), path, projects)
            inproc.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        inc = Incremental()
        analyse(text, path, projects, inc)  # didOpen
        incr = []
        for i in range(edits):
            t0 = time.perf_counter()
            b = analyse(edited(text, i, where), path, projects, inc)
            incr.append(time.perf_counter() - t0)
        assert b.findings == a.findings, "the incremental check differs from the full one"

        c = Client(log=False)
        c.initialize(root)
        uri = path.as_uri()
        c.send("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        c.until(diagnostics_for(uri))
        served = []
        for i in range(edits):
            t0 = time.perf_counter()
            c.send("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": i + 2},
                "contentChanges": [{"text": edited(text, i, where)}]})
            got = c.until(diagnostics_for(uri))["params"]["diagnostics"]
            served.append(time.perf_counter() - t0 - DEBOUNCE_S)
        c.close()
    print(f"{n} lines, {len(a.findings)} findings, {len(got)} diagnostics published")
    print(f"in process analyse():          median {statistics.median(inproc) * 1000:.0f} ms, "
          f"max {max(inproc) * 1000:.0f} ms (CPU median {statistics.median(cpu) * 1000:.0f} ms)")
    print(f"in process, incremental:       median {statistics.median(incr) * 1000:.0f} ms, "
          f"max {max(incr) * 1000:.0f} ms")
    print(f"didChange -> publishDiagnostics, minus the {DEBOUNCE_S * 1000:.0f} ms debounce: "
          f"median {statistics.median(served) * 1000:.0f} ms, max {max(served) * 1000:.0f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("transcript")
    t.add_argument("file", type=Path)
    b = sub.add_parser("bench")
    b.add_argument("--lines", type=int, default=2000)
    b.add_argument("--edits", type=int, default=10)
    b.add_argument("--where", choices=("end", "middle"), default="end")
    args = p.parse_args()
    if args.cmd == "transcript":
        transcript(args.file)
    else:
        bench(args.lines, args.edits, args.where)


if __name__ == "__main__":
    main()
