"""The audit's result: findings plus a per-group table; text for humans, a dict for logs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pglint import codes
from pglint.finding import Finding

FAIL_LEVELS = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class GroupSummary:
    optimizer: str  # "" for a single optimizer, else "optimizer 0" / "optimizer 'disc'"
    optimizer_class: str
    index: int
    name: str | None
    tensors: int
    elements: int | None  # None when a lazy parameter has no size yet
    hyperparameters: dict[str, Any]  # every group key but params/param_names (JSON-safe)
    shown: dict[str, str] = field(default_factory=dict)  # the table's short view

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "optimizer_class": self.optimizer_class,
            "index": self.index,
            "name": self.name,
            "tensors": self.tensors,
            "elements": self.elements,
            "hyperparameters": self.hyperparameters,
        }


@dataclass(frozen=True)
class OptimizerSummary:
    label: str
    cls: str
    wrappers: tuple[str, ...]  # class names of the wrappers around it, outermost first


def rank(severity: str) -> int:
    return codes.SEVERITY_RANK.get(severity, 0)


def fails(findings: list[Finding], fail_on: str) -> list[Finding]:
    """The findings at or above ``fail_on`` ("error", "warning", "info"; "never": none)."""
    if fail_on not in FAIL_LEVELS:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_LEVELS)}, got {fail_on!r}")
    if fail_on == "never":
        return []
    return [f for f in findings if rank(f.severity) >= rank(fail_on)]


class AuditReport:
    """What ``pglint.audit`` found.  ``ok`` is True when nothing reaches warning level."""

    def __init__(self, findings: list[Finding], groups: list[GroupSummary],
                 optimizers: list[OptimizerSummary]) -> None:
        self.findings = list(findings)
        self.groups = list(groups)
        self.optimizers = list(optimizers)

    @property
    def ok(self) -> bool:
        return not fails(self.findings, "warning")

    def failures(self, fail_on: str = "warning") -> list[Finding]:
        return fails(self.findings, fail_on)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "optimizers": [
                {"label": o.label, "class": o.cls, "wrappers": list(o.wrappers)}
                for o in self.optimizers
            ],
            "groups": [g.to_dict() for g in self.groups],
            "findings": [f.to_dict() for f in self.findings],
        }

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<AuditReport {len(self.groups)} groups, {c['error']} errors, "
                f"{c['warning']} warnings, {c['info']} info>")

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _lines(self) -> list[str]:
        lines = []
        for o in self.optimizers:
            groups = [g for g in self.groups if g.optimizer == o.label]
            via = f" (via {', '.join(o.wrappers)})" if o.wrappers else ""
            tensors = sum(g.tensors for g in groups)
            elements = _total(g.elements for g in groups)
            head = f"{o.label}: " if o.label else ""
            lines.append(f"{head}{o.cls}{via}: {_n(len(groups), 'group')}, "
                         f"{_n(tensors, 'tensor')}, {_fmt_int(elements)} elements")
            lines.extend(_table(groups))
        lines.append("")
        if not self.findings:
            lines.append("no findings")
            return lines
        for f in self.findings:
            lines.append(f"{f.code} {f.severity}: {f.message} [{_code_name(f.code)}]")
            if f.help:
                lines.append(f"  help: {f.help}")
        c = self.counts()
        lines.append("")
        lines.append(f"{_n(c['error'], 'error')}, {_n(c['warning'], 'warning')}, "
                     f"{c['info']} info")
        return lines


def _code_name(code: str) -> str:
    c = codes.CODES.get(code)
    return c.name if c is not None else code


def _n(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _total(values) -> int | None:
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _fmt_int(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def _table(groups: list[GroupSummary]) -> list[str]:
    rows = [("group", "name", "tensors", "elements", "hyperparameters")]
    for g in groups:
        hp = " ".join(f"{k}={v}" for k, v in g.shown.items())
        rows.append((str(g.index), g.name or "-", str(g.tensors), _fmt_int(g.elements), hp))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    for r in rows:
        cells = [r[0].rjust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]),
                 r[3].rjust(widths[3]), r[4]]
        out.append(("  " + "  ".join(cells)).rstrip())
    return out


def fmt_value(v: Any) -> str:
    """A hyperparameter value, short: 0.001, (0.9, 0.999), True."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, float):
        return repr(v) if not math.isfinite(v) or len(repr(v)) <= 8 else f"{v:.4g}"
    if isinstance(v, (tuple, list)):
        inner = ", ".join(fmt_value(x) for x in v)
        return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
    if hasattr(v, "numel") and hasattr(v, "item"):
        x = _scalar(v)
        return fmt_value(x) if x is not None else f"<tensor {list(getattr(v, 'shape', []))}>"
    if isinstance(v, str):
        return repr(v)
    return repr(v) if len(repr(v)) <= 40 else f"<{type(v).__name__}>"


def json_value(v: Any) -> Any:
    """A JSON-safe copy of a hyperparameter value."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (tuple, list)):
        return [json_value(x) for x in v]
    if hasattr(v, "numel") and hasattr(v, "item"):
        x = _scalar(v)
        if x is not None:
            return json_value(x)
    return repr(v)


def _scalar(v: Any) -> Any:
    """The Python number in a one-element tensor, or None."""
    try:
        if v.numel() == 1 and not getattr(v, "is_meta", False):
            return v.item()
    except (RuntimeError, ValueError, TypeError):
        return None
    return None
