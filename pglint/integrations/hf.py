"""Hugging Face transformers: ``PglintTrainerCallback`` audits the Trainer's optimizer.

    from pglint.integrations.hf import PglintTrainerCallback
    trainer = Trainer(..., callbacks=[PglintTrainerCallback()])

The audit runs at ``on_train_begin``, with ``kwargs["model"]`` (the unwrapped model) and
``kwargs["optimizer"]`` (accelerate's ``AcceleratedOptimizer``; the audit unwraps it).
Then ``pglint.watch`` watches the first ``watch_steps`` optimizer steps (3; 0 turns it
off, naming ``kwargs["lr_scheduler"]``) and is reported at the ``on_step_end`` that ends
the window (or at ``on_train_end``).
``PglintTrainerCallback`` subclasses ``transformers.TrainerCallback``, so it is built on
first access and needs transformers installed; ``PglintTrainerAudit`` holds the logic
without the base class.  Options as for ``pglint.integrations.lightning``.
"""

from __future__ import annotations

from typing import Any

from pglint.integrations._common import AuditHook

__all__ = ["PglintTrainerAudit"]  # and PglintTrainerCallback, built on first access


class PglintTrainerAudit(AuditHook):
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        model, optimizer = kwargs.get("model"), kwargs.get("optimizer")
        if model is None or optimizer is None:
            return control
        main = bool(getattr(state, "is_world_process_zero", True))
        self._audit(model, optimizer, main_process=main)
        self._start_watch(model, optimizer, kwargs.get("lr_scheduler"), main_process=main)
        return control

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        self._poll_watch()
        return control

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        self._end_watch()
        return control


_built: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "PglintTrainerCallback":
        if name not in _built:
            try:
                from transformers import TrainerCallback
            except ImportError as e:
                raise ImportError(
                    "PglintTrainerCallback needs transformers: pip install transformers "
                    "(PglintTrainerAudit works without it)"
                ) from e
            _built[name] = type("PglintTrainerCallback", (PglintTrainerAudit, TrainerCallback),
                                {"__module__": __name__, "__doc__": PglintTrainerAudit.__doc__})
        return _built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
