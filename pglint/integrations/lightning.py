"""Lightning: ``PglintCallback`` audits ``trainer.optimizers`` against the LightningModule.

    from pglint.integrations.lightning import PglintCallback
    trainer = L.Trainer(callbacks=[PglintCallback()])

The audit runs at ``on_train_start``, where values restored from a checkpoint are in
place; then ``pglint.watch`` watches the first ``watch_steps`` optimizer steps (3; 0 turns
it off, naming the trainer's lr schedulers) and is reported at the end of the training
batch that ends the window (or at ``on_train_end``).  ``PglintCallback`` subclasses Lightning's ``Callback``, so it is built on first
access and needs ``lightning`` (or ``pytorch_lightning``) installed; importing this module
does not import Lightning.  ``PglintAudit`` holds the logic without the base class.
Options: ``fail_on`` ("error" by default: raise ``pglint.AuditError`` and stop the run),
``watch_steps`` and any ``pglint.audit`` option (``ignore``, ``select``, ``extra_keys``, ``no_decay``).
"""

from __future__ import annotations

from typing import Any

from pglint.integrations._common import AuditHook

__all__ = ["PglintAudit"]  # and PglintCallback, built on first access


class PglintAudit(AuditHook):
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        main = bool(getattr(trainer, "is_global_zero", True))
        optimizers = list(trainer.optimizers or [])
        if not optimizers:  # configure_optimizers returned None: nothing to audit
            return
        self._audit(pl_module, optimizers, main_process=main)
        schedulers = [getattr(c, "scheduler", c)
                      for c in getattr(trainer, "lr_scheduler_configs", None) or ()]
        self._start_watch(pl_module, optimizers, schedulers, main_process=main)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any, **kwargs: Any) -> None:
        self._poll_watch()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._end_watch()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._abort_watch()


def _callback_base() -> type:
    try:
        from lightning.pytorch import Callback
    except ImportError:
        try:
            from pytorch_lightning import Callback
        except ImportError as e:
            raise ImportError(
                "PglintCallback needs Lightning: pip install lightning "
                "(PglintAudit works without it)"
            ) from e
    return Callback


_built: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "PglintCallback":
        if name not in _built:
            _built[name] = type("PglintCallback", (PglintAudit, _callback_base()),
                                {"__module__": __name__, "__doc__": PglintAudit.__doc__})
        return _built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
