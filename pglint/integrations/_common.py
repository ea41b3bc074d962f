"""What the framework callbacks share: run the audit, log the report, stop on failures."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("pglint")


class AuditHook:
    """Audit once, log the report (on the main process), raise ``AuditError`` on failures.

    ``fail_on`` defaults to "error": a callback runs inside a launched job, where a
    warning (decay on a bias, an unknown key) is worth a log line, not a stopped run.
    """

    def __init__(self, *, fail_on: str = "error", select: Any = None, ignore: Any = None,
                 extra_keys: Any = (), no_decay: bool = True) -> None:
        from pglint.runtime import args

        # checked here, at construction, not when training starts
        self.fail_on = args.fail_on(fail_on)
        args.options(select=select, ignore=ignore, extra_keys=extra_keys, no_decay=no_decay)
        self.options = {"select": select, "ignore": ignore, "extra_keys": extra_keys,
                        "no_decay": no_decay}
        self.report = None

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
