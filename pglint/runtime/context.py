"""A read-only index of a model and its optimizers, built once per audit.

Everything here only reads: ``module._parameters``, ``optimizer.param_groups``,
``optimizer.defaults`` and (in checks) ``optimizer.state.get(p)`` (``state`` is a
defaultdict; indexing it would insert an entry).  Parameters are keyed by ``id`` and
kept alive by the index itself, so ids stay unique for the audit's lifetime.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import chain
from operator import attrgetter, is_not, methodcaller
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
        if all(issubclass(k, torch.Tensor) for k in set(map(type, value))):
            return list(value)  # the common case, without an isinstance per element
        return [t for t in value if isinstance(t, torch.Tensor)]
    return None  # an iterator put there by hand: never iterate it


class Context:
    """The model's parameters and the optimizers' tensors, indexed by ``id``.

    Built with C-level dict/set operations over whole lists; nothing is done per tensor
    in Python unless a check needs it.  Names (``names``, ``owners``, ``by_name``) and the
    optimizer positions (``where``) are indexed on first use: an audit without findings
    never computes a display name.
    """

    def __init__(self, model: Any, optimizers: list[OptimizerArg], options: Options) -> None:
        self.options = options
        #: model parameters by id, in no set order (``names`` has the model's order)
        self.params: dict[int, torch.Tensor] = {}
        self.prefixes: list[str] = []
        self._models: list[tuple[str, Any]] = []  # (name prefix, unwrapped module)
        self._names: dict[int, list[str]] | None = None
        self._owners: dict[int, list[tuple[torch.nn.Module, str]]] | None = None
        self._by_name: dict[str, torch.Tensor] | None = None
        self._suffixes: dict[str, list[str]] | None = None
        seen: set[int] = set()
        for top, module in args.model_items(model):
            inner, prefixes = unwrap_model(module)
            self.prefixes += [top + p for p in prefixes] + prefixes
            self._models.append((top, inner))
            values = list(chain.from_iterable(map(_VALUES, _parameter_dicts(inner, seen))))
            self.params.update(zip(map(id, values), values))
        self.params.pop(id(None), None)  # a registered-but-None parameter (bias=False)

        self.optimizers: list[OptimizerView] = []
        self.tensors: dict[int, torch.Tensor] = {}  # every optimizer tensor by id, first sight
        self.shared: set[int] = set()  # ids listed more than once (in any groups)
        self._where: dict[int, list[tuple[int, int, int]]] | None = None
        listed = 0
        several = len(optimizers) > 1
        for oi, arg in enumerate(optimizers):
            opt, chain_ = unwrap_optimizer(arg.obj)
            keys: set = set()
            for o in chain_:
                d = getattr(o, "defaults", None)
                if isinstance(d, Mapping):
                    keys |= set(d)
            cname, ckeys, tstep = _torch_class(opt)
            view = OptimizerView(oi, arg.label, arg.obj, opt, chain_, frozenset(keys),
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
                if params:
                    self.tensors.update(zip(map(id, params), params))
                    listed += len(params)
            self.optimizers.append(view)
        if listed != len(self.tensors):  # some tensor is listed twice: which ones
            counts = Counter(map(id, chain.from_iterable(
                gv.params for ov in self.optimizers for gv in ov.groups)))
            self.shared = {k for k, n in counts.items() if n > 1}

    @cached_property
    def same_tensors(self) -> bool:
        """True when the optimizers hold exactly the model's parameters (the clean case)."""
        return self.params.keys() == self.tensors.keys()

    @property
    def where(self) -> dict[int, list[tuple[int, int, int]]]:
        """id -> [(optimizer index, group index, position)] for every optimizer tensor."""
        if self._where is None:
            where: dict[int, list[tuple[int, int, int]]] = {}
            for ov in self.optimizers:
                for gv in ov.groups:
                    oi, gi = ov.index, gv.index
                    for pos, t in enumerate(gv.params):
                        where.setdefault(id(t), []).append((oi, gi, pos))
            self._where = where
        return self._where

    @property
    def names(self) -> dict[int, list[str]]:
        """id -> every name of the parameter (tied weights have several), in the model's
        order (``named_parameters()``'s); its keys are those of ``params``."""
        if self._names is None:
            self._index_names()
        return self._names

    @property
    def owners(self) -> dict[int, list[tuple[torch.nn.Module, str]]]:
        """id -> every (module, attribute) that holds the parameter."""
        if self._owners is None:
            self._index_names()
        return self._owners

    @property
    def by_name(self) -> dict[str, torch.Tensor]:
        if self._by_name is None:
            self._index_names()
        return self._by_name

    def _index_names(self) -> None:
        names: dict[int, list[str]] = {}
        owners: dict[int, list[tuple[torch.nn.Module, str]]] = {}
        by_name: dict[str, torch.Tensor] = {}
        for top, inner in self._models:
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
                    if key not in names:  # the common case: first sight
                        names[key] = [full]
                        owners[key] = [(mod, local)]
                    else:  # tied or shared: another name for the same Parameter
                        if full not in names[key]:
                            names[key].append(full)
                        if not any(m is mod and n == local for m, n in owners[key]):
                            owners[key].append((mod, local))
                    by_name.setdefault(full, p)
        self._names, self._owners, self._by_name = names, owners, by_name

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
        return id(p) in self.tensors

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


_VALUES = methodcaller("values")
_PARAMETERS = attrgetter("_parameters")
_MODULES = attrgetter("_modules")
_NOT_NONE = partial(is_not, None)


def _parameter_dicts(module: Any, seen: set[int]) -> list:
    """The non-empty ``_parameters`` dicts of ``module`` and every module below it that is
    not in ``seen`` (which gains them), level by level with C-level maps: no Python code
    per module.  A module met twice (shared, or a cycle) is taken once.  The order is not
    the model's; ``_named_modules`` gives that."""
    out: list = []
    level = {id(module): module}
    try:
        while level:
            for key in level.keys() & seen:
                del level[key]
            seen.update(level)
            mods = list(level.values())
            out += filter(None, map(_PARAMETERS, mods))
            kids = list(filter(_NOT_NONE, chain.from_iterable(
                map(_VALUES, filter(None, map(_MODULES, mods))))))
            level = dict(zip(map(id, kids), kids))
    except AttributeError:  # something in _modules that is not a module: ask each one
        return [d for _, mod in _named_modules(module)
                if (d := getattr(mod, "_parameters", None))]
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


_PLAIN = frozenset({torch.Tensor, torch.nn.Parameter})
_NUMEL = torch.Tensor.numel


def elements_of(tensors: list) -> int | None:
    """The elements in ``tensors``; None when one has no size yet (a lazy parameter)."""
    if set(map(type, tensors)) <= _PLAIN:  # one C-level pass, no call per tensor
        return sum(map(_NUMEL, tensors))
    sizes = [numel_of(t) for t in tensors]  # a subclass may count its own way
    return None if any(s is None for s in sizes) else sum(sizes)
