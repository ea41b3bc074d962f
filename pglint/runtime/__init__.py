"""Runtime audit of live optimizers (needs torch).

``audit``, ``assert_audit``, ``AuditReport`` and ``AuditError`` load lazily, so
``pglint.runtime.command`` (the ``pglint audit`` entry point) imports without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["AuditError", "AuditReport", "assert_audit", "audit"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        mod = importlib.import_module("pglint.runtime.audit")
        # importing the submodule bound the name 'audit' to it; rebind the public names
        globals().update({n: getattr(mod, n) for n in __all__})
        return globals()[name]
    raise AttributeError(f"module 'pglint.runtime' has no attribute {name!r}")
