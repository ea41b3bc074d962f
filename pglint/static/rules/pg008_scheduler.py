"""PG008: OneCycleLR / CyclicLR with a scalar lr over groups with different lrs."""

from __future__ import annotations

from pglint.static.filters import code
from pglint.static.rules import Report, RuleContext, optimizer_label
from pglint.static.values import Const, OptimizerValue, PathValue, Scaled

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
        if _number(v):
            lrs.append(v.value)
        elif isinstance(v, Scaled):
            lrs.append(_Sym(v.root, v.factor, v.symbols, v.node))
        elif isinstance(v, PathValue) and not v.path:
            lrs.append(_Sym(v.root, 1.0))
        else:
            return None
    # literal lrs compare as numbers; ``lr`` and ``lr / 10`` of one binding by their factors
    kinds = {x.root if isinstance(x, _Sym) else None for x in lrs}
    # a factor taken from a parameter's default: at most one such parameter (two could be
    # given equal values by a caller)
    assumed = {n for x in lrs if isinstance(x, _Sym) for n, _ in x.symbols}
    return lrs if len(kinds) == 1 and len(assumed) <= 1 else None


class _Sym:
    """A group lr that is a binding times a literal factor: ``lr``, ``lr / 10``."""

    def __init__(self, root, factor: float, symbols: tuple = (), node=None):
        self.root, self.factor, self.symbols, self.node = root, factor, symbols, node

    def __eq__(self, other):
        return isinstance(other, _Sym) and (self.root, self.factor) == (other.root, other.factor)

    def __hash__(self):
        return hash((self.root, self.factor))

    def __repr__(self):
        if self.symbols and self.node is not None:
            given = ", ".join(f"{n}={v:g}" for n, v in self.symbols)
            return f"{code(self.node)} ({given} by default)"
        return self.root.name if self.factor == 1 else f"{self.root.name} * {self.factor:g}"


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
