"""PG002: a one-shot iterable (generator, parameters(), filter, map, chain) consumed twice."""

from __future__ import annotations

import libcst as cst

from pglint.finding import Fix
from pglint.static.rules import Report, RuleContext, short

CODE = "PG002"


def check(facts, rc: RuleContext):
    seen = set()
    for r in facts.reuses:
        if id(r.second) in seen:
            continue
        seen.add(id(r.second))
        it = r.it
        binding = facts.bindings.get(it.id)
        name = binding[1].value if binding is not None else None
        what = (f"'{name}' ({short(it.desc)}, line {rc.line(it.node)})" if name
                else f"{short(it.desc)} (line {rc.line(it.node)})")
        if r.helper and r.inner is None:
            msg = (f"{what} is iterated twice by '{r.helper}' (imported from the project): "
                   f"its second pass sees nothing")
        elif r.helper:
            msg = (f"{what} is iterated twice by '{r.helper}' (line {rc.line(r.first)} and "
                   f"line {rc.line(r.inner)}): its second pass sees nothing")
        elif r.methods:
            msg = (f"{what} is consumed by two methods (line {rc.line(r.first)} and here): "
                   f"whichever runs second sees nothing")
        elif r.call:
            msg = (f"{what} is exhausted since line {rc.line(r.first)}: "
                   f"the call given it here receives nothing")
        elif r.in_loop:
            msg = (f"{what} is consumed inside a loop but created before it: "
                   f"from the second iteration on this use sees nothing")
        else:
            msg = (f"{what} was already consumed at line {rc.line(r.first)}; "
                   f"this second use sees nothing")
        fix = _fix(facts, it, binding, rc)
        target = f"{name} = list({short(it.desc, 40)})" if name else f"list({short(it.desc, 40)})"
        yield Report(CODE, r.second, msg, help=f"materialize it once: {target}", fix=fix)


def _fix(facts, it, binding, rc: RuleContext):
    """``params = model.parameters()`` -> ``params = list(model.parameters())``.

    Offered only when the iterator is bound once by a plain assignment and every read of
    the name is a use that accepts a list (an optimizer, a for loop, sum(), list(),
    clip_grad_norm_, filter/map/chain...).  Safe only when materialising it early gives
    its first consumer the same items: it runs no user code and ends (``parameters()``,
    ``named_parameters()``, chain/zip/iter of those: a generator function may never end
    or do work as it goes) and nothing between the binding and the end of the first
    consumption could change the model (``dataflow.nothing_between``).
    """
    if binding is None:
        return None
    assign, target = binding
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    if assign.targets[0].target is not target:
        return None
    uses = {id(node) for node in facts.uses.get(it.id, ())}
    refs = facts.refs.get(it.id, ())
    if not refs or any(id(ref) not in uses for ref in refs):
        return None
    value = assign.value
    return Fix(f"Materialize '{target.value}' with list(...)",
               (rc.edit(value, f"list({rc.code(value)})"),),
               safe=facts.early_ok.get(it.id, False))
