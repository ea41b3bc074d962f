"""PG001: a parameter group dict without a 'params' key."""

from __future__ import annotations

from pglint import hyperparams
from pglint.finding import Fix
from pglint.static.rules import Report, RuleContext

CODE = "PG001"


def check(facts, rc: RuleContext):
    seen = set()
    for d, _opt in facts.dicts_to_optimizer:
        if (id(d.node), d.origin) in seen or d.open or "params" in d.keys:
            continue
        seen.add((id(d.node), d.origin))
        near = [k for k in d.keys if hyperparams.did_you_mean(k, ["params"]) == "params"]
        if d.origin is not None:  # returned by a helper of another module: no edit here
            yield Report(
                CODE, d.node,
                f"group dict built at {d.origin} has no 'params' key"
                + (f"; did you mean 'params' instead of '{near[0]}'?" if len(near) == 1
                   else f" (it has {', '.join(repr(k) for k in d.keys) or 'no keys'})"),
                help=f"give the group its tensors in {d.origin}: torch raises "
                     "KeyError: 'params' when it builds the optimizer",
            )
        elif len(near) == 1:
            key = near[0]
            entry = d.keys[key]
            yield Report(
                CODE, d.node,
                f"group dict has no 'params' key; did you mean 'params' instead of '{key}'?",
                help="rename the key: torch reads the group's tensors from 'params' only",
                fix=Fix(f"Rename '{key}' to 'params'",
                        (rc.edit(entry.key_node, _renamed(rc.code(entry.key_node), key, "params")),),
                        safe=False),
            )
        else:
            have = ", ".join(f"'{k}'" for k in d.keys) or "no keys"
            yield Report(
                CODE, d.node,
                f"group dict has no 'params' key (it has {have})",
                help="give every group its tensors: {'params': [...], ...}; "
                     "torch raises KeyError: 'params' when it builds the optimizer",
            )


def _renamed(key_src: str, old: str, new: str) -> str:
    """Rename a key in its own spelling: "lr" / 'lr' / a dict(...) keyword."""
    return key_src.replace(old, new, 1)
