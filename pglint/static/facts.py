"""The facts the dataflow records for the rules (rules read these, never the tree)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from pglint.static.values import Group, OneShot, OptimizerValue, PathValue


@dataclass(eq=False)
class MethodRef:
    """``model.parameters`` without the call (PG007).

    ``module``: the receiver is provably a Module and the file stores no attribute of that
    name, so the expression is the bound method (else it may be a list the user stored).
    """

    node: cst.Attribute
    module: bool = False


@dataclass
class Reuse:
    """A one-shot iterable consumed a second time (PG002)."""

    it: OneShot
    first: cst.CSTNode
    second: cst.CSTNode
    in_loop: bool  # the second use is the same code in the loop's next iteration
    call: bool = False  # the second use is a call given the exhausted iterator
    methods: bool = False  # consumed in two methods of a class (any order)
    helper: str | None = None  # iterated twice by this helper of the file, given it here
    inner: cst.CSTNode | None = None  # the helper's second consumption


@dataclass
class AddGroup:
    opt: OptimizerValue
    group: Group
    call: cst.Call


@dataclass
class SchedulerCall:
    name: str  # OneCycleLR / CyclicLR
    call: cst.Call
    opt: Any
    kwargs: dict  # keyword -> (value, node)


@dataclass
class ModelChange:
    node: cst.CSTNode
    what: str  # "fully_shard(model)", "model.fc = nn.Linear(...)", ...
    target: PathValue
    alive: list  # optimizers alive at that point
    # made by a followed call that also builds, is handed or names an optimizer: it may
    # have given the optimizer the new parameters (PG009 stays silent; PG003 knows the
    # parameters under ``target`` are new)
    excused: bool = False
    at: int = 0  # when (a new_id() stamp, comparable with OptimizerValue.uses)
    in_loop: bool = False  # inside a loop of its scope (a later iteration runs on)


@dataclass
class CopyTrained:
    """``student = copy.deepcopy(model)`` made after ``opt`` was built over ``model``'s
    parameters, and a loop that trains the copy while it steps ``opt`` (PG009)."""

    node: cst.CSTNode  # the statement binding the copy
    copy: str  # the copy's name
    source: str  # the model as ``deepcopy(...)`` spells it
    loop: cst.CSTNode  # the loop, or the call of a helper of the file, that trains it
    opt: OptimizerValue
    opt_name: str  # the name the loop steps it by


@dataclass
class Facts:
    optimizers: list = field(default_factory=list)  # OptimizerValue, in source order
    peers: dict = field(default_factory=dict)  # opt id -> optimizers alive when it was built
    add_groups: list = field(default_factory=list)  # AddGroup
    reuses: list = field(default_factory=list)  # Reuse
    dicts_to_optimizer: list = field(default_factory=list)  # (GroupDict, OptimizerValue)
    uncalled: list = field(default_factory=list)  # MethodRef reaching an optimizer
    sets: list = field(default_factory=list)  # (SetValue, OptimizerValue)
    schedulers: list = field(default_factory=list)  # SchedulerCall
    model_changes: list = field(default_factory=list)  # ModelChange
    copies_trained: list = field(default_factory=list)  # CopyTrained
    # name-bound one-shot iterables: id -> (assign node, value node, [uses]) for PG002 fixes
    bindings: dict = field(default_factory=dict)
    uses: dict = field(default_factory=dict)  # oneshot id -> [nodes where a list would serve]
    refs: dict = field(default_factory=dict)  # oneshot id -> every Name node that reads it
    attr_stores: list = field(default_factory=list)  # (Attribute target, statement) (PG010)
    # attribute names the file assigns a plain tensor (``self.coef = torch.tensor(...)``): a
    # module does not register it, so it is no parameter of ``self.parameters()`` (PG003)
    plain_tensor_attrs: set = field(default_factory=set)
    # PG105: ([(node, value, starred, params if starred)], Group, OptimizerValue) for each
    # group whose params is a list literal
    group_lists: list = field(default_factory=list)
    # PG011: (Comparison, name variable, strings, the model's spelling)
    never_match: list = field(default_factory=list)
    # PG012: (GroupDict, name, OptimizerValue) built beside an optimizer, never reaching one
    unused_groups: list = field(default_factory=list)
    deadline: float | None = None  # time.monotonic() past which the analysis gives up
    # PG010: attribute targets whose receiver is provably a parameter (a loop variable over
    # parameters()/named_parameters()) and whose value is the literal False
    param_attr_false: set = field(default_factory=set)  # id(Attribute target)
    # PG002's fix: where each name-bound one-shot was bound (block positions), and whether
    # nothing that could change what it yields runs before its first consumption ends
    bound_at: dict = field(default_factory=dict)  # oneshot id -> ((stmts, index), ...)
    early_ok: dict = field(default_factory=dict)  # oneshot id -> bool
    # handles (see OptimizerValue.handles) that some scope steps or hands on (PG003):
    # handle -> its use sites (see OptimizerValue.uses)
    used_handles: dict = field(default_factory=dict)


class TooComplex(Exception):
    """The file's analysis ran past its time budget."""
