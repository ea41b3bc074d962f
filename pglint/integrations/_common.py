"""What the framework callbacks share: run the audit, log the report, stop on failures."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("pglint")


class AuditHook:
    """Audit once, log the report (on the main process), raise ``AuditError`` on failures.

    ``fail_on`` defaults to "error": a callback runs inside a launched job, where a
    warning (decay on a bias, an unknown key) is worth a log line, not a stopped run.
    Then ``pglint.watch`` watches the first ``watch_steps`` optimizer steps (0: off) and
    its report is logged and judged the same way once the window is over.
    """

    def __init__(self, *, fail_on: str = "error", watch_steps: int = 3, select: Any = None,
                 ignore: Any = None, extra_keys: Any = (), no_decay: bool = True) -> None:
        from pglint.runtime import args

        # checked here, at construction, not when training starts
        self.fail_on = args.fail_on(fail_on)
        if isinstance(watch_steps, bool) or not isinstance(watch_steps, int) or watch_steps < 0:
            raise ValueError(f"watch_steps must be an int >= 0, got {watch_steps!r}")
        self.watch_steps = watch_steps
        args.options(select=select, ignore=ignore, extra_keys=extra_keys, no_decay=no_decay)
        self.options = {"select": select, "ignore": ignore, "extra_keys": extra_keys,
                        "no_decay": no_decay}
        self.report = None
        self.watch = None
        self.watch_report = None
        self._main = True

    def _audit(self, model: Any, optimizers: Any, *, main_process: bool = True) -> Any:
        from pglint.runtime.audit import AuditError, audit
        from pglint.runtime.report import fails

        report = audit(model, optimizers, **self.options)
        self.report = report
        if main_process:
            if report.findings:
                logger.warning("pglint audit:\n%s", report)
            else:
                logger.info("pglint audit: no findings")
        if fails(report.findings, self.fail_on):
            raise AuditError(report)
        return report

    def _start_watch(self, model: Any, optimizers: Any, schedulers: Any = None, *,
                     main_process: bool = True) -> None:
        from pglint.runtime.watch import watch

        self._main = main_process
        if self.watch_steps and self.watch is None:
            self.watch = watch(model, optimizers, self.watch_steps, schedulers=schedulers,
                               fail_on="never", **self.options)

    def _poll_watch(self) -> None:
        """After a training step: report once the window is over."""
        if self.watch is not None and self.watch.done and self.watch_report is None:
            self._end_watch()

    def _end_watch(self) -> None:
        """Report what the watch saw (training ended early: the steps there were)."""
        from pglint.runtime.audit import AuditError
        from pglint.runtime.report import fails

        if self.watch is None or self.watch_report is not None:
            return
        report = self.watch_report = self.watch.report()
        if self._main:
            if report.findings:
                logger.warning("pglint watch:\n%s", report)
            else:
                logger.info("pglint watch: no findings in the first %d steps", self.watch_steps)
        if fails(report.findings, self.fail_on):
            raise AuditError(report)

    def _abort_watch(self) -> None:
        if self.watch is not None:
            self.watch.close()
