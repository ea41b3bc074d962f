"""PG011: ``n in no_decay`` with a full dotted parameter name and bare suffixes."""

from __future__ import annotations

from pglint.static.rules import Report, RuleContext, short

CODE = "PG011"


def check(facts, rc: RuleContext):
    for node, name, strings, model in facts.never_match:
        comp = node.comparisons[0]
        negated = type(comp.operator).__name__ == "NotIn"
        shown = ", ".join(repr(s) for s in strings[:3]) + (", ..." if len(strings) > 3 else "")
        what = short(rc.code(comp.comparator), 30)
        outcome = "always true" if negated else "never true"
        yield Report(
            CODE, node,
            f"'{short(rc.code(node), 40)}' is {outcome}: '{name}' is a full dotted name from "
            f"{model}.named_parameters() and none of {what} ({shown}) can equal one, "
            f"so this test splits nothing off",
            help=(f"test the suffixes: {'not ' if negated else ''}"
                  f"any(nd in {name} for nd in {what})"),
        )
