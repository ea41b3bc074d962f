"""Peel wrappers off models and optimizers without touching them.

Wrappers are recognised by duck typing (class name and attribute), so no optional
framework is ever imported: DDP / DataParallel (``.module``), ``torch.compile``'s
``OptimizedModule`` (``._orig_mod``), FSDP1 (``._fsdp_wrapped_module``), Lightning's
strategy wrapper (``._forward_module``); accelerate's ``AcceleratedOptimizer``
(``.optimizer``), Lightning's ``LightningOptimizer`` (``._optimizer``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: attribute that holds the wrapped module, by wrapper class name
_MODEL_WRAPPERS = {
    "DistributedDataParallel": "module",
    "DataParallel": "module",
    "OptimizedModule": "_orig_mod",
    "FullyShardedDataParallel": "_fsdp_wrapped_module",
    "CheckpointWrapper": "_checkpoint_wrapped_module",
    "OffloadWrapper": "_checkpoint_wrapped_module",
    "_LightningModuleWrapperBase": "_forward_module",
    "_FabricModule": "_forward_module",
}

#: name components wrappers insert anywhere in a parameter's name; dropped when reporting
WRAPPER_COMPONENTS = frozenset(
    {"_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module", "_forward_module"}
)


def unwrap_model(model: Any) -> tuple[Any, list[str]]:
    """The innermost module and the name prefixes the outer wrappers added (``['module.']``)."""
    prefixes: list[str] = []
    seen = set()
    while id(model) not in seen:
        seen.add(id(model))
        attr = next(
            (_MODEL_WRAPPERS[c.__name__] for c in type(model).__mro__ if c.__name__ in _MODEL_WRAPPERS),
            None,
        )
        inner = getattr(model, attr, None) if attr else None
        if inner is None or not hasattr(inner, "named_parameters"):
            break
        prefixes.append(attr + ".")
        model = inner
    return model, prefixes


def clean_name(name: str, prefixes: Iterable[str] = ()) -> str:
    """``name`` as the unwrapped model spells it: wrapper prefixes and components dropped."""
    for prefix in prefixes:
        name = name.removeprefix(prefix)
    if "_" not in name or not any(w in name for w in WRAPPER_COMPONENTS):
        return name
    return ".".join(p for p in name.split(".") if p not in WRAPPER_COMPONENTS)


def _is_optimizer(obj: Any) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "state")


def unwrap_optimizer(opt: Any) -> tuple[Any, list[Any]]:
    """The innermost optimizer and the chain of objects from ``opt`` to it (``opt`` first).

    A wrapper is an object whose ``.optimizer`` / ``._optimizer`` is itself an optimizer
    (accelerate's ``AcceleratedOptimizer`` subclasses torch's Optimizer and forwards to it).
    """
    chain = [opt]
    while True:
        inner = _inner_optimizer(opt)
        if inner is None or any(inner is c for c in chain):
            break
        chain.append(inner)
        opt = inner
    if not _is_optimizer(opt):
        raise TypeError(
            "expected a torch optimizer (or a wrapper of one), got "
            f"{'None' if chain[0] is None else type(chain[0]).__name__}"
        )
    return opt, chain


@dataclass(frozen=True)
class OptimizerArg:
    label: str  # "optimizer 0", "optimizer 'disc'", or "" when there is only one
    obj: Any  # what the user passed


def as_optimizer_list(optimizers: Any) -> list[OptimizerArg]:
    """One optimizer, a mapping name -> optimizer, or an iterable of optimizers, checked.

    A generator is materialised once (it is the caller's own object); the optimizers
    themselves are never iterated.  Each must be an optimizer (or a wrapper of one)
    whose ``param_groups`` is a list of dicts with 'params'; anything else is a
    ``TypeError`` / ``ValueError`` naming it.
    """
    from pglint.runtime import args

    if _is_optimizer(optimizers) or _inner_optimizer(optimizers) is not None:
        items = [(OptimizerArg("", optimizers), "optimizer")]
    elif isinstance(optimizers, Mapping):
        items = [(OptimizerArg(f"optimizer {k!r}", v), f"optimizers[{k!r}]")
                 for k, v in optimizers.items()]
    elif isinstance(optimizers, Iterable) and not isinstance(optimizers, (str, bytes)):
        items = [(OptimizerArg(f"optimizer {i}", o), f"optimizers[{i}]")
                 for i, o in enumerate(list(optimizers))]
    else:
        raise TypeError(
            "optimizers must be an optimizer, a list of optimizers or a dict name -> optimizer, "
            f"got {'None' if optimizers is None else type(optimizers).__name__}"
        )
    if not items:
        raise ValueError("optimizers is empty: pass at least one optimizer")
    for arg, where in items:
        try:
            inner, _ = unwrap_optimizer(arg.obj)
        except TypeError as e:
            raise TypeError(f"{where}: {e}") from None
        args.param_groups(inner, where)
    if len(items) == 1:
        return [OptimizerArg("", items[0][0].obj)]
    return [arg for arg, _ in items]


def _inner_optimizer(obj: Any) -> Any:
    """``obj.optimizer`` or ``obj._optimizer`` when it is an optimizer (instance attributes only)."""
    attrs = getattr(obj, "__dict__", None) or {}
    for attr in ("optimizer", "_optimizer"):
        cand = attrs.get(attr)
        if cand is not None and cand is not obj and _is_optimizer(cand):
            return cand
    return None
