"""Benchmark: one pglint.audit of a model with ~10,000 parameter tensors.

Prints the audit's time and its ratio to peers measured in the same run on the same
model: building the optimizer, and the floor any audit pays (``dict(model.named_parameters())``
plus one pass over ``param_groups``).  Best of N interleaved runs each.

    python scripts/bench_audit.py [--layers 5000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import pglint


def best_interleaved(fns: list, repeat: int) -> list[float]:
    """Best time of each function, run in turn ``repeat`` times (noise hits all alike)."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=5000, help="nn.Linear(4, 4) layers")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()

    model = nn.ModuleList(nn.Linear(4, 4) for _ in range(args.layers))
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]

    def build():
        return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                  {"params": rest, "weight_decay": 0.0}], lr=1e-3)

    opt = build()
    n_tensors = sum(len(g["params"]) for g in opt.param_groups)

    def floor():
        names = dict(model.named_parameters())
        for g in opt.param_groups:
            for p in g["params"]:
                _ = p.requires_grad
        return names

    report = pglint.audit(model, opt)
    assert report.findings == [], report
    t_audit, t_build, t_floor = best_interleaved(
        [lambda: pglint.audit(model, opt), build, floor], args.repeat)

    print(f"model: {args.layers} x nn.Linear(4, 4) = {n_tensors} parameter tensors, "
          f"torch {torch.__version__}")
    rows = [("pglint.audit", t_audit, ""),
            ("build the optimizer (AdamW, 2 groups)", t_build,
             f"audit / build = {t_audit / t_build:.1f}x"),
            ("dict(named_parameters()) + one param_groups pass", t_floor,
             f"audit / floor = {t_audit / t_floor:.1f}x")]
    for label, t, ratio in rows:
        print(f"{label:<50}{t * 1e3:8.1f} ms   {ratio}".rstrip())

if __name__ == "__main__":
    main()
