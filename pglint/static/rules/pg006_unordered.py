"""PG006: a set passed as the optimizer's parameters."""

from __future__ import annotations

from pglint.static.rules import Report, RuleContext, optimizer_label

CODE = "PG006"


def check(facts, rc: RuleContext):
    for s, opt in facts.sets:
        yield Report(
            CODE, s.node,
            f"a set is passed as the parameters of {optimizer_label(opt, rc)}: "
            f"its order, and so the checkpoint's state order, changes between runs",
            help="pass a list in a stable order, e.g. "
                 "[p for n, p in model.named_parameters() if ...]",
        )
