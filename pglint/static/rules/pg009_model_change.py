"""PG009: the model's parameters are replaced after the optimizer was built from them."""

from __future__ import annotations

import libcst as cst

from pglint.static.overlap import _prefix, describe
from pglint.static.rules import Report, RuleContext, optimizer_label, short
from pglint.static.values import Atom

CODE = "PG009"


def _built_from(opt, change) -> bool:
    t = change.target
    for g in opt.groups:
        if not g.params.known:
            continue
        for a in g.params.atoms:
            if a.root == t.root and (_prefix(t.path, a.path) or _prefix(a.path, t.path)):
                return True
    return False


def _given_later(opt, change, facts) -> bool:
    """``opt.add_param_group`` adds the parameters of the changed path (at, under or
    above it): the new layer is handed to the optimizer (the way to grow a model)."""
    t = change.target
    return any(ag.opt is opt and ag.group.params.known
               and any(a.root == t.root and (_prefix(t.path, a.path) or _prefix(a.path, t.path)
                                             and a.recursive and not a.filter)
                       for a in ag.group.params.atoms)
               for ag in facts.add_groups)


def _done_before(opt, change, facts) -> bool:
    """Training with ``opt`` is over when the model changes: it was stepped or handed on,
    every such use comes before the change (outside any loop, which would run on), and no
    other scope uses it through ``self.opt`` / a global (a test that trains, then swaps a
    module to evaluate)."""
    return (not change.in_loop and bool(opt.uses) and max(opt.uses.values()) < change.at
            and not any(h in facts.used_handles for h in opt.handles))


def _named(paths: list) -> str:
    """'a'; 'a' and 'b'; 'a', 'b' and 'c'; 'a', 'b' and 3 more."""
    quoted = [f"'{p}'" for p in paths]
    if len(quoted) > 3:
        quoted = [*quoted[:2], f"{len(quoted) - 2} more"]
    return " and ".join(quoted) if len(quoted) <= 2 else \
        f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def check(facts, rc: RuleContext):
    # one report per change and optimizer: a followed call may replace several sub-modules
    found: dict = {}  # (id(change node), opt id) -> (change, opt, [paths])
    for change in facts.model_changes:
        if change.excused:
            continue
        for opt in change.alive:
            if (opt.replaced or not _built_from(opt, change) or _given_later(opt, change, facts)
                    or _done_before(opt, change, facts)):
                continue
            where = describe(Atom(change.target.root, change.target.path))
            paths = found.setdefault((id(change.node), opt.id), (change, opt, []))[2]
            if where not in paths:
                paths.append(where)
            break
    for change, opt, paths in found.values():
        yield Report(
            CODE, change.node,
            f"'{short(change.what)}' replaces parameters of {_named(paths)} after "
            f"{optimizer_label(opt, rc)} was built from them (line {rc.line(opt.node)}): "
            f"the new parameters are never trained",
            help="build the optimizer after changing the model, or rebuild it here",
        )
    for t in facts.copies_trained:
        where = (f"by '{short(rc.code(t.loop))}'" if isinstance(t.loop, cst.Call)
                 else "in the loop")
        yield Report(
            CODE, t.node,
            f"'{t.copy}' is a deep copy of '{short(t.source)}' trained {where} at line "
            f"{rc.line(t.loop)}, but '{t.opt_name}' (line {rc.line(t.opt.node)}) steps the "
            f"parameters of '{short(t.source)}', which get no gradient there: the copy is "
            f"never updated",
            help=f"build the optimizer over '{t.copy}.parameters()' after copying "
                 f"(or train '{short(t.source)}')",
        )
