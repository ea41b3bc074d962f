"""PG009: the model's parameters are replaced after the optimizer was built from them."""

from __future__ import annotations

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


def check(facts, rc: RuleContext):
    for change in facts.model_changes:
        for opt in change.alive:
            if opt.replaced or not _built_from(opt, change):
                continue
            where = describe(Atom(change.target.root, change.target.path))
            yield Report(
                CODE, change.node,
                f"'{short(change.what)}' replaces parameters of '{where}' after "
                f"{optimizer_label(opt, rc)} was built from them (line {rc.line(opt.node)}): "
                f"the new parameters are never trained",
                help="build the optimizer after changing the model, or rebuild it here",
            )
            break
