"""PG010: ``p.require_grad = False`` and other misspellings of ``requires_grad``."""

from __future__ import annotations

from pglint.finding import Fix
from pglint.static.rules import Report, RuleContext, short

CODE = "PG010"
MISSPELLINGS = frozenset(
    {"require_grad", "requires_grads", "requires_gradient", "require_grads", "requiresgrad",
     "require_gradient", "requieres_grad", "requires_gard", "reqires_grad"}
)


def check(facts, rc: RuleContext):
    for target, _stmt in facts.attr_stores:
        attr = target.attr.value
        if attr not in MISSPELLINGS:
            continue
        yield Report(
            CODE, target,
            f"'{short(rc.code(target))}' sets an attribute nothing reads; "
            f"the tensor is not frozen and the optimizer keeps training it",
            help="spell it requires_grad (or call .requires_grad_(False))",
            # safe only on a Parameter set to False: requires_grad = True raises on an integer
            # tensor, any value on a non-leaf tensor, and on other objects the rename may
            # break code that reads the misspelled attribute
            fix=Fix("Rename to 'requires_grad'", (rc.edit(target.attr, "requires_grad"),),
                    safe=id(target) in facts.param_attr_false),
        )
