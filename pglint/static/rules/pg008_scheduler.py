"""PG008: OneCycleLR / CyclicLR with a scalar lr over groups with different lrs."""

from __future__ import annotations

from pglint.static.rules import Report, RuleContext, optimizer_label
from pglint.static.values import Const, OptimizerValue

CODE = "PG008"


def _number(v):
    return isinstance(v, Const) and isinstance(v.value, (int, float)) and not isinstance(
        v.value, bool)


def group_lrs(opt: OptimizerValue):
    """Each group's lr when all are literal, else None."""
    if not opt.groups_known or not opt.groups:
        return None
    ctor = opt.kwargs.get("lr")
    default = ctor[0] if ctor is not None else Const(opt.cls.defaults_dict.get("lr"), None)
    lrs = []
    for g in opt.groups:
        entry = g.dict.keys.get("lr") if g.dict is not None else None
        v = entry.value if entry is not None else default
        if g.dict is not None and g.dict.open:
            return None
        if not _number(v):
            return None
        lrs.append(v.value)
    return lrs


def check(facts, rc: RuleContext):
    for s in facts.schedulers:
        if not isinstance(s.opt, OptimizerValue):
            continue
        names = ("max_lr",) if s.name == "OneCycleLR" else ("base_lr", "max_lr")
        args = [s.kwargs.get(n) for n in names]
        if s.name == "CyclicLR" and args[0] is None:
            continue  # CyclicLR's base_lr is required; not written: unknown
        if any(a is None or not _number(a[0]) for a in args):
            continue
        lrs = group_lrs(s.opt)
        if lrs is None or len(set(lrs)) < 2:
            continue
        shown = ", ".join(repr(x) for x in lrs)
        spec = " and ".join(f"{n}={rc.code(a[1])}" for n, a in zip(names, args))
        yield Report(
            CODE, args[-1][1],
            f"{s.name} with scalar {spec} gives every group of {optimizer_label(s.opt, rc)} "
            f"the same schedule, but its groups have lrs [{shown}]",
            help=f"pass one value per group: {names[-1]}=[...] (e.g. a multiple of each group's lr)",
        )
