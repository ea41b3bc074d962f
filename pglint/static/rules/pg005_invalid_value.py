"""PG005: a literal group value torch would reject in the constructor but accepts in a group."""

from __future__ import annotations

from pglint import hyperparams
from pglint.static.rules import Report, RuleContext
from pglint.static.values import Const

CODE = "PG005"


def check(facts, rc: RuleContext):
    # a helper's dict reaches optimizers once per call, and the caller's keywords
    # (``**overrides``) go into every dict the helper spreads them in: one report per place
    seen = set()
    for report in _reports(facts):
        once = (id(report.node), report.message)
        if once not in seen:
            seen.add(once)
            yield report


def _reports(facts):
    for d, opt in facts.dicts_to_optimizer:
        keys = opt.cls.keys
        for key, entry in d.keys.items():
            if not isinstance(entry.value, Const):
                continue
            problem = hyperparams.check_value(key, entry.value.value, keys)
            if problem is not None:
                where = f" (written at {entry.origin})" if entry.origin else ""
                yield Report(CODE, entry.value_node,
                             f"{problem}{where}; {opt.cls.name} never validates group values",
                             help=_HELP.get(key, "torch validates constructor arguments only; "
                                                 "fix the value"))
        nesterov = d.keys.get("nesterov")
        if nesterov is None or not isinstance(nesterov.value, Const):
            continue
        effective = _effective(d, opt)
        if effective is None:
            continue
        problem = hyperparams.check_nesterov(effective, keys)
        if problem is not None:
            where = f" (written at {nesterov.origin})" if nesterov.origin else ""
            yield Report(CODE, nesterov.value_node,
                         f"{problem}{where}; {opt.cls.name} never validates group values",
                         help="set momentum > 0 and dampening=0 in the group, or drop nesterov")


def _effective(d, opt):
    """The group's values with the constructor's keywords and defaults filled in."""
    out = dict(opt.cls.defaults)
    for k, (v, _node) in opt.kwargs.items():
        out[k] = v.value if isinstance(v, Const) else _UNKNOWN
    for k, e in d.keys.items():
        out[k] = e.value.value if isinstance(e.value, Const) else _UNKNOWN
    if any(out.get(k) is _UNKNOWN for k in ("nesterov", "momentum", "dampening")):
        return None
    return out


_UNKNOWN = object()
_HELP = {
    "lr": "a negative lr climbs the loss; torch checks lr only in the constructor",
    "eps": "eps < 0 divides by ~0 and gives NaN; torch checks eps only in the constructor",
    "betas": "each beta must be in [0, 1); torch checks betas only in the constructor",
    "weight_decay": "negative weight decay grows the weights; use 0 to disable decay",
    "momentum": "momentum must be >= 0; torch checks it only in the constructor",
}
