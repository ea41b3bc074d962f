"""Generated optimizer-setup programs and the properties pglint must keep on each.

``program(rng)`` writes a random but valid Python program from a grammar of the
fragments pglint's rules look at: models and parameter sources (called, uncalled,
named, filtered, chained, sets, generators), group dicts with right and misspelt keys
and good and bad values, ``add_param_group``, schedulers, loops, branches, functions,
classes, model changes after the optimizer, ``require_grad`` typos, group-key reads,
and odd whitespace (tabs, form feeds, U+2028 and friends in comments and strings,
CRLF, no final newline).  ``rng`` is anything with ``random.Random``'s ``random``,
``choice`` and ``randint`` (hypothesis' ``st.randoms()`` in the test, a seeded
``random.Random`` in ``scripts/fuzz.py``).

``problems(source, workdir)`` checks one program and returns what went wrong (empty:
nothing): no internal error or traceback, exit code in {0, 1, 2}; each fix edit starts
and ends on a token boundary of Python's own tokenizer; ``--fix`` / ``--unsafe-fixes``
output compiles, changes only bytes inside the edits' ranges, leaves no finding whose
fix applies, and a second run changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import tokenize
from pathlib import Path

# -- the grammar ---------------------------------------------------------------------------
MODULES = ["model", "encoder", "head", "model.head", "model.encoder", "self", "net"]
OPTIMIZERS = ["torch.optim.Adam", "torch.optim.AdamW", "torch.optim.SGD", "optim.RMSprop",
              "torch.optim.Adagrad", "AdamW", "optim.SGD", "MyOptimizer"]
KEYS = ["lr", "weight_decay", "momentum", "betas", "eps", "nesterov", "name", "dampening",
        "learning_rate", "weight_decays", "wd", "momentun", "lr_scale", "initial_lr",
        "max_lr", "amsgrad", "foreach", "maximize"]
VALUES = ["1e-3", "0.0", "0.1", "-1", "-0.01", "'0.1'", "(0.9, 0.999)", "[0.9, 0.99]",
          "(0.9,)", "True", "False", "None", "lr", "lr * 10", "float('nan')", "0", "2",
          "base_lr / 3", "cfg.lr", "{'a': 1}"]
ODD = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\t", "é", "模型",
       "\u00a0", "\ufeff", "\r"]
SAFE_IN_COMMENT = [c for c in ODD if c not in ("\r",)]


class Gen:
    def __init__(self, rng) -> None:
        self.rng = rng
        self.vars: list[str] = []  # names bound to parameter collections so far
        self.opts: list[str] = []  # names bound to optimizers so far
        self.depth = 0

    def pick(self, seq):
        return seq[self.rng.randint(0, len(seq) - 1)]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- expressions ----------------------------------------------------------------------
    def module(self) -> str:
        return self.pick(MODULES)

    def source(self) -> str:
        """An expression for some parameters."""
        m = self.module()
        forms = [
            f"{m}.parameters()", f"{m}.parameters", f"{m}.named_parameters()",
            f"list({m}.parameters())", f"[p for p in {m}.parameters() if p.requires_grad]",
            f"filter(lambda p: p.requires_grad, {m}.parameters())",
            f"itertools.chain({m}.parameters(), {self.module()}.parameters())",
            f"{{p for p in {m}.parameters()}}", f"set({m}.parameters())",
            f"(p for n, p in {m}.named_parameters() if 'bias' in n)",
            f"[p for n, p in {m}.named_parameters() if n.endswith('bias')]",
            f"sorted(set({m}.parameters()), key=id)", f"{m}.parameters(recurse=False)",
            f"map(lambda np: np[1], {m}.named_parameters())", f"iter({m}.parameters())",
            f"list({m}.parameters())[:2]", f"tuple({m}.parameters())",
            f"{m}.weight", f"[{m}.weight, {m}.bias]",
        ]
        if self.vars and self.chance(0.5):
            return self.pick(self.vars)
        return self.pick(forms)

    def value(self) -> str:
        return self.pick(VALUES)

    def group(self) -> str:
        keys = [self.pick(KEYS) for _ in range(self.rng.randint(0, 3))]
        if self.chance(0.85):
            keys.insert(self.rng.randint(0, len(keys)), self.pick(["params"] * 6 + ["param",
                                                                   "parmas", "Params"]))
        if self.chance(0.3):  # dict(...) form; keywords must be unique to compile
            uniq = list(dict.fromkeys(keys))
            items = ", ".join(f"{k}={self.source() if k.lower().startswith('par') else self.value()}"
                              for k in uniq)
            return f"dict({items})"
        items = ", ".join(
            f"{self.quote(k)}: {self.source() if k.lower().startswith('par') else self.value()}"
            for k in keys)
        return "{" + items + "}"

    def quote(self, s: str) -> str:
        q = self.pick(["'", '"'])
        if self.chance(0.1):
            s += self.pick(ODD).replace("\r", "").replace("\\", "")
            return repr(s) if "\x0b" in s or "\x0c" in s or "\x85" in s else q + s + q
        return q + s + q

    def optimizer_arg(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.source()
        if r < 0.75:
            return "[" + ", ".join(self.group() for _ in range(self.rng.randint(1, 3))) + "]"
        if r < 0.9 and "groups" in self.vars:
            return "groups"
        return f"[{self.group()}]"

    def optimizer(self) -> str:
        kw = [f"{self.pick(KEYS)}={self.value()}" for _ in range(self.rng.randint(0, 2))]
        kw = list(dict.fromkeys(k.split("=")[0] for k in kw))
        kws = "".join(f", {k}={self.value()}" for k in kw)
        return f"{self.pick(OPTIMIZERS)}({self.optimizer_arg()}{kws})"

    # -- statements (lists of (indent, text)) ---------------------------------------------
    def statement(self) -> list[tuple[int, str]]:
        kinds = [self.assign_params, self.assign_opt, self.assign_opt, self.add_group,
                 self.freeze, self.scheduler, self.model_change, self.consume, self.key_read,
                 self.groups_list]
        kinds += [self.reuse, self.reuse, self.two_groups, self.change_after, self.per_group_lr,
                  self.odd_group, self.misc]
        if self.depth < 2:
            kinds += [self.loop, self.branch, self.function]
        return self.pick(kinds)()

    def block(self, n: int | None = None) -> list[tuple[int, str]]:
        self.depth += 1
        out: list[tuple[int, str]] = []
        for _ in range(n if n is not None else self.rng.randint(1, 3)):
            out += self.statement()
        self.depth -= 1
        return [(i + 1, t) for i, t in out]

    def assign_params(self):
        name = self.pick(["params", "decay", "no_decay", "trainable", "ps"])
        line = f"{name} = {self.source()}"
        self.vars.append(name)
        return [(0, line)]

    def groups_list(self):
        self.vars.append("groups")
        out = [(0, f"groups = [{self.group()}]")]
        if self.chance(0.5):
            out.append((0, f"groups.append({self.group()})"))
        return out

    def assign_opt(self):
        name = self.pick(["optimizer", "opt", "self.optimizer", "opt_d"])
        self.opts.append(name)
        return [(0, f"{name} = {self.optimizer()}")]

    # -- coherent scenarios: the shapes the rules are about, with random parts ----------
    def iterator(self) -> str:
        m = self.module()
        return self.pick([f"{m}.parameters()", f"{m}.named_parameters()",
                          f"filter(lambda p: p.requires_grad, {m}.parameters())",
                          f"(p for p in {m}.parameters() if p.ndim > 1)",
                          f"itertools.chain({m}.parameters(), {self.module()}.parameters())",
                          f"map(lambda p: p, {m}.parameters())", f"iter(list({m}.parameters()))"])

    def reuse(self):
        name = self.pick(["params", "ps", "trainable"])
        self.vars.append(name)
        uses = [f"opt = {self.pick(OPTIMIZERS)}({name}, lr=1e-3)",
                f"opt = torch.optim.AdamW([{{'params': {name}, 'weight_decay': 0.0}}])",
                f"n = sum(p.numel() for p in {name})", f"print(len(list({name})))",
                f"torch.nn.utils.clip_grad_norm_({name}, 1.0)",
                f"ema = [p.detach().clone() for p in {name}]", f"for p in {name}: pass"]
        self.opts.append("opt")
        out = [(0, f"{name} = {self.iterator()}")]
        for _ in range(self.rng.randint(2, 3)):
            if self.chance(0.2):
                out += [(0, "for step in range(3):"), (1, self.pick(uses))]
            else:
                out.append((0, self.pick(uses)))
        return out

    def two_groups(self):
        a, b = self.source(), self.pick([self.source(), self.module() + ".parameters()"])
        self.opts.append("optimizer")
        extra = [(0, f"opt2 = {self.pick(OPTIMIZERS)}({b})")] if self.chance(0.3) else []
        return [(0, f"optimizer = {self.pick(OPTIMIZERS)}([{{'params': {a}}}, "
                    f"{{'params': {b}, 'lr': {self.value()}}}], lr=1e-3)"), *extra]

    def change_after(self):
        self.opts.append("optimizer")
        return [(0, f"optimizer = {self.pick(OPTIMIZERS)}({self.pick(MODULES)}.parameters(), "
                    "lr=0.1)"), *self.model_change()]

    def per_group_lr(self):
        self.opts.append("optimizer")
        return [(0, f"optimizer = torch.optim.SGD([{{'params': head.parameters(), 'lr': 0.1}}, "
                    f"{{'params': encoder.parameters(), 'lr': {self.value()}}}], lr=0.01)"),
                *self.scheduler()]

    def odd_group(self):
        """Group dicts Python accepts but pglint must not trip on."""
        src = self.source()
        d = self.pick([
            f"{{'params': {src}, [1, 2]: 3}}", f"{{'params': {src}, **extra}}",
            f"{{**base, 'params': {src}, 'lr': {self.value()}}}",
            f"{{'params': {src}, 'lr': 0.1, 'lr': 0.2}}", f"{{'params': {src}, 1: 'x'}}",
            f"{{k: v for k, v in [('params', {src})]}}", f"{{f'{{name}}': {src}}}",
            f"{{'params': {src}, ('lr', 'wd'): 1}}", f"{{'params': {src}, None: 0}}",
            f"dict({{'params': {src}}}, lr=0.1)", f"dict(**{{'params': {src}}})",
            f"{{'par' 'ams': {src}, 'weight_' 'decays': 0.1}}",
        ])
        self.opts.append("optimizer")
        out = [(0, f"group = {d}"), (0, f"optimizer = {self.pick(OPTIMIZERS)}([group])")]
        if self.chance(0.5):
            out.append((0, self.pick(["x = group.get([1, 2])", "group[[1]] = 2",
                                      "y = group.get(('lr', 'wd'))", "del group['params']",
                                      "optimizer.param_groups.append(group)",
                                      "optimizer.param_groups[0]['lr'] = 0.5",
                                      "optimizer.param_groups[0].get([1])"])))
        return out

    def misc(self):
        """Python shapes the dataflow layer must walk without tripping."""
        o = self.opt()
        return self.pick([
            [(0, "@torch.no_grad()"), (0, "def step(*args, **kwargs):"),
             (1, f"return {self.source()}")],
            [(0, "async def run():"), (1, f"await {o}.step()")],
            [(0, "try:"), (1, f"{o} = {self.optimizer()}"), (0, "except (KeyError, TypeError):"),
             (1, f"{o} = None"), (0, "finally:"), (1, "pass")],
            [(0, f"match {o}:"), (1, "case torch.optim.Adam():"), (2, "pass"),
             (1, "case _:"), (2, f"{o}.add_param_group({self.group()})")],
            [(0, f"if (ps := {self.source()}):"), (1, f"{o} = {self.pick(OPTIMIZERS)}(ps)")],
            [(0, f"opts = [{self.pick(OPTIMIZERS)}(m.parameters()) for m in (encoder, head)]")],
            [(0, f"make = lambda m: {self.pick(OPTIMIZERS)}(m.parameters(), lr=0.1)"),
             (0, "optimizer = make(model)")],
            [(0, f"optimizer = {self.pick(OPTIMIZERS)}(*[{self.source()}], **kw)")],
            [(0, f"del {self.pick(['optimizer', 'model', 'params'])}")],
            [(0, f"x = {'(' * 40}model{')' * 40}.parameters()")],
            [(0, "total = " + " + ".join(["lr"] * self.rng.randint(2, 400)))],
            [(0, "chain = model" + ".child" * self.rng.randint(1, 300) + ".parameters()")],
            [(0, "if step == 0:"), (1, "pass"),
             *[x for i in range(self.rng.randint(1, 40))
               for x in ((0, f"elif step == {i + 1}:"), (1, f"lr = {i}"))]],
            [(0, f"big = {'9' * self.rng.choice([10, 4299, 4301, 5000])}")],
            [(0, f"{o}.param_groups[0]['params'] = {self.source()}")],
            [(0, f"for i, g in enumerate({o}.param_groups):"), (1, "g['lr'] = lrs[i]")],
            [(0, "names = {id(p): n for n, p in model.named_parameters()}")],
            [(0, "模型 = model"), (0, "opt_u = torch.optim.SGD(模型.parameters(), lr=0.1)")],
        ])

    def opt(self) -> str:
        return self.pick(self.opts) if self.opts else "optimizer"

    def add_group(self):
        return [(0, f"{self.opt()}.add_param_group({self.group()})")]

    def freeze(self):
        attr = self.pick(["requires_grad", "require_grad", "requires_grads", "requiresgrad",
                          "requires_grad_"])
        val = self.pick(["False", "True", "not frozen"])
        if self.chance(0.4):
            return [(0, f"{self.module()}.weight.{attr} = {val}")]
        if self.chance(0.2):
            return [(0, f"setattr(p, {self.quote(attr)}, {val})")]
        return [(0, f"for p in {self.source()}:"), (1, f"p.{attr} = {val}")]

    def scheduler(self):
        o = self.opt()
        s = self.pick([
            f"torch.optim.lr_scheduler.OneCycleLR({o}, max_lr={self.pick(['0.01', '[0.01, 0.1]', 'lrs'])}, total_steps=100)",
            f"torch.optim.lr_scheduler.CyclicLR({o}, 0.001, {self.pick(['0.01', '[0.01, 0.1]'])})",
            f"torch.optim.lr_scheduler.StepLR({o}, 10)",
            f"OneCycleLR({o}, 0.1, 100)",
        ])
        return [(0, f"scheduler = {s}")]

    def model_change(self):
        return [(0, self.pick([
            "model.head = nn.Linear(8, 3)", "model = copy.deepcopy(model)",
            "model.load_state_dict(sd, assign=True)", "model[0] = nn.Linear(4, 8)",
            "model = torch.compile(model)", "model = DDP(model)", "model.to('cuda')",
            "fully_shard(model)", "model = FSDP(model)", "head = nn.Linear(2, 2)",
            "model.encoder.layer = nn.Identity()",
        ]))]

    def consume(self):
        src = self.pick(self.vars) if self.vars else self.source()
        return [(0, self.pick([
            f"n = sum(p.numel() for p in {src})",
            f"torch.nn.utils.clip_grad_norm_({src}, 1.0)",
            f"ema = [p.detach().clone() for p in {src}]", f"print(list({src}))",
            f"count = len(list({src}))",
            f"{src} = list({src})" if src.isidentifier() else f"ps = list({src})",
        ]))]

    def key_read(self):
        o = self.opt()
        read = self.pick(['g["lr"] *= 0.5', 'scale = g.get("lr_scale", 1.0)',
                          "x = g.get([1, 2])", 'g["my_key"] = 1', "print(g['wd'])",
                          "g.setdefault('momentun', 0.9)", "lr = g[0]"])
        return [(0, f"for g in {o}.param_groups:"), (1, read)]

    def loop(self):
        head = self.pick(["for epoch in range(3):", "while step < 10:",
                          "for batch in loader:", "with torch.no_grad():"])
        return [(0, head), *self.block()]

    def branch(self):
        out = [(0, f"if {self.pick(['cfg.freeze', 'rank == 0', 'True', 'args.lora'])}:"),
               *self.block()]
        if self.chance(0.5):
            out += [(0, "else:"), *self.block()]
        return out

    def function(self):
        name = self.pick(["build", "configure_optimizers", "setup", "make_opt"])
        args = self.pick(["model", "self", "model, lr=1e-3", ""])
        body = self.block()
        ret = [(1, f"return {self.opt()}")] if self.chance(0.6) else []
        out = [(0, f"def {name}({args}):"), *body, *ret]
        if self.chance(0.3):
            out = [(0, f"class {self.pick(['Lit', 'Trainer', 'Net'])}(nn.Module):")] + [
                (i + 1, t) for i, t in out]
        return out


HEADER = [
    "import copy", "import itertools", "import torch", "import torch.nn as nn",
    "from torch import optim", "from torch.optim import AdamW",
    "from torch.optim.lr_scheduler import OneCycleLR",
    "from torch.nn.parallel import DistributedDataParallel as DDP",
]
SETUP = [
    "model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))",
    "encoder, head = nn.Linear(4, 4), nn.Linear(4, 2)",
    "net = model", "lr = 1e-3", "base_lr = 0.1", "step = 0", "frozen = True",
]


def program(rng) -> str:
    g = Gen(rng)
    body: list[tuple[int, str]] = [(0, h) for h in HEADER if g.chance(0.8)]
    body += [(0, s) for s in SETUP]
    for _ in range(rng.randint(1, 8)):
        body += g.statement()
    return render(g, body)


def render(g: Gen, body: list[tuple[int, str]]) -> str:
    unit = g.pick(["    ", "    ", "  ", "\t"])
    newline = "\r\n" if g.chance(0.1) else "\n"
    lines = []
    for indent, text in body:
        line = unit * indent + text
        if g.chance(0.1):  # a trailing comment with an odd character
            line += f"  # note{g.pick(SAFE_IN_COMMENT)} more"
        if g.chance(0.05):
            line += "  # noqa" + g.pick(["", ": PG010", ": PG004,PG001"])
        if g.chance(0.04) and not text.endswith(":") and not text.startswith("@"):
            line += "; pass"
        if g.chance(0.04):
            line = "\x0c" + line  # a form feed before the indentation
        lines.append(line)
        if g.chance(0.06):
            lines.append(unit * indent + f"# {g.pick(SAFE_IN_COMMENT)}{g.pick(SAFE_IN_COMMENT)}")
        if g.chance(0.04) and not text.endswith(":") and not text.startswith("@"):
            lines.append(unit * indent + f"s = {g.quote('text')}")
        if g.chance(0.03):
            lines.append("")
    text = newline.join(lines)
    return text if g.chance(0.1) else text + newline


def mutant(rng, source: str) -> str:
    """``source`` (a real file) with a few line-level mutations; it may no longer compile."""
    g = Gen(rng)
    lines = source.splitlines(keepends=True) or ["\n"]
    for _ in range(rng.randint(1, 4)):
        i = rng.randint(0, len(lines) - 1)
        op = rng.randint(0, 7)
        if op == 0:
            lines.insert(i, lines[i])  # duplicate a line
        elif op == 1 and len(lines) > 1:
            del lines[i]
        elif op == 2 and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == 3:  # an odd character in or after a comment
            body = lines[i].rstrip("\r\n")
            lines[i] = body + ("  # " if "#" not in body else "") + g.pick(SAFE_IN_COMMENT) \
                + lines[i][len(body):]
        elif op == 4:
            lines[i] = "\x0c" + lines[i]
        elif op == 5:  # a fragment of the grammar, at this line's indentation
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
            lines.insert(i, "".join(indent + "    " * d + t + "\n" for d, t in g.statement()))
        elif op == 6:
            lines[i] = lines[i].replace("requires_grad", g.pick(["require_grad",
                                                                  "requires_grads"]))
        else:
            lines[i] = lines[i].replace("\n", "\r\n")
    return "".join(lines)


# -- the properties ------------------------------------------------------------------------
def compiles(text: str) -> bool:
    try:
        compile(text, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _token_spans(text: str) -> list[tuple[int, int]] | None:
    """(start, end) offsets of every token, lines as Python's tokenizer counts them."""
    starts = [0]
    i = 0
    n = len(text)
    while i < n:  # only \r\n, \r and \n end a line for the tokenizer
        c = text[i]
        if c == "\r" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            starts.append(i)
            continue
        i += 1
        if c in "\r\n":
            starts.append(i)
    spans = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
                continue
            (sl, sc), (el, ec) = tok.start, tok.end
            if sl - 1 < len(starts) and el - 1 < len(starts):
                spans.append((starts[sl - 1] + sc, starts[el - 1] + ec))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return spans


def _inside_token(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < offset < e for s, e in spans)


def _outside_unchanged(old: str, new: str, ranges: list[tuple[int, int]]) -> bool:
    """``new`` keeps, in order, every stretch of ``old`` outside ``ranges`` (the first as
    its prefix, the last as its suffix)."""
    merged: list[list[int]] = []
    for s, t in sorted(ranges):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], t)
        else:
            merged.append([s, t])
    cuts = [0] + [x for r in merged for x in r] + [len(old)]
    stretches = [old[cuts[i]:cuts[i + 1]] for i in range(0, len(cuts), 2)]
    if len(stretches) == 1:
        return new == old
    if not new.startswith(stretches[0]) or not new.endswith(stretches[-1]):
        return False
    pos = len(stretches[0])
    for piece in stretches[1:-1]:
        at = new.find(piece, pos)
        if at < 0:
            return False
        pos = at + len(piece)
    return len(new) - len(stretches[-1]) >= pos


def _applies(fix, unsafe: bool) -> bool:
    return fix is not None and (fix.safe or unsafe)


def _run_cli(args: list[str]) -> tuple[int, str]:
    from pglint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as e:  # pragma: no cover - main returns, never exits
            rc = e.code if isinstance(e.code, int) else 2
        except Exception as e:  # a traceback out of main is itself a finding
            return -1, f"{type(e).__name__}: {e}"
    return rc, out.getvalue() + err.getvalue()


def check_text(text: str):
    """``check_source`` plus the PG004 findings that stand (the file's own key reads)."""
    from pglint.static import engine, keyreads

    result = engine.check_source(text, "prog.py", engine.Options())
    if result.pending:
        reads = keyreads.scan(text, "prog.py")
        engine.resolve_pending([result], reads.is_read)
    return result


def edit_problems(text: str, unsafe: bool) -> tuple[list[str], str]:
    """Emulate the fixer pass by pass, checking each pass's edits; returns (problems, text)."""
    from pglint.static import check

    out: list[str] = []
    current = text
    for _ in range(check.MAX_FIX_PASSES):
        result = check_text(current)
        if result.error:
            break
        fixes = [f for f in result.findings if _applies(f.fix, unsafe)]
        if not fixes:
            break
        spans = _token_spans(current)
        for f in fixes:
            for e in f.fix.edits:
                if not 0 <= e.start <= e.end <= len(current):
                    out.append(f"{f.code} fix edit out of range: {e}")
                elif spans is not None and (_inside_token(e.start, spans)
                                            or _inside_token(e.end, spans)):
                    out.append(f"{f.code} fix edit {e.start}:{e.end} "
                               f"({current[e.start:e.end]!r} -> {e.text!r}) cuts a token")
        if out:
            break
        new, n = check.apply_edits(current, result.findings, unsafe)
        if n == 0 or new == current:
            break
        if not _outside_unchanged(current, new, [(e.start, e.end) for f in fixes
                                                 for e in f.fix.edits]):
            out.append("a fix changed bytes outside every edit")
        if check_text(new).error or (compiles(current) and not compiles(new)):
            break  # pglint keeps the last good text (the skipped fix is left, and counted)
        current = new
    return out, current


def problems(source: str, workdir: Path, *, unsafe: bool = False) -> list[str]:
    """What goes wrong when pglint checks and fixes ``source`` (empty: nothing)."""
    out: list[str] = []
    result = check_text(source)
    if result.error and "internal error" in result.error:
        out.append(f"internal error: {result.error}")
    valid = compiles(source)
    if result.error and valid and result.error.startswith(("syntax error", "cannot parse")):
        out.append(f"valid Python rejected: {result.error}")
    path = workdir / "prog.py"
    path.write_bytes(source.encode("utf-8"))
    flags = ["check", "-q", "--jobs", "1", "--output-format", "concise"]
    rc, text = _run_cli([*flags, str(path)])
    if rc not in (0, 1, 2) or "internal error" in text or "Traceback" in text:
        out.append(f"check: exit {rc}: {text[-500:]}")
    if rc == 2 or not valid:
        return out
    edits, emulated = edit_problems(source, unsafe)
    out += edits
    fix_flags = [*flags, "--fix"] + (["--unsafe-fixes"] if unsafe else [])
    rc, text = _run_cli([*fix_flags, str(path)])
    if rc not in (0, 1) or "internal error" in text or "Traceback" in text:
        out.append(f"--fix: exit {rc}: {text[-500:]}")
        return out
    fixed = path.read_bytes().decode("utf-8")
    if fixed != source:
        if not compiles(fixed):
            out.append("--fix output does not compile")
        if fixed != emulated and not edits:
            out.append("--fix output differs from applying the fixes' own edits")
    after = check_text(fixed)
    left = [f for f in after.findings if _applies(f.fix, unsafe)]
    if left and not edits:
        out.append("fixable findings left after --fix: "
                   + "; ".join(f"{f.code} line {f.line}: {f.message}" for f in left[:3]))
    rc, text = _run_cli([*fix_flags, str(path)])
    again = path.read_bytes().decode("utf-8")
    if again != fixed:
        out.append("a second --fix changed the file again")
    return out


def minimize(source: str, still_fails) -> str:
    """Drop lines (then blocks of lines) while ``still_fails(text)`` holds and it compiles."""
    lines = source.splitlines(keepends=True)
    size = max(1, len(lines) // 2)
    while size >= 1:
        i = 0
        while i < len(lines):
            cand = lines[:i] + lines[i + size:]
            text = "".join(cand)
            if cand and compiles(text) and still_fails(text):
                lines = cand
            else:
                i += size
        size //= 2
    return "".join(lines)
