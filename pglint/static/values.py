"""Abstract values of the shared dataflow layer.

The interpreter (``interpreter.py``, ``dataflow.py``) evaluates expressions to these
values.  They say only what can be proved: anything else is ``UNKNOWN``, and rules stay
silent on it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

_ids = itertools.count(1)


def new_id() -> int:
    return next(_ids)


class _Unknown:
    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# ---------------------------------------------------------------- parameter sets
# A filter is a conjunction of literals.  A literal is (expr_text, polarity) for an
# opaque condition or (expr_text, (lo, hi)) for an integer interval on expr_text
# (``p.dim() >= 2`` -> ("$p.dim()", (2, inf))).
Literal = tuple  # (str, bool) | (str, tuple[float, float])
Filter = frozenset  # frozenset[Literal]

WILDCARD = None  # a path segment that is not a constant (model.layers[i])


@dataclass(frozen=True)
class Root:
    """A binding of a name: two paths compare only when their roots are the same binding."""

    name: str
    version: int


@dataclass(frozen=True)
class Atom:
    """A set of parameters: everything under a module path, optionally filtered.

    ``leaf``: the path denotes one tensor (``model.head.weight`` in a list literal).
    ``recursive``: False for ``parameters(recurse=False)``.
    ``list_id``: a list variable built by the user (``decay = []; decay.append(p)``):
    two atoms with the same list_id are the same set; nothing else is known of it.
    """

    root: Root | None = None
    path: tuple = ()
    filter: Filter = frozenset()
    recursive: bool = True
    leaf: bool = False
    list_id: int | None = None


@dataclass(frozen=True)
class ParamSet:
    """The parameters an expression denotes; ``atoms is None`` means unknown contents."""

    atoms: tuple | None = None
    node: cst.CSTNode | None = None

    @property
    def known(self) -> bool:
        return self.atoms is not None


UNKNOWN_PARAMS = ParamSet(None)


def union(*sets: ParamSet, node=None) -> ParamSet:
    if any(not s.known for s in sets):
        return ParamSet(None, node)
    return ParamSet(tuple(a for s in sets for a in s.atoms), node)


# ---------------------------------------------------------------- values
@dataclass(eq=False)
class PathValue:
    """A module access path: ``model``, ``model.backbone``, ``model.layer4[2]``."""

    root: Root
    path: tuple = ()
    node: cst.CSTNode | None = None


@dataclass(eq=False)
class OneShot:
    """A one-shot iterable: a generator, ``model.parameters()``, ``filter(...)``, a genexp.

    ``inner``: one-shot iterables it draws from (consuming this consumes them).
    ``loop_depth``: how many loops enclose its creation (see dataflow's loop rule).
    """

    node: cst.CSTNode
    desc: str  # the user's spelling: "model.parameters()"
    params: ParamSet = UNKNOWN_PARAMS
    inner: tuple = ()
    loop_depth: int = 0
    id: int = field(default_factory=new_id)
    # it runs no user code and ends: ``parameters()``, ``named_parameters()``, and
    # ``chain``/``iter``/``zip``/``enumerate``/``islice`` of those (PG002's safe fix)
    pure: bool = False


@dataclass(eq=False)
class Materialized:
    """A list/tuple of parameters (``list(model.parameters())``, a list comprehension)."""

    params: ParamSet
    node: cst.CSTNode | None = None


@dataclass(eq=False)
class SetValue:
    """A ``set`` (literal, comprehension, ``set(...)``): unordered."""

    node: cst.CSTNode


@dataclass(eq=False)
class KeyEntry:
    key_node: cst.CSTNode  # the key expression (or the keyword's name in dict(...))
    value_node: cst.CSTNode
    value: Any
    # written in another module of the project ("lr_decay.py:18"): the nodes are the call
    # that returned the group, so a finding names this place and offers no edit
    origin: str | None = None


@dataclass(eq=False)
class GroupDict:
    """A dict literal or ``dict(...)`` call: a parameter group candidate.

    ``open``: keys may exist that pglint cannot see (``**base``, ``.update(...)``).
    ``template``: built by a comprehension (one syntax node, many runtime dicts).
    ``passed``: it reached an optimizer, which turned its 'params' into a list.
    """

    node: cst.CSTNode
    keys: dict = field(default_factory=dict)  # str -> KeyEntry
    open: bool = False
    template: bool = False
    passed: bool = False
    stmt: cst.CSTNode | None = None  # the statement that wrote it
    id: int = field(default_factory=new_id)
    escaped: bool = False  # read as a whole somewhere (passed, stored, returned...) (PG012)
    # group dicts stored under keys pglint cannot read (``groups[name] = {...}``): they come
    # back from ``groups.values()``
    members: list = field(default_factory=list)
    origin: str | None = None  # built in another module (see KeyEntry.origin)


@dataclass(eq=False)
class ListObj:
    """A list or tuple the user builds; ``open``: elements pglint cannot see.

    ``tensors``: filled with ``append``/``extend`` of values pglint does not follow
    (``decay.append(p)``): known only by identity.
    """

    node: cst.CSTNode | None
    elements: list = field(default_factory=list)
    open: bool = False
    id: int = field(default_factory=new_id)
    tensors: bool = False
    # a literal's elements as written, starred ones included: [(node, value, starred)]
    # (PG105); None once the list may have changed (a method call, an item store)
    parts: list | None = None


@dataclass(eq=False)
class ElementOf:
    """The loop variable of ``for g in groups`` (any element of a ListObj)."""

    source: ListObj


@dataclass(eq=False)
class Union_:
    """One of several values (``g["params"]`` over every group of a list)."""

    members: tuple


@dataclass(eq=False)
class Const:
    """A literal value (number, string, bool, None, tuple of those)."""

    value: Any
    node: cst.CSTNode


@dataclass(frozen=True)
class OptClass:
    """What pglint knows of an optimizer class.

    kind: 'torch' (torch.optim.X), 'custom' (an Optimizer subclass in this file),
    'third' (another package's optimizer: keys unknown).
    keys: the group keys it reads (None = unknown: PG004/PG005 stay silent).
    """

    name: str
    kind: str
    keys: frozenset | None = None
    defaults: tuple = ()  # ((key, value), ...) for literal defaults
    # for 'custom': the class name in this file, then its bases defined in this file (a key
    # read in a base class's method is read by the subclass)
    file_classes: tuple = ()

    @property
    def defaults_dict(self) -> dict:
        return dict(self.defaults)


@dataclass(eq=False)
class ClassRef:
    """A reference to an optimizer class (``opt_cls = torch.optim.AdamW``)."""

    cls: OptClass


@dataclass(eq=False)
class Group:
    """One parameter group of an optimizer as the source builds it."""

    params: ParamSet
    dict: GroupDict | None = None  # None for a bare top-level parameter list
    node: cst.CSTNode | None = None  # the 'params' value (or the top-level argument)
    index: int | None = None  # position in the list given to the constructor


@dataclass(eq=False)
class OptimizerValue:
    node: cst.Call
    cls: OptClass
    groups: list  # list[Group]; groups_known False when the list is partly unknown
    groups_known: bool
    name: str | None = None  # the variable it was first bound to
    kwargs: dict = field(default_factory=dict)  # ctor keyword -> value (Const/...)
    id: int = field(default_factory=new_id)
    replaced: bool = False  # a later assignment rebuilt it under the same name
    # PG003's evidence that it updates its parameters: ``.step()``ed, or handed to code
    # that may step it (a call, a return).  ``uses``: use site -> when last (a new_id()
    # stamp, so comparable with other values' ids); a step's sites are (scope, "step",
    # loop) for each loop around it, or (scope, "step") outside loops; a hand-off's is
    # (scope, statement); a followed helper's uses are its call's.
    # ``handles``: where it is stored for other scopes to use (``(class, 'self',
    # ('opt',))``, ``(None, 'opt', ())`` for a global)
    uses: dict = field(default_factory=dict)
    handles: set = field(default_factory=set)



@dataclass(eq=False)
class Scaled:
    """``lr``, ``lr / 10``, ``2 * lr``: a name's value times a literal factor (PG008).

    ``symbols``: ``(name, default)`` of the parameters whose literal default the factor
    takes (``lr * head_mult`` in ``def build(lr, head_mult=10)``)."""

    root: Root
    factor: float
    node: cst.CSTNode | None = None
    symbols: tuple = ()
