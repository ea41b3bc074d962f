"""PG012: a parameter group built in the optimizer's function that never reaches it."""

from __future__ import annotations

from pglint.static.rules import Report, RuleContext, optimizer_label, short

CODE = "PG012"


def check(facts, rc: RuleContext):
    for d, name, opt in facts.unused_groups:
        params = d.keys["params"]
        yield Report(
            CODE, d.node,
            f"group '{name}' (line {rc.line(d.node)}) is built but never reaches "
            f"{optimizer_label(opt, rc)} or any other code: "
            f"'{short(rc.code(params.value_node), 40)}' is not trained with its settings",
            help=f"pass it to the optimizer: add '{name}' to the list of groups",
        )
