"""A read-only index of a model and its optimizers, built once per audit.

Everything here only reads: ``module._parameters``, ``optimizer.param_groups``,
``optimizer.defaults`` and (in checks) ``optimizer.state.get(p)`` (``state`` is a
defaultdict; indexing it would insert an entry).  Parameters are keyed by ``id`` and
kept alive by the index itself, so ids stay unique for the audit's lifetime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from pglint import hyperparams
from pglint.runtime import args
from pglint.runtime.unwrap import OptimizerArg, clean_name, unwrap_model, unwrap_optimizer


@dataclass
class GroupView:
    opt_index: int
    index: int
    group: dict  # the live dict, never written
    params: list  # the group's tensors, in order (a new list)
    names: list | None  # the group's 'param_names', if any
    label: str  # "group 1 ('head')" / "optimizer 1 group 0 ('head')"
    subject: str  # "group 1" / "optimizer 1 group 0"
    name: str | None


@dataclass
class OptimizerView:
    index: int
    label: str  # "" when only one optimizer was given, else "optimizer 0" / "optimizer 'disc'"
    obj: Any  # what the user passed
    opt: Any  # the innermost optimizer
    chain: list
    hyper_keys: frozenset  # keys of `defaults` along the wrapper chain
    class_keys: list | None  # catalog keys of the nearest torch.optim class in the MRO
    torch_class: str | None  # that class's name
    torch_step: bool  # step() is torch's own (not overridden by a subclass)
    groups: list[GroupView] = field(default_factory=list)

    @property
    def class_name(self) -> str:
        return type(self.opt).__name__


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    extra_keys: frozenset = frozenset()
    no_decay: bool = True


def _torch_class(opt: Any) -> tuple[str | None, list | None, bool]:
    catalog = hyperparams.torch_optimizers()
    nearest = None
    for cls in type(opt).__mro__:
        if cls.__module__.startswith("torch.optim") and cls.__name__ in catalog:
            nearest = cls
            break
    if nearest is None:
        return None, None, False
    step_owner = next((c for c in type(opt).__mro__ if "step" in vars(c)), None)
    torch_step = step_owner is not None and step_owner.__module__.startswith("torch.optim")
    return nearest.__name__, list(catalog[nearest.__name__]["keys"]), torch_step


def _tensors(value: Any) -> list | None:
    """A group's 'params' as a list of tensors, without consuming anything."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for t in value if isinstance(t, torch.Tensor)]
    return None  # an iterator put there by hand: never iterate it


class Context:
    def __init__(self, model: Any, optimizers: list[OptimizerArg], options: Options) -> None:
        self.options = options
        self.params: dict[int, torch.Tensor] = {}  # model parameters by id, model order
        self.names: dict[int, list[str]] = {}  # id -> every name (tied weights have several)
        self.by_name: dict[str, torch.Tensor] = {}
        self.owners: dict[int, list[tuple[torch.nn.Module, str]]] = {}
        self.prefixes: list[str] = []
        self._suffixes: dict[str, list[str]] | None = None
        for top, module in args.model_items(model):
            inner, prefixes = unwrap_model(module)
            self.prefixes += [top + p for p in prefixes] + prefixes
            params, names, owners, by_name = self.params, self.names, self.owners, self.by_name
            for mod_name, mod in _named_modules(inner):
                local_params = getattr(mod, "_parameters", None)
                if not local_params:
                    continue
                stem = clean_name(top + mod_name) if mod_name else top.rstrip(".")
                stem = stem + "." if stem else ""
                for local, p in local_params.items():
                    if p is None:
                        continue
                    full = stem + local
                    key = id(p)
                    if key not in params:  # the common case: first sight
                        params[key] = p
                        names[key] = [full]
                        owners[key] = [(mod, local)]
                    else:  # tied or shared: another name for the same Parameter
                        if full not in names[key]:
                            names[key].append(full)
                        if not any(m is mod and n == local for m, n in owners[key]):
                            owners[key].append((mod, local))
                    by_name.setdefault(full, p)

        self.optimizers: list[OptimizerView] = []
        #: id -> [(optimizer index, group index, position)] for every optimizer tensor
        self.where: dict[int, list[tuple[int, int, int]]] = {}
        self.tensors: dict[int, torch.Tensor] = {}  # every optimizer tensor by id
        self.shared: set[int] = set()  # ids listed more than once (in any groups)
        several = len(optimizers) > 1
        for oi, arg in enumerate(optimizers):
            opt, chain = unwrap_optimizer(arg.obj)
            keys: set = set()
            for o in chain:
                d = getattr(o, "defaults", None)
                if isinstance(d, Mapping):
                    keys |= set(d)
            cname, ckeys, tstep = _torch_class(opt)
            view = OptimizerView(oi, arg.label, arg.obj, opt, chain, frozenset(keys),
                                 ckeys, cname, tstep)
            for gi, group in enumerate(opt.param_groups):
                if not isinstance(group, Mapping):
                    continue
                params = _tensors(group.get("params"))
                names = group.get("param_names")
                names = list(names) if isinstance(names, (list, tuple)) else None
                gname = next(
                    (group[k] for k in ("name", "group_name") if isinstance(group.get(k), str)),
                    None,
                )
                subject = f"{arg.label} group {gi}" if several else f"group {gi}"
                label = subject + (f" ({gname!r})" if gname else "")
                view.groups.append(GroupView(oi, gi, group, params if params is not None else [],
                                             names, label, subject, gname))
                where, tensors, shared = self.where, self.tensors, self.shared
                for pos, t in enumerate(params or ()):
                    key = id(t)
                    if key in where:
                        where[key].append((oi, gi, pos))
                        shared.add(key)
                    else:
                        where[key] = [(oi, gi, pos)]
                        tensors[key] = t
            self.optimizers.append(view)

    # -- names -------------------------------------------------------------------------
    def name(self, p: torch.Tensor) -> str | None:
        names = self.names.get(id(p))
        return names[0] if names else None

    def display(self, p: torch.Tensor, group: GroupView | None = None, pos: int = -1) -> str:
        """How to call tensor ``p`` in a message: its model name, else its param_names entry."""
        n = self.name(p)
        if n is not None:
            return n
        if group is not None and group.names is not None and 0 <= pos < len(group.names):
            return clean_name(str(group.names[pos]), self.prefixes)
        return f"<tensor {shape_str(p)}>"

    def resolve_name(self, given: str) -> tuple[str, torch.Tensor] | None:
        """The model parameter a (possibly relative or wrapper-prefixed) name refers to."""
        name = clean_name(given, self.prefixes)
        if name in self.by_name:
            return name, self.by_name[name]
        parts = name.split(".")
        for i in range(1, len(parts)):  # 'module.fc.weight' -> 'fc.weight'
            rest = ".".join(parts[i:])
            if rest in self.by_name:
                return rest, self.by_name[rest]
        if self._suffixes is None:
            self._suffixes = {}
            for full in self.by_name:
                ps = full.split(".")
                for i in range(1, len(ps)):
                    self._suffixes.setdefault(".".join(ps[i:]), []).append(full)
        hits = self._suffixes.get(name, [])
        if len(hits) == 1:  # relative to a submodule: 'layer.weight' of model.encoder
            return hits[0], self.by_name[hits[0]]
        return None

    def name_matches(self, p: torch.Tensor, given: str) -> bool:
        """True when ``given`` names ``p`` (exactly, relative to a submodule, or wrapper-prefixed)."""
        name = clean_name(given, self.prefixes)
        for alias in self.names.get(id(p), ()):
            if alias == name or alias.endswith("." + name) or name.endswith("." + alias):
                return True
        return False

    def in_optimizer(self, p: torch.Tensor) -> bool:
        return id(p) in self.where

    def selected(self, code: str) -> bool:
        from pglint import codes

        return codes.selected(code, self.options.select, self.options.ignore)


def _named_modules(module: Any) -> list[tuple[str, Any]]:
    """``module.named_modules(remove_duplicate=False)`` without a generator per module:
    (name, module) in the same pre-order; a module shared under two names appears twice.
    A cycle of submodules (which torch would recurse into forever) is cut."""
    out: list[tuple[str, Any]] = []
    stack = [("", module, ())]
    while stack:
        prefix, mod, above = stack.pop()
        out.append((prefix, mod))
        children = getattr(mod, "_modules", None)
        if not children:
            continue
        path = (*above, id(mod))
        for name, child in reversed(children.items()):
            if child is None or id(child) in path:
                continue
            stack.append((prefix + "." + name if prefix else name, child, path))
    return out


def shape_str(t: Any) -> str:
    try:
        return "[" + ", ".join(str(d) for d in t.shape) + "]"
    except (RuntimeError, ValueError, TypeError, AttributeError):  # an uninitialized (lazy) parameter has no shape yet
        return "[?]"


def shape_of(t: Any) -> tuple | None:
    try:
        return tuple(t.shape)
    except (RuntimeError, ValueError, TypeError, AttributeError):
        return None


def numel_of(t: Any) -> int | None:
    try:
        return int(t.numel())
    except (RuntimeError, ValueError, TypeError, AttributeError):
        return None
