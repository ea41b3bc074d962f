"""Regenerate pglint/catalog.json from the installed torch.

    python scripts/gen_catalog.py            # write the catalog
    python scripts/gen_catalog.py --check    # exit 1 if the catalog differs from torch

The catalog lets the static pass know which group keys each torch optimizer reads
without importing torch.  tests/test_catalog.py checks it against the installed torch.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import re
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "pglint" / "catalog.json"
_GROUP_KEY = re.compile(r"""group(?:\[\s*["'](\w+)["']\s*\]|\.(?:get|setdefault)\(\s*["'](\w+)["'])""")


def _jsonable(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return v if math.isfinite(v) else None
    if isinstance(v, (tuple, list)) and all(isinstance(x, (int, float)) for x in v):
        return list(v)
    return "<non-literal>"


def build() -> dict:
    import torch
    import torch.optim

    optimizers = {}
    for name in sorted(dir(torch.optim)):
        cls = getattr(torch.optim, name)
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            continue
        if cls is torch.optim.Optimizer:
            continue
        sig = inspect.signature(cls.__init__)
        keys = [p for p in sig.parameters if p not in ("self", "params")]
        defaults = {}
        try:
            opt = cls([torch.nn.Parameter(torch.zeros(2, 2))])
            defaults = {k: _jsonable(v) for k, v in opt.defaults.items()}
            keys += [k for k in opt.defaults if k not in keys]
        except Exception:  # pragma: no cover - depends on torch build
            defaults = {
                p.name: _jsonable(p.default)
                for p in sig.parameters.values()
                if p.default is not inspect.Parameter.empty
            }
        optimizers[name] = {"keys": keys, "defaults": defaults}
    sched_src = ""
    for mod in ("lr_scheduler", "swa_utils"):
        sched_src += Path(inspect.getfile(getattr(torch.optim, mod))).read_text()
    # keys schedulers read or add that are not themselves optimizer hyperparameters
    # (OneCycleLR also touches 'betas'/'momentum', but only where the optimizer has them)
    hyper = {k for o in optimizers.values() for k in o["keys"]}
    scheduler_keys = sorted({a or b for a, b in _GROUP_KEY.findall(sched_src)} - hyper - {"params"})
    return {
        "torch": torch.__version__.split("+")[0],
        "optimizers": optimizers,
        "scheduler_keys": scheduler_keys,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    new = build()
    if args.check:
        old = json.loads(CATALOG.read_text())
        old.pop("torch", None)
        new.pop("torch", None)
        if old != new:
            print("catalog.json differs from the installed torch; run scripts/gen_catalog.py")
            return 1
        print("catalog.json matches the installed torch")
        return 0
    CATALOG.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    print(f"wrote {CATALOG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
