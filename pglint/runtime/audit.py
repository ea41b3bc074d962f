"""``pglint.audit``: check live optimizers against the model they are meant to train.

The audit only reads.  It never calls ``.to()``, ``state_dict()`` or ``step()``, never
indexes ``optimizer.state`` (a defaultdict), never iterates a generator it did not
make, and leaves ``param_groups`` and every tensor as it found them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

from pglint import hyperparams
from pglint.runtime import args
from pglint.runtime.checks import CHECKS
from pglint.runtime.context import Context, OptimizerView, Options, elements_of
from pglint.runtime.report import (
    AuditReport,
    GroupSummary,
    OptimizerSummary,
    fails,
    fmt_value,
    json_value,
)
from pglint.runtime.unwrap import as_optimizer_list

__all__ = ["AuditError", "AuditReport", "assert_audit", "audit"]


class AuditError(AssertionError):
    """Raised by ``assert_audit``; ``str(err)`` is the readable report, ``err.report`` the report."""

    def __init__(self, report: AuditReport) -> None:
        super().__init__(str(report))
        self.report = report


def audit(
    model: Any,
    optimizers: Any,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extra_keys: Iterable[str] = (),
    no_decay: bool = True,
) -> AuditReport:
    """Audit ``optimizers`` (one, a list, or a dict name -> optimizer) against ``model``.

    ``model`` may be wrapped (DDP, ``torch.compile``, FSDP1); parameters are matched by
    identity and reported by their names in the unwrapped model.  ``select``/``ignore``
    take codes or prefixes ("PG1"); ``extra_keys`` are group keys your code reads;
    ``no_decay=False`` turns off the no-decay-on-bias/norm policy (PG106).
    """
    options = Options(**args.options(select=select, ignore=ignore, extra_keys=extra_keys,
                                     no_decay=no_decay))
    with _gc_paused():
        ctx = Context(model, as_optimizer_list(optimizers), options)
        findings = []
        for code, check in CHECKS.items():
            if ctx.selected(code):
                findings.extend(f for f in check(ctx) if ctx.selected(f.code))
        return AuditReport(findings, _group_summaries(ctx), _optimizer_summaries(ctx))


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while the audit indexes the model: its many small
    allocations would otherwise trigger full collections that walk every live tensor
    (ten times the audit's own cost on a stepped 10,000-tensor optimizer).  The
    collector's previous state is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def assert_audit(model: Any, optimizers: Any, *, fail_on: str = "warning", **options: Any) -> AuditReport:
    """``audit`` and raise ``AuditError`` (message: the report) on findings at/above ``fail_on``."""
    args.fail_on(fail_on)
    report = audit(model, optimizers, **options)
    if fails(report.findings, fail_on):
        raise AuditError(report)
    return report


# -- the per-group table ------------------------------------------------------------------
_ALWAYS_SHOWN = ("lr", "weight_decay")
_NOT_SHOWN = hyperparams.BOOKKEEPING_KEYS | hyperparams.scheduler_keys() | {"name", "group_name"}


def _shown(ov: OptimizerView, group: dict) -> dict[str, str]:
    defaults = getattr(ov.opt, "defaults", None) or {}
    out = {}
    for key in _ALWAYS_SHOWN:
        if key in group:
            out[key] = fmt_value(group[key])
    for key, value in group.items():
        if not isinstance(key, str) or key in out or key in _NOT_SHOWN:
            continue
        if key in defaults and _same(defaults[key], value):
            continue
        out[key] = fmt_value(value)
    return out


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(type(a) is type(b) and a == b) or (
            isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and list(a) == list(b)
        )
    except (RuntimeError, TypeError, ValueError):  # tensors: no plain truth value
        return False


def _group_summaries(ctx: Context) -> list[GroupSummary]:
    out = []
    for ov in ctx.optimizers:
        for gv in ov.groups:
            out.append(GroupSummary(
                optimizer=ov.label,
                optimizer_class=ov.class_name,
                index=gv.index,
                name=gv.name,
                tensors=len(gv.params),
                elements=elements_of(gv.params),
                hyperparameters={
                    str(k): json_value(v) for k, v in gv.group.items()
                    if k not in hyperparams.BOOKKEEPING_KEYS
                },
                shown=_shown(ov, gv.group),
            ))
    return out


def _optimizer_summaries(ctx: Context) -> list[OptimizerSummary]:
    return [
        OptimizerSummary(ov.label, ov.class_name, tuple(type(o).__name__ for o in ov.chain[:-1]))
        for ov in ctx.optimizers
    ]
