"""One module per static rule.  Each exposes ``CODE`` and ``check(facts, rc)``.

A rule reads the facts the shared dataflow layer found (``pglint.static.dataflow``)
and yields ``Report`` values; it never parses or walks the tree on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from pglint.finding import Fix


@dataclass
class Report:
    code: str
    node: cst.CSTNode
    message: str
    help: str | None = None
    severity: str = ""
    fix: Fix | None = None
    # PG004: the key is a finding only if no project file reads it as a group key
    # (key, the custom optimizer class and its bases in this file)
    unless_read: tuple[str, tuple] | None = None


@dataclass
class RuleContext:
    """What a rule may ask of the engine: lines, source text, edits, settings."""

    line: Callable[[cst.CSTNode], int]
    code: Callable[[cst.CSTNode], str]
    edit: Callable[..., Any]  # edit(node, new_text) -> Edit
    extra_keys: frozenset = field(default_factory=frozenset)


def all_rules():
    from pglint.static.rules import (
        pg001_missing_params,
        pg002_iterator_reused,
        pg003_duplicate_parameters,
        pg004_unknown_key,
        pg005_invalid_value,
        pg006_unordered,
        pg007_uncalled,
        pg008_scheduler,
        pg009_model_change,
        pg010_requires_grad,
        pg011_name_membership,
        pg012_group_never_used,
        pg105_duplicate_in_group,
    )

    return [
        pg001_missing_params, pg002_iterator_reused, pg003_duplicate_parameters,
        pg004_unknown_key, pg005_invalid_value, pg006_unordered, pg007_uncalled,
        pg008_scheduler, pg009_model_change, pg010_requires_grad, pg011_name_membership,
        pg012_group_never_used, pg105_duplicate_in_group,
    ]


def optimizer_label(opt, rc: RuleContext) -> str:
    """``'opt' (SGD)`` or ``SGD(...) at line 7``."""
    if opt.name:
        return f"'{opt.name}' ({opt.cls.name})"
    return f"{opt.cls.name}(...) at line {rc.line(opt.node)}"


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
