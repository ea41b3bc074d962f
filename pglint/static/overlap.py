"""When two parameter sets provably share a parameter (PG003).

Only what can be proved: the same list variable twice, a module path and one of its
sub-paths, the same path with nested filters.  Sibling paths, complementary
filters, different roots and anything unknown are not overlaps.
"""

from __future__ import annotations

from pglint.static.filters import nested
from pglint.static.values import WILDCARD, Atom, ParamSet


def _prefix(short: tuple, long: tuple) -> bool:
    """``short`` is a prefix of ``long`` on constant segments only."""
    if len(short) > len(long):
        return False
    return all(a is not WILDCARD and a == b for a, b in zip(short, long))


def atoms_overlap(a: Atom, b: Atom) -> bool:
    if a.list_id is not None or b.list_id is not None:
        return a.list_id is not None and a.list_id == b.list_id
    if a.root is None or a.root != b.root:
        return False
    if a.leaf and b.leaf:
        return a.path == b.path and _prefix(a.path, b.path)
    if a.leaf or b.leaf:
        leaf, mod = (a, b) if a.leaf else (b, a)
        if mod.filter or not _prefix(mod.path, leaf.path) or len(mod.path) == len(leaf.path):
            return False
        return mod.recursive or len(leaf.path) == len(mod.path) + 1
    if a.path == b.path and _prefix(a.path, b.path):
        if a.recursive != b.recursive:
            return False
        return nested(a.filter, b.filter)
    # one path strictly inside the other: the deeper set is part of the shallower one
    if _prefix(a.path, b.path):
        outer, inner = a, b
    elif _prefix(b.path, a.path):
        outer, inner = b, a
    else:
        return False
    return outer.recursive and not outer.filter and inner.recursive


def overlap(x: ParamSet, y: ParamSet) -> tuple[Atom, Atom] | None:
    """The first pair of atoms that provably share parameters, or None."""
    if not x.known or not y.known:
        return None
    for a in x.atoms:
        for b in y.atoms:
            if atoms_overlap(a, b):
                return a, b
    return None


def describe(a: Atom) -> str:
    """The user's spelling of an atom's module path: ``model.layer4[2]``."""
    if a.root is None:
        return "the list"
    s = a.root.name
    for seg in a.path:
        if isinstance(seg, int):
            s += f"[{seg}]"
        elif seg is WILDCARD:
            s += "[...]"
        else:
            s += f".{seg}"
    return s
