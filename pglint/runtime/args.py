"""Argument checks for the runtime entry points, made once, up front.

Every public runtime call (``audit``, ``assert_audit``, ``check_ranks``, the framework
hooks) passes its arguments through here before it reads anything, so a bad argument
is a ``TypeError`` / ``ValueError`` that names it, never an error from deep inside.
This module imports torch only inside the functions that need it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pglint import codes
from pglint.runtime.report import FAIL_LEVELS


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def strings(value: Any, what: str, example: str) -> tuple[str, ...]:
    """A list/tuple/set of strings; a bare string is refused (it is not split into letters)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of strings, e.g. {what}={example}; "
                        f"got the string {value!r}")
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a list of strings, e.g. {what}={example}; "
                        f"got {_kind(value)}")
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{what}[{i}] must be a string, got {_kind(item)}")
    return items


def patterns(value: Any, what: str) -> tuple[str, ...] | None:
    """``select`` / ``ignore``: None, or codes and prefixes that each name a pglint code."""
    if value is None:
        return None
    items = strings(value, what, '["PG1"]')
    bad = codes.unknown_patterns(items)
    if bad:
        raise ValueError(f"{what} names no pglint code: {', '.join(bad)}")
    return items


def flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {_kind(value)}")
    return value


def fail_on(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"fail_on must be one of {', '.join(FAIL_LEVELS)}, got {_kind(value)}")
    if value not in FAIL_LEVELS:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_LEVELS)}, got {value!r}")
    return value


def timeout(value: Any) -> float:
    """A positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {_kind(value)}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {value!r}")
    return float(value)


def options(*, select: Any = None, ignore: Any = None, extra_keys: Any = (),
            no_decay: Any = True) -> dict[str, Any]:
    """The audit's keyword options, checked (the fields of ``context.Options``)."""
    return {
        "select": patterns(select, "select"),
        "ignore": patterns(ignore, "ignore"),
        "extra_keys": frozenset(strings(extra_keys, "extra_keys", '["my_scale"]')),
        "no_decay": flag(no_decay, "no_decay"),
    }


def model_items(model: Any) -> list[tuple[str, Any]]:
    """(prefix, module) pairs: one model, a dict name -> module, or a list of modules."""
    import torch

    if isinstance(model, torch.nn.Module):
        return [("", model)]
    if isinstance(model, Mapping):
        items = [(k, m, f"model[{k!r}]") for k, m in model.items()]
        for k, _, where in items:
            if not isinstance(k, str):
                raise TypeError(f"model must map names (strings) to modules; {where} has a "
                                f"{_kind(k)} key")
    elif isinstance(model, (list, tuple)):
        items = [(str(i), m, f"model[{i}]") for i, m in enumerate(model)]
    else:
        raise TypeError("model must be a torch.nn.Module, a list of modules or a dict "
                        f"name -> module, got {_kind(model)}")
    for _, m, where in items:
        if not isinstance(m, torch.nn.Module):
            raise TypeError(f"{where} must be a torch.nn.Module, got {_kind(m)}")
    return [(f"{k}.", m) for k, m, _ in items]


def param_groups(opt: Any, where: str) -> None:
    """``opt.param_groups`` must be a list of dicts, each with 'params'."""
    groups = getattr(opt, "param_groups", None)
    if not isinstance(groups, (list, tuple)):
        raise TypeError(f"{where}.param_groups must be a list of dicts, got {_kind(groups)}")
    for gi, group in enumerate(groups):
        if not isinstance(group, Mapping):
            raise TypeError(f"{where}.param_groups[{gi}] must be a dict, got {_kind(group)}")
        if "params" not in group:
            raise ValueError(f"{where}.param_groups[{gi}] has no 'params' key")
