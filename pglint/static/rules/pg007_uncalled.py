"""PG007: ``model.parameters`` / ``named_parameters`` passed without calling it."""

from __future__ import annotations

from pglint.finding import Fix
from pglint.static.rules import Report, RuleContext, short

CODE = "PG007"


def check(facts, rc: RuleContext):
    seen = set()
    for ref, opt in facts.uncalled:
        if not ref.module or id(ref.node) in seen:
            # the receiver may not be a Module, or the file stores a 'parameters' attribute:
            # the expression may be a list, and calling it would raise TypeError
            continue
        seen.add(id(ref.node))
        text = rc.code(ref.node)
        yield Report(
            CODE, ref.node,
            f"'{short(text)}' is passed to {opt.cls.name} without calling it",
            help=f"call it: {short(text)}()",
            fix=Fix("Add '()'", (rc.edit(ref.node, text + "()"),), safe=True),
        )
