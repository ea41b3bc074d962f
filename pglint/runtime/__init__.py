"""Runtime audit of live optimizers (needs torch).

``audit``, ``assert_audit``, ``AuditReport``, ``AuditError`` and ``watch`` load lazily, so
``pglint.runtime.command`` (the ``pglint audit`` entry point) imports without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_FROM = {
    "AuditError": "audit", "AuditReport": "audit", "assert_audit": "audit", "audit": "audit",
    "Watch": "watch", "WatchReport": "watch", "watch": "watch",
}
__all__ = sorted(_FROM)


def __getattr__(name: str) -> Any:
    if name in _FROM:
        mod = importlib.import_module(f"pglint.runtime.{_FROM[name]}")
        # importing a submodule bound its name ('audit', 'watch') to it; rebind the public names
        globals().update({n: getattr(mod, n) for n, m in _FROM.items() if m == _FROM[name]})
        return globals()[name]
    raise AttributeError(f"module 'pglint.runtime' has no attribute {name!r}")
