"""pglint: find silent mistakes in PyTorch optimizer parameter groups.

The static pass (``pglint check``) needs only libcst.  The runtime audit
(``pglint.audit``) needs torch and is imported lazily, so ``import pglint`` never
imports torch.
"""

from __future__ import annotations

from typing import Any

from pglint.finding import Finding

__version__ = "0.1.0"

_RUNTIME = {"audit", "assert_audit", "AuditReport", "AuditError", "watch", "Watch", "WatchReport"}

__all__ = ["AuditError", "AuditReport", "Finding", "Watch", "WatchReport", "__version__",
           "assert_audit", "audit", "watch"]


def __getattr__(name: str) -> Any:
    if name in _RUNTIME:
        import importlib

        from pglint.runtime import _FROM

        # from the defining module: once pglint.runtime.watch (the module) is imported,
        # the attribute pglint.runtime.watch is that module, not the function
        return getattr(importlib.import_module(f"pglint.runtime.{_FROM[name]}"), name)
    raise AttributeError(f"module 'pglint' has no attribute {name!r}")
