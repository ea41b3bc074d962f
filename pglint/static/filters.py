"""Filters on parameter sets: ``[p for n, p in m.named_parameters() if COND]``.

A filter is a conjunction of literals, canonical enough that complementary
conditions written the usual ways are recognised as disjoint:
``cond`` / ``not cond``, ``n in S`` / ``n not in S``, ``p.dim() >= 2`` / ``p.ndim < 2``,
``any(k in n for k in no_decay)`` / ``not any(...)``.  Anything else is an opaque
literal compared by its text, so two filters are only "the same" when written the same.
"""

from __future__ import annotations

import math
import re

import libcst as cst

_EMPTY_MODULE = cst.Module(body=[])
_INF = math.inf

_NEGATED = {cst.NotIn: cst.In, cst.IsNot: cst.Is, cst.NotEqual: cst.Equal}


def code(node: cst.CSTNode) -> str:
    return _EMPTY_MODULE.code_for_node(node)


class _Rename(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.names.get(updated.value)
        return updated.with_changes(value=new) if new else updated


_NDIM = [
    (re.compile(r"len\(([\w.]+)\.(?:shape|size\(\))\)"), r"\1.dim()"),
    (re.compile(r"([\w.]+)\.(?:ndim|ndimension\(\))(?![\w(])"), r"\1.dim()"),
]


def _text(node: cst.CSTNode) -> str:
    s = " ".join(code(node.with_changes(lpar=[], rpar=[]) if hasattr(node, "lpar") else node).split())
    for pat, rep in _NDIM:
        s = pat.sub(rep, s)
    return s


def _strip(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[], rpar=[]) if getattr(node, "lpar", None) else node


def _int(node: cst.BaseExpression) -> int | None:
    node = _strip(node)
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    return None


def _interval(op: cst.BaseCompOp, k: int) -> tuple[float, float] | None:
    if isinstance(op, cst.LessThan):
        return (-_INF, k - 1)
    if isinstance(op, cst.LessThanEqual):
        return (-_INF, k)
    if isinstance(op, cst.GreaterThan):
        return (k + 1, _INF)
    if isinstance(op, cst.GreaterThanEqual):
        return (k, _INF)
    if isinstance(op, cst.Equal):
        return (k, k)
    return None


_FLIP = {
    cst.LessThan: cst.GreaterThan, cst.LessThanEqual: cst.GreaterThanEqual,
    cst.GreaterThan: cst.LessThan, cst.GreaterThanEqual: cst.LessThanEqual,
}


def _complement(iv: tuple[float, float]) -> tuple[float, float] | None:
    lo, hi = iv
    if lo == -_INF and hi != _INF:
        return (hi + 1, _INF)
    if hi == _INF and lo != -_INF:
        return (-_INF, lo - 1)
    return None


def _add(node: cst.BaseExpression, pol: bool, out: set) -> None:
    node = _strip(node)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        _add(node.expression, not pol, out)
        return
    if isinstance(node, cst.BooleanOperation):
        if isinstance(node.operator, cst.And) and pol:
            _add(node.left, True, out)
            _add(node.right, True, out)
            return
        if isinstance(node.operator, cst.Or) and not pol:
            _add(node.left, False, out)
            _add(node.right, False, out)
            return
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        target = node.comparisons[0]
        op = target.operator
        lhs, rhs = node.left, target.comparator
        k = _int(rhs)
        if k is None and _int(lhs) is not None and type(op) in _FLIP:
            k, lhs, op = _int(lhs), rhs, _FLIP[type(op)]()
        if k is not None:
            iv = _interval(op, k)
            if iv is not None:
                iv = iv if pol else _complement(iv)
                if iv is not None:
                    out.add((_text(lhs), iv))
                    return
        positive = _NEGATED.get(type(op))
        if positive is not None:
            flipped = node.with_changes(comparisons=[target.with_changes(operator=positive())])
            out.add((_text(flipped), not pol))
            return
    out.add((_text(node), pol))


def make_filter(conds: list[cst.BaseExpression], rename: dict[str, str]) -> frozenset:
    """The filter for ``if c1 if c2 ...`` with comprehension/lambda variables renamed."""
    out: set = set()
    renamer = _Rename(rename)
    for c in conds:
        _add(c.visit(renamer), True, out)
    return frozenset(out)


def _is_interval(lit) -> bool:
    return isinstance(lit[1], tuple)


def _lits_disjoint(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if _is_interval(a) and _is_interval(b):
        return a[1][1] < b[1][0] or b[1][1] < a[1][0]
    if not _is_interval(a) and not _is_interval(b):
        return a[1] != b[1]
    return False


def _implies(a, b) -> bool:
    if a == b:
        return True
    if a[0] == b[0] and _is_interval(a) and _is_interval(b):
        return b[1][0] <= a[1][0] and a[1][1] <= b[1][1]
    return False


def disjoint(f1: frozenset, f2: frozenset) -> bool:
    return any(_lits_disjoint(a, b) for a in f1 for b in f2)


def nested(f1: frozenset, f2: frozenset) -> bool:
    """True when one filter provably selects a subset of what the other selects."""

    def covers(small, big):  # every literal of `small` is implied by one of `big`
        return all(any(_implies(b, s) for b in big) for s in small)

    return not disjoint(f1, f2) and (covers(f1, f2) or covers(f2, f1))
