"""The runtime audit against one ``AdamW.step()``, measured in the same process.

    python benchmarks/bench_runtime.py

Two models: a GPT-2-small-shaped one (124 M parameters, AdamW ``foreach=True``, decay and
no-decay groups) and 10,000 small tensors.  Each is audited before and after a step (a
stepped optimizer has state, which PG107 reads).  Prints the audit's time, one step()'s
time and their ratio (fastest of the repeats; medians in brackets), then both against the
targets of issue 11: 10,000 tensors audited in < 15 ms, a GPT-2-small audit < 1 % of a
step().
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import pglint


class Block(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)


class GPT2Small(nn.Module):
    """GPT-2 small's parameter shapes (124 M; the output layer tied to the embedding)."""

    def __init__(self, vocab=50257, ctx=1024, d=768, layers=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList(Block(d) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight


class ManySmall(nn.Module):
    def __init__(self, n=10_000):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(n // 2))


def optimizer_for(model: nn.Module) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=3e-4, foreach=True)


def timed(fn, repeat: int) -> float:
    """The fastest of ``repeat`` runs (as timeit reports): the least disturbed by other
    work on a shared machine; medians are printed too, and the least CPU time of this
    thread (what a busy machine does not inflate by descheduling)."""
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - start_cpu)
        times.append(time.perf_counter() - start)
    timed.medians.append(statistics.median(times))
    timed.cpu.append(min(cpu))
    return min(times)


timed.medians = []
timed.cpu = []


def bench(label: str, model: nn.Module, repeat: int) -> tuple[float, float]:
    """(audit of the stepped optimizer, one step()), fastest of the repeats, in seconds."""
    opt = optimizer_for(model)
    n = sum(1 for _ in model.parameters())
    size = sum(p.numel() for p in model.parameters())
    fresh = timed(lambda: pglint.audit(model, opt), repeat)
    for p in model.parameters():
        p.grad = torch.full_like(p, 1e-3)
    opt.step()  # state exists from here on
    step = timed(opt.step, max(3, repeat // 4))
    stepped = timed(lambda: pglint.audit(model, opt), repeat)
    report = pglint.audit(model, opt)
    print(f"{label:34} {n:6} tensors {size / 1e6:7.1f} M  audit {fresh * 1e3:7.2f} ms fresh, "
          f"{stepped * 1e3:7.2f} ms stepped | step() {step * 1e3:8.2f} ms | "
          f"audit/step {stepped / step:6.2%} | findings {len(report.findings)}\n"
          f"{'':34} (medians: {timed.medians[-3] * 1e3:.2f} ms fresh, "
          f"{timed.medians[-1] * 1e3:.2f} ms stepped, step() {timed.medians[-2] * 1e3:.2f} ms)",
          flush=True)
    return stepped, step


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    gpt_audit, gpt_step = bench("GPT-2 small (AdamW foreach=True)", GPT2Small(), args.repeat)
    many_audit, many_step = bench("10,000 small tensors", ManySmall(), args.repeat)
    many_cpu = timed.cpu[-1]  # the stepped audit of the last model
    print(f"\n10,000 tensors: audit {many_audit * 1e3:.2f} ms (target < 15 ms; "
          f"{many_cpu * 1e3:.2f} ms CPU), "
          f"step() {many_step * 1e3:.2f} ms, audit/step {many_audit / many_step:.2%}\n"
          f"GPT-2 small:    audit {gpt_audit * 1e3:.2f} ms, step() {gpt_step * 1e3:.2f} ms, "
          f"audit/step {gpt_audit / gpt_step:.3%} (target < 1 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
