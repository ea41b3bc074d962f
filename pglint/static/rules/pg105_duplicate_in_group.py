"""PG105 (static): the same tensor or the same parameters twice in one group's list."""

from __future__ import annotations

import libcst as cst

from pglint.static.overlap import overlap
from pglint.static.rules import Report, RuleContext, optimizer_label, short
from pglint.static.values import WILDCARD, Atom, OneShot, ParamSet, PathValue

CODE = "PG105"


def _same_tensor(a, b) -> bool:
    return (isinstance(a, PathValue) and isinstance(b, PathValue) and a.root == b.root
            and a.path == b.path and WILDCARD not in a.path)


def _params(value, params: ParamSet | None) -> ParamSet:
    if params is not None:
        return params  # a starred part: what the dataflow knows it holds
    if isinstance(value, PathValue) and value.path and WILDCARD not in value.path:
        return ParamSet((Atom(value.root, value.path, leaf=True),))
    return ParamSet(None)


def check(facts, rc: RuleContext):
    for parts, group, opt in facts.group_lists:
        found = None
        for j in range(len(parts)):
            nj, vj, sj, pj = parts[j]
            for i in range(j):
                ni, vi, si, pi = parts[i]
                if isinstance(vi, OneShot) and vi is vj:
                    continue  # the same iterator twice: the second part is empty (PG002)
                same = (_same_tensor(vi, vj) if not si and not sj
                        else overlap(_params(vi, pi), _params(vj, pj)) is not None)
                if same:
                    found = (ni, nj)
                if found:
                    break
            if found:
                break
        if not found:
            continue
        first, second = found
        text = lambda n: short(("*" + rc.code(n.value)) if isinstance(n, cst.StarredElement)  # noqa: E731
                               else rc.code(n), 40)
        where = f"group {group.index}" if group.index is not None else "the group"
        yield Report(
            CODE, second,
            f"'{text(second)}' repeats '{text(first)}' in {where} "
            f"of {optimizer_label(opt, rc)}: torch only warns, and updates those parameters "
            f"twice per step",
            help="list each parameter once",
        )
