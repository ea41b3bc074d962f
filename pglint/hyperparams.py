"""What torch optimizers read from a parameter group, and which values they accept.

Shared by the static pass and the runtime audit so PG004 and PG005 mean the same
fault in a source file and in a live optimizer.  The per-class key lists come from
``catalog.json`` (generated from torch by ``scripts/gen_catalog.py``); the runtime
audit reads the live optimizer's ``defaults`` instead where it has them.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

_CATALOG_PATH = Path(__file__).with_name("catalog.json")

#: keys every group may carry: torch's own bookkeeping
BOOKKEEPING_KEYS = frozenset({"params", "param_names"})

#: keys that widely used frameworks and schedulers read from groups (FIELD_NOTES); a
#: project adds its own with ``extra-keys`` in ``[tool.pglint]`` or ``extra_keys=`` in audit()
FRAMEWORK_KEYS = frozenset(
    {
        "name", "group_name", "lr_scale", "lr_mult", "decay_mult", "wd_mult",
        "use_fallback", "is_expert_parallel",
    }
)

# words people write for a hyperparameter that have no spelling in common with it
_SYNONYMS = {
    "learning_rate": "lr", "learningrate": "lr", "lr_rate": "lr", "l_r": "lr", "rate": "lr",
    "wd": "weight_decay", "weightdecay": "weight_decay", "weight_decays": "weight_decay",
    "weight_decay_rate": "weight_decay", "decay_rate": "weight_decay", "l2": "weight_decay",
    "l2_reg": "weight_decay",
    "epsilon": "eps", "beta": "betas", "momentun": "momentum", "mom": "momentum",
    "param": "params", "parameters": "params", "parameter": "params", "param_list": "params",
}


@lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    return json.loads(_CATALOG_PATH.read_text(encoding="utf-8"))


def torch_optimizers() -> dict[str, dict[str, Any]]:
    """``{'Adam': {'keys': [...], 'defaults': {...}}, ...}`` for torch.optim's classes."""
    return catalog()["optimizers"]


def scheduler_keys() -> frozenset[str]:
    """Keys torch's LR schedulers add or read (``initial_lr``, ``max_lr``, ...)."""
    return frozenset(catalog()["scheduler_keys"])


def always_readable() -> frozenset[str]:
    return BOOKKEEPING_KEYS | scheduler_keys() | FRAMEWORK_KEYS


def did_you_mean(key: str, candidates: Iterable[str]) -> str | None:
    """The one hyperparameter ``key`` is a near-miss of, or None when none or several are."""
    cands = sorted(set(candidates))
    if key in cands:
        return None
    low = key.lower()
    syn = _SYNONYMS.get(low)
    if syn is not None and syn in cands:
        return syn
    if low in cands:
        return low
    # plural/singular slips and close spellings (momentun, weight_decays, eps_)
    close = difflib.get_close_matches(low, cands, n=2, cutoff=0.8)
    if len(close) == 1:
        return close[0]
    if len(close) > 1 and difflib.SequenceMatcher(None, low, close[0]).ratio() > (
        difflib.SequenceMatcher(None, low, close[1]).ratio()
    ):
        return close[0]
    return None


def _real(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    # a one-element tensor (torch allows Tensor lr / betas); duck-typed so no torch import
    item = getattr(v, "item", None)
    numel = getattr(v, "numel", None)
    if callable(item) and callable(numel):
        try:
            if numel() == 1:
                x = item()
                return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None
        except Exception:
            return None
    return None


def _nonneg(key: str, v: Any) -> str | None:
    x = _real(v)
    if x is None:
        if isinstance(v, str):
            return f"'{key}' is the string {v!r}, not a number"
        return None if v is None else f"'{key}' is {type(v).__name__}, not a number"
    if x < 0:
        return f"'{key}' is negative ({_fmt(x)})"
    return None


def _eps(v: Any) -> str | None:
    """eps >= 0; Adafactor's eps is a pair whose elements may be None."""
    if isinstance(v, (tuple, list)):
        for i, e in enumerate(v):
            if e is not None:
                problem = _nonneg(f"eps[{i}]", e)
                if problem is not None:
                    return problem
        return None
    return _nonneg("eps", v)


def _fmt(x: float) -> str:
    return repr(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _betas(v: Any) -> str | None:
    if isinstance(v, str):
        return f"'betas' is the string {v!r}, not a pair of numbers"
    try:
        pair = list(v)
    except TypeError:
        return f"'betas' is {type(v).__name__}, not a pair of numbers"
    if len(pair) != 2:
        return f"'betas' has {len(pair)} values, not 2"
    for i, b in enumerate(pair):
        x = _real(b)
        if x is None:
            return f"'betas[{i}]' is not a number"
        if not 0.0 <= x < 1.0:
            return f"'betas[{i}]' is {_fmt(x)}, outside [0, 1)"
    return None


def _range(key: str, lo: float, hi: float, hi_open: bool = False):
    def check(v: Any) -> str | None:
        x = _real(v)
        if x is None:
            return _nonneg(key, v)
        bad = x < lo or (x >= hi if hi_open else x > hi)
        close = ")" if hi_open else "]"
        return f"'{key}' is {_fmt(x)}, outside [{_fmt(lo)}, {_fmt(hi)}{close}" if bad else None

    return check


def _etas(v: Any) -> str | None:
    try:
        a, b = (_real(x) for x in v)
    except (TypeError, ValueError):
        return "'etas' is not a pair of numbers"
    if a is None or b is None:
        return "'etas' is not a pair of numbers"
    if not 0.0 < a < 1.0 < b:
        return f"'etas' is ({_fmt(a)}, {_fmt(b)}); torch requires 0 < etas[0] < 1 < etas[1]"
    return None


# key -> check; applied where the optimizer class has the key (torch's own ctor checks)
_VALUE_CHECKS = {
    "lr": lambda v: _nonneg("lr", v),
    "eps": lambda v: _eps(v),
    "weight_decay": lambda v: _nonneg("weight_decay", v),
    "momentum": lambda v: _nonneg("momentum", v),
    "betas": _betas,
    "rho": _range("rho", 0.0, 1.0),
    "alpha": lambda v: _nonneg("alpha", v),
    "lr_decay": lambda v: _nonneg("lr_decay", v),
    "initial_accumulator_value": lambda v: _nonneg("initial_accumulator_value", v),
    "momentum_decay": lambda v: _nonneg("momentum_decay", v),
    "etas": _etas,
}

#: checks that hold for any optimizer, torch's or not
UNIVERSAL_KEYS = frozenset({"lr"})


def _nonfinite(v: Any) -> bool:
    x = _real(v)
    if x is not None:
        return not math.isfinite(x)
    if isinstance(v, (tuple, list)):
        return any(_nonfinite(e) for e in v)
    return False


def check_value(key: str, value: Any, class_keys: Iterable[str] | None) -> str | None:
    """Why ``value`` is invalid for group key ``key``, or None.

    ``class_keys`` are the optimizer's hyperparameters; None means an optimizer pglint
    knows nothing about, where only universal checks apply.
    """
    if key in BOOKKEEPING_KEYS:
        return None
    if _nonfinite(value):
        return f"'{key}' is not finite ({value!r})"
    keys = UNIVERSAL_KEYS if class_keys is None else set(class_keys)
    check = _VALUE_CHECKS.get(key)
    if check is None or key not in keys:
        return None
    return check(value)


def check_nesterov(group: dict[str, Any], class_keys: Iterable[str] | None) -> str | None:
    """SGD-style ``nesterov=True`` needs momentum > 0 and dampening == 0 in the same group.

    ``group`` maps keys to values with the constructor's defaults already filled in.
    """
    if class_keys is None or "nesterov" not in set(class_keys) or group.get("nesterov") is not True:
        return None
    m = _real(group.get("momentum", 0))
    if m is not None and m <= 0:
        return f"'nesterov' is True but momentum is {_fmt(m)}; torch requires momentum > 0"
    if "dampening" in set(class_keys):
        d = _real(group.get("dampening", 0))
        if d is not None and d != 0:
            return f"'nesterov' is True but dampening is {_fmt(d)}; torch requires dampening 0"
    return None
