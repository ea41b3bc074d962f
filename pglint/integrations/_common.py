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

    def __init__(self, *, fail_on: str = "error", **options: Any) -> None:
        from pglint.runtime.report import FAIL_LEVELS

        if fail_on not in FAIL_LEVELS:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_LEVELS)}, got {fail_on!r}")
        self.fail_on = fail_on
        self.options = options
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
