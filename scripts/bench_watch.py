"""Benchmark: what ``pglint.watch`` (3-step window) adds to a 100-step GPT-2-shaped run on CPU.

Runs the same training (same seed, same batches) watched and unwatched, alternating,
and prints the median total time of each and their ratio; the time spent inside the
watch's own hooks and window-end bookkeeping (measured directly, so machine noise does
not hide it); and the tensor memory the watch adds: live tensor storage bytes at the
same point of a watched and an unwatched run (must be 0), and that nothing the watch
keeps is a tensor.

The default model has GPT-2 small's layout (12 blocks, 12 heads, tied embedding: 148
parameter tensors, the number the watch's per-step work scales with) at a smaller width,
so 100 steps fit a small shared CPU; the smaller the model, the larger the watch's share.
``--full`` uses GPT-2 small's real size (124M parameters).

    python scripts/bench_watch.py [--steps 100] [--pairs 5] [--full]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pglint  # noqa: E402
from pglint.runtime.watch import Watch  # noqa: E402


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int, ctx: int, d: int, layers: int, heads: int) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2

    def forward(self, idx):
        t = idx.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))


WIDTH = 192


def build(full: bool):
    torch.manual_seed(0)
    if full:
        model = GPT(vocab=50257, ctx=1024, d=768, layers=12, heads=12)
    else:
        model = GPT(vocab=8192, ctx=256, d=WIDTH, layers=12, heads=12)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}], lr=3e-4)
    return model, opt


def batches(n: int, vocab: int, batch: int, seq: int):
    g = torch.Generator().manual_seed(1)
    return [torch.randint(0, vocab, (batch, seq + 1), generator=g) for _ in range(n)]


def run(model, opt, data, watched: bool, probe_at: int = -1):
    """Train on ``data``; returns (seconds, live tensor bytes at step ``probe_at``, watch)."""
    w = pglint.watch(model, opt, steps=3) if watched else None
    probe = None
    t0, c0 = time.perf_counter(), time.process_time()
    for i, xy in enumerate(data):
        x, y = xy[:, :-1], xy[:, 1:]
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).backward()
        opt.step()
        if i == probe_at:
            probe = live_tensor_bytes()
        if w is not None and w.done and i == 2:
            assert w.report().findings == [], w.report()
    return (time.perf_counter() - t0, time.process_time() - c0), probe, w


def live_tensor_bytes() -> int:
    gc.collect()
    seen: dict[int, int] = {}
    for obj in gc.get_objects():
        if isinstance(obj, torch.Tensor):
            try:
                st = obj.untyped_storage()
            except (RuntimeError, NotImplementedError):
                continue
            seen[st.data_ptr()] = st.nbytes()
    return sum(seen.values())


def tensors_in(obj, depth: int = 0, seen=None) -> int:
    """Tensors reachable from what the watch itself keeps (not the model or optimizers)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 4:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return 1
    if isinstance(obj, (list, tuple, set)):
        return sum(tensors_in(x, depth + 1, seen) for x in obj)
    if isinstance(obj, dict):
        return sum(tensors_in(x, depth + 1, seen) for x in obj.values())
    if hasattr(obj, "__slots__"):
        return sum(tensors_in(getattr(obj, k, None), depth + 1, seen) for k in obj.__slots__)
    return 0


def timed_hooks():
    """Wrap the watch's hook bodies and window end with a cpu-time timer (bench only)."""
    spent = [0.0]
    for name in ("_pre", "_post", "_start", "_finish"):
        fn = getattr(Watch, name)

        def wrapper(self, *a, _fn=fn, **k):
            t0 = time.process_time()  # cpu time: a loaded machine's preemption is not the watch's
            try:
                return _fn(self, *a, **k)
            finally:
                spent[0] += time.process_time() - t0

        setattr(Watch, name, wrapper)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=5, help="watched/unwatched runs, alternating")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--width", type=int, default=192, help="n_embd of the small model")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier timings)")
    ap.add_argument("--full", action="store_true", help="GPT-2 small's real size (124M)")
    args = ap.parse_args()
    global WIDTH
    WIDTH = args.width
    torch.set_num_threads(args.threads)

    model, opt = build(args.full)
    n_params = sum(p.numel() for p in model.parameters())
    n_tensors = sum(len(g["params"]) for g in opt.param_groups)
    vocab = model.wte.num_embeddings
    data = batches(args.steps, vocab, args.batch, args.seq)
    print(f"model: GPT-2 layout, {n_params / 1e6:.1f}M parameters in {n_tensors} tensors; "
          f"{args.steps} steps of batch {args.batch}x{args.seq}, AdamW; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")

    # memory: the same point (after step 1, watch live) in an unwatched and a watched run
    _, plain_bytes, _ = run(*build(args.full), data[:3], watched=False, probe_at=1)
    _, watched_bytes, w = run(*build(args.full), data[:3], watched=True, probe_at=1)
    kept = tensors_in([w._slots, [(o.lr0, o.flat, o.slots) for o in w._opts]])
    print(f"tensor memory added: {watched_bytes - plain_bytes} bytes "
          f"({plain_bytes:,} live tensor bytes unwatched, {watched_bytes:,} watched); "
          f"tensors kept by the watch: {kept}")

    spent = timed_hooks()
    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    hook_time = []
    run(*build(args.full), data[:5], watched=False)  # warm-up
    for pair in range(args.pairs):
        for watched in ((False, True) if pair % 2 == 0 else (True, False)):
            model, opt = build(args.full)
            spent[0] = 0.0
            (seconds, cpu_seconds), _, _ = run(model, opt, data, watched)
            wall[watched].append(seconds)
            cpu[watched].append(cpu_seconds)
            if watched:
                hook_time.append(spent[0])
    for what, t in (("wall", wall), ("cpu", cpu)):
        plain, watched = statistics.median(t[False]), statistics.median(t[True])
        print(f"{what:4} unwatched: median {plain:.2f} s  {[round(x, 2) for x in t[False]]}")
        print(f"{what:4} watched:   median {watched:.2f} s  {[round(x, 2) for x in t[True]]}")
        print(f"{what:4} ratio watched/unwatched (medians): {watched / plain:.4f}")
    hooks = statistics.median(hook_time)
    plain = statistics.median(cpu[False])
    print(f"time inside the watch (hooks + window end), median: {hooks * 1e3:.1f} ms = "
          f"{100 * hooks / plain:.3f} % of the unwatched run's cpu time")


if __name__ == "__main__":
    main()
