"""The shared dataflow layer: an abstract interpreter over one file's scopes.

Each scope (the module body, every function and method) is interpreted once, in
statement order, with branches analysed separately and merged: a fact survives a
merge only when it holds on every path that falls through.  The interpreter records
*facts* (optimizers built, iterators consumed twice, models changed after an
optimizer...) in ``Facts``; rules turn facts into findings.  Rules never walk the
tree for themselves when a fact is available.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from pglint.static.classes import attr_owners, run_by_init, single_exit
from pglint.static.context import (
    CONSUMER_BUILTINS,
    CONSUMER_QUALNAMES,
    LAZY_WRAPPERS,
    FileContext,
    _contains,
    _param_names,
    _target_names,
    endless_call,
)
from pglint.static.filters import code, make_filter
from pglint.static.names import class_names_can_equal, names_can_equal
from pglint.static.project import summary as project_summary
from pglint.static.values import (
    UNKNOWN,
    UNKNOWN_PARAMS,
    WILDCARD,
    Atom,
    ClassRef,
    Const,
    ElementOf,
    Group,
    GroupDict,
    KeyEntry,
    ListObj,
    Materialized,
    OneShot,
    OptClass,
    OptimizerValue,
    ParamSet,
    PathValue,
    Root,
    Scaled,
    SetValue,
    Union_,
    new_id,
    union,
)

_PARAM_METHODS = {"parameters": False, "named_parameters": True}
_NN_PREFIXES = ("torch.nn.", "nn.")
# calls that replace a module's Parameter objects (PG009), by the qualified name the
# file's imports resolve the callee to (``from torch.distributed.fsdp import
# FullyShardedDataParallel as FSDP`` resolves ``FSDP``); a function of the same name from
# any other module (a project's own ``fully_shard``) is not one of them
_MODULE_CHANGERS = frozenset({
    "torch.distributed.fsdp.fully_shard",
    "torch.distributed.fsdp.fully_shard.fully_shard",
    "torch.distributed._composable.fsdp.fully_shard",
    "torch.distributed._composable.fsdp.fully_shard.fully_shard",
    "torch.distributed.fsdp.FullyShardedDataParallel",
    "torch.distributed.fsdp.fully_sharded_data_parallel.FullyShardedDataParallel",
})


# callees that take an optimizer and never step it: handing an optimizer to one of these
# is no evidence that it updates its parameters (PG003)
_NON_STEPPERS = frozenset({
    "print", "len", "id", "type", "repr", "str", "hash", "isinstance", "getattr", "hasattr",
    "setattr", "vars", "dir", "copy.copy", "copy.deepcopy",
})
_NON_STEPPER_PREFIXES = ("torch.optim.lr_scheduler.", "torch.optim.swa_utils.", "logging.",
                         "pytest.", "unittest.", "torch.testing.")


def _non_stepper(q: str | None) -> bool:
    if q is None:
        return False
    last = q.split(".")[-1]
    return (q in _NON_STEPPERS or q.startswith(_NON_STEPPER_PREFIXES)
            or last.startswith("assert")  # self.assertIs(opt, ...), assert_close(...)
            or "schedule" in last.lower()  # get_linear_schedule_with_warmup, a scheduler
            or last.endswith("LR") and last[:1].isupper())  # LambdaLR, StepLR, ...


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
    # name-bound one-shot iterables: id -> (assign node, value node, [uses]) for PG002 fixes
    bindings: dict = field(default_factory=dict)
    uses: dict = field(default_factory=dict)  # oneshot id -> [nodes where a list would serve]
    refs: dict = field(default_factory=dict)  # oneshot id -> every Name node that reads it
    attr_stores: list = field(default_factory=list)  # (Attribute target, statement) (PG010)
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
    # handles (see OptimizerValue.handles) that some scope steps or hands on (PG003)
    used_handles: set = field(default_factory=set)


class TooComplex(Exception):
    """The file's analysis ran past its time budget."""


# ------------------------------------------------------------------ state
class State:
    __slots__ = ("attrs", "consumed", "dead", "env")

    def __init__(self):
        self.env: dict[str, tuple[Any, int]] = {}  # name -> (value, version)
        self.consumed: dict[int, cst.CSTNode] = {}  # one-shot id -> first consumption
        self.attrs: dict[str, Any] = {}  # "self.opt" -> value stored there
        self.dead = False

    def copy(self) -> State:
        s = State()
        s.env = dict(self.env)
        s.consumed = dict(self.consumed)
        s.attrs = dict(self.attrs)
        s.dead = self.dead
        return s

    @staticmethod
    def merge(states: list[State]) -> State:
        live = [s for s in states if not s.dead]
        if not live:
            out = states[0].copy()
            out.dead = True
            return out
        if len(live) == 1:
            return live[0].copy()
        out = State()
        first = live[0]
        for name, (val, ver) in first.env.items():
            if all(s.env.get(name, (None, -1))[1] == ver for s in live[1:]):
                out.env[name] = (val, ver)
            else:
                out.env[name] = (UNKNOWN, new_id())
        for name in set().union(*(s.env for s in live[1:])) - set(first.env):
            out.env[name] = (UNKNOWN, new_id())
        out.consumed = {k: v for k, v in first.consumed.items()
                        if all(k in s.consumed for s in live[1:])}
        out.attrs = {k: v for k, v in first.attrs.items()
                     if all(s.attrs.get(k) is v for s in live[1:])}
        return out


# ------------------------------------------------------------------ helpers
_NAMED_CONSTANTS = {"True": True, "False": False, "None": None}


def _plain_value(node: cst.BaseExpression) -> Any:
    """An int, float or plain string literal's value without ``compile`` (what libcst's
    ``evaluated_value`` costs); UNKNOWN for anything it cannot read exactly."""
    s = node.value
    try:
        if isinstance(node, cst.Integer):
            return int(s, 0)  # the same grammar as Python's int literals
        if isinstance(node, cst.Float):
            return float(s)
    except ValueError:
        return UNKNOWN
    if "\\" in s or "\r" in s:
        return UNKNOWN  # escapes, CRLF: let Python read it
    body = s[1:] if s[:1] in ("u", "U") else s
    q = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if q not in ('"', "'", '"""', "'''") or len(body) < 2 * len(q) or not body.endswith(q):
        return UNKNOWN
    return body[len(q):-len(q)]


def literal(node: cst.BaseExpression) -> Any:
    """The Python value of a literal expression, or UNKNOWN."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        v = _plain_value(node)
        if v is not UNKNOWN:
            return v
        try:
            return node.evaluated_value
        except Exception:
            return UNKNOWN
    if isinstance(node, cst.Name):
        return _NAMED_CONSTANTS.get(node.value, UNKNOWN)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        v = literal(node.expression)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if isinstance(node.operator, cst.Minus) else v
        return UNKNOWN
    if isinstance(node, (cst.Tuple, cst.List)):
        out = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                return UNKNOWN
            v = literal(el.value)
            if v is UNKNOWN:
                return UNKNOWN
            out.append(v)
        return tuple(out) if isinstance(node, cst.Tuple) else out
    if isinstance(node, cst.ConcatenatedString):
        try:
            return ast.literal_eval(code(node).strip())
        except Exception:
            return UNKNOWN
    return UNKNOWN


def _block(body) -> list:
    """The statements of an IndentedBlock or SimpleStatementSuite."""
    return list(body.body)


def _small_statements(stmt) -> list:
    if isinstance(stmt, cst.SimpleStatementLine):
        return list(stmt.body)
    return [stmt]


def _names_in(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n):
            out.add(n.value)

    node.visit(V())
    return out


def _has_jump(body) -> bool:
    """Any break/continue/return/raise in a loop body (nested defs excluded)."""
    found = False

    class V(cst.CSTVisitor):
        def visit_Break(self, n):
            nonlocal found
            found = True

        visit_Continue = visit_Return = visit_Raise = visit_Break

        def visit_FunctionDef(self, n):
            return False

        def visit_Lambda(self, n):
            return False

    body.visit(V())
    return found


def _breaks(body) -> bool:
    """A ``break`` of this loop in ``body`` (not one of a nested loop)."""
    return _contains(body, cst.Break, enter_loops=False)


def _is_exit(stmt) -> bool:
    return any(isinstance(s, (cst.Break, cst.Return, cst.Raise)) for s in _small_statements(stmt))


# a keyword argument that hands over an optimizer: optimizer=, base_optimizer=, optim=
_OPTIMIZER_KEYWORD = re.compile(r"(^|_)optim(izer)?s?$", re.IGNORECASE)
_MAX_BETWEEN = 32  # statements from a binding to its first use that PG002's fix reads
_PURE_WRAPPERS = frozenset({"chain", "iter", "zip", "enumerate", "islice", "reversed"})
# calls that cannot change a model: reading builtins, and what PG002 counts as consumers
_PURE_CALLS = frozenset({"print", "len", "int", "float", "str", "bool", "round", "abs",
                         "isinstance", "format", "repr"})


_NOT_INERT = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Import, cst.ImportFrom, cst.Yield,
               cst.Await, cst.Global, cst.Nonlocal, cst.Del, cst.With, cst.Try)


def _inert(stmt, name: str, ctx: FileContext) -> bool:
    """``stmt`` provably cannot change what ``name``'s parameters() iterator would yield:
    its only calls are reading builtins, consumers (``sum``, ``clip_grad_norm_``...), torch
    optimizers, ``parameters()`` and methods of tensors drawn from ``name``; it assigns only
    plain names and attributes of those tensors; it defines and imports nothing."""
    tensors: set[str] = set()  # loop / comprehension variables drawing from name

    class Loops(cst.CSTVisitor):
        def on_visit(self, node) -> bool:
            if isinstance(node, (cst.For, cst.CompFor)):
                it = node.iter
                if isinstance(it, cst.Name) and it.value == name or (
                        isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute)
                        and it.func.attr.value in _PARAM_METHODS):
                    tensors.update(_target_names(node.target))  # tensors (and their names)
            return True

    class V(cst.CSTVisitor):
        ok = True

        def on_visit(self, node) -> bool:
            if not self.ok:
                return False
            if isinstance(node, cst.Call):
                self.ok = self.pure_call(node)
            elif isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
                self.ok = self.plain(node.target)
            else:
                self.ok = not isinstance(node, _NOT_INERT)
            return self.ok

        @staticmethod
        def plain(t) -> bool:
            if isinstance(t, cst.Name):
                return True
            if isinstance(t, (cst.Tuple, cst.List)):
                return all(V.plain(e.value) for e in t.elements)
            return isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) \
                and t.value.value in tensors

        @staticmethod
        def pure_call(call: cst.Call) -> bool:
            f = call.func
            if isinstance(f, cst.Attribute):
                root = f.value
                while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
                    root = root.func if isinstance(root, cst.Call) else root.value
                if isinstance(root, cst.Name) and root.value in tensors:
                    return True  # p.numel(), p.requires_grad_(False)
                if f.attr.value in _PARAM_METHODS:
                    return True
            q = ctx.qualname(f) if isinstance(f, (cst.Name, cst.Attribute)) else None
            if q is None:
                return False
            if q in _PURE_CALLS or q in CONSUMER_BUILTINS or q in CONSUMER_QUALNAMES:
                return True
            cls = ctx.optimizer_class(f)
            return cls is not None and cls.kind == "torch"

    stmt.visit(Loops())
    v = V()
    stmt.visit(v)
    return v.ok


# ------------------------------------------------------------------ interpreter
class Interpreter:
    """Interprets one scope.  ``report=False`` evaluates a helper for its return value."""

    MAX_HELPER_DEPTH = 3

    def __init__(self, ctx: FileContext, facts: Facts, *, report: bool = True,
                 helper_stack: tuple = (), self_class: str | None = None,
                 local_names: set | None = None):
        self.ctx = ctx
        self.facts = facts
        self.report = report
        self.helper_stack = helper_stack
        self.self_class = self_class
        self.local_names = local_names  # None at module level: every name is local
        self.state = State()
        self.returns: list = []
        self.loop_depth = 0
        self.loop_assigned: list[set[str]] = []  # per enclosing loop: names assigned in it
        self.exit_stack: list[bool] = []  # per open block: an exit follows the current stmt
        self.loop_exit_base: list[int] = []  # exit_stack length when each loop was entered
        self.free_roots: dict[str, Root] = {}  # parameters, globals: one binding per scope
        self.current_stmt: cst.CSTNode | None = None
        # PG011: loop variable -> (env version, what its names can equal) for the names of
        # ``for n, p in model.named_parameters()``
        self.name_vars: dict[str, tuple] = {}
        self.name_sources: dict[int, tuple] = {}  # one-shot id -> (model text, can_equal)
        self.group_dicts: list = []  # PG012: (GroupDict, name) bound by this scope
        self.first_optimizer: OptimizerValue | None = None  # the first one this scope builds
        # attributes of self as bindings (see classes.py): set by analyze() for methods
        self.attr_owners: dict | None = None  # attribute name -> functions storing it
        self.scope_fn: cst.FunctionDef | None = None
        self.self_root: Root | None = None  # one root for self across a class's methods
        self.seeded: set = set()  # one-shot ids stored by __init__, read here
        self.method_uses: dict | None = None  # one-shot id -> [(method, node)] (PG002)
        self.reuse_sink: list | None = None  # a helper's second consumptions (PG002)
        self.in_closure = False  # run by closure_call
        self.iterating: set = set()  # one-shot ids enclosing for loops draw from (PG002)
        self.opt_index: dict = {}  # overlap key -> optimizers built (see peer_optimizers)
        self.block_pos: list = []  # [statements, index] of each open block (PG002's fix)
        self.param_vars: dict[str, int] = {}  # loop variable -> env version: a Parameter

    # ---------------------------------------------------------- bindings
    def bind(self, name: str, value: Any) -> None:
        self.state.env[name] = (value, new_id())

    def lookup(self, name: str) -> Any:
        got = self.state.env.get(name)
        if got is not None:
            return got[0]
        return UNKNOWN

    def free_root(self, name: str) -> Root:
        """A name this scope never binds (a global): one root for the whole scope."""
        r = self.free_roots.get(name)
        if r is None:
            r = self.free_roots[name] = Root(name, new_id())
        return r

    def bind_parameters(self, fn: cst.FunctionDef) -> None:
        for name in _param_names(fn):
            self.bind(name, PathValue(Root(name, new_id())))
        params = fn.params.params
        if self.self_root is not None and params and not fn.decorators:
            self.bind(params[0].name.value, PathValue(self.self_root))

    def deepcopy_rebind(self, node, target_text: str, value: _DeepCopy) -> None:
        """``model = copy.deepcopy(model)`` after an optimizer over ``model``: it is stale."""
        src = value.source
        if code(value.node.args[0].value) == target_text and self.report:
            self.facts.model_changes.append(ModelChange(
                node, code(node).strip().splitlines()[0], src, value.alive))

    def bind_target(self, target, value: Any, node) -> None:
        if isinstance(target, cst.Name) and isinstance(value, _DeepCopy):
            self.deepcopy_rebind(node, target.value, value)
        if isinstance(target, cst.Name):
            self.bind(target.value, value)
            if isinstance(value, OptimizerValue) and self.local_names is None:
                value.handles.add((None, target.value, ()))  # a global, stepped in a function
            if isinstance(value, OneShot) and self.report:
                self.facts.bindings.setdefault(value.id, (node, target))
                self.facts.bound_at.setdefault(value.id, tuple(tuple(f) for f in self.block_pos))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = [e.value for e in target.elements]
            known = (isinstance(value, ListObj) and not value.open
                     and len(value.elements) == len(elems)
                     and not any(isinstance(e, cst.StarredElement) for e in target.elements))
            for i, t in enumerate(elems):
                self.bind_target(t, value.elements[i] if known else UNKNOWN, node)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, UNKNOWN, node)
        elif isinstance(target, cst.Attribute):
            self.store_attribute(target, value, node)
        elif isinstance(target, cst.Subscript):
            self.store_subscript(target, value, node)

    def replacing(self, opt: OptimizerValue, targets: list) -> None:
        """``opt = Adam(...)`` over an older ``opt``: the old one is dropped, not a peer."""
        peers = self.facts.peers.get(opt.id)
        for t in targets:
            if opt.name is None and isinstance(t, (cst.Name, cst.Attribute)):
                opt.name = code(t)
            old = (self.lookup(t.value) if isinstance(t, cst.Name)
                   else self.state.attrs.get(code(t)) if isinstance(t, cst.Attribute) else None)
            if isinstance(old, OptimizerValue) and old is not opt:
                old.replaced = True  # rebuilt: earlier changes to the model reach the new one
                if peers is not None and old in peers:
                    peers.remove(old)

    def store_attribute(self, target: cst.Attribute, value: Any, node) -> None:
        if self.report:
            self.facts.attr_stores.append((target, node))
            recv = target.value
            if (isinstance(recv, cst.Name) and recv.value in self.state.env
                    and self.param_vars.get(recv.value) == self.state.env[recv.value][1]
                    and isinstance(value, Const) and value.value is False):
                self.facts.param_attr_false.add(id(target))
        self.state.attrs[code(target)] = value
        if isinstance(value, _DeepCopy) and isinstance(target.value, (cst.Name, cst.Attribute)):
            self.deepcopy_rebind(node, code(target), value)
        base = self.eval(target.value, consume=False)
        if isinstance(value, OptimizerValue) and isinstance(base, PathValue):
            h = self.handle_of(PathValue(base.root, base.path + (target.attr.value,)))
            if h is not None:
                value.handles.add(h)  # self.opt = Adam(...): stepped in another method
        if isinstance(base, PathValue) and target.attr.value not in ("data", "grad"):
            self.model_change(node, base, target.attr.value, value)

    def store_subscript(self, target: cst.Subscript, value: Any, node) -> None:
        base = self.eval_base(target.value)
        key = self.subscript_key(target)
        if isinstance(base, GroupDict):
            if isinstance(key, str):
                base.keys[key] = KeyEntry(target.slice[0].slice.value, node, value)
            else:
                base.open = True
                if isinstance(value, GroupDict):  # groups[name] = {"params": [], ...}
                    value.escaped = True
                    value.template = value.template or bool(self.loop_depth)
                    base.members.append(value)
        elif isinstance(base, ListObj):
            base.open = True
        elif isinstance(base, PathValue) and isinstance(key, (int, str)):
            self.model_change(node, base, key, value)

    def model_change(self, node, base: PathValue, seg, value: Any) -> None:
        if isinstance(value, _NewModule) and self.report and (value.module or (
                base.path and _class_name(value.node) is not None
                and not _NOT_MODULE.search(_class_name(value.node)))):
            # a torch module, or any class built into a sub-module's slot
            # (model.roi_heads.box_predictor = FastRCNNPredictor(...))
            self.facts.model_changes.append(ModelChange(
                node, code(node).strip().splitlines()[0],
                PathValue(base.root, base.path + (seg,)), self.alive_optimizers()))

    def subscript_key(self, node: cst.Subscript) -> Any:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return UNKNOWN
        v = literal(node.slice[0].slice.value)
        return v if isinstance(v, (str, int)) and not isinstance(v, bool) else UNKNOWN

    def alive_optimizers(self) -> list:
        seen: dict[int, OptimizerValue] = {}

        def visit(v, depth=0):
            if isinstance(v, OptimizerValue):
                seen.setdefault(v.id, v)
            elif isinstance(v, ListObj) and depth < 3:
                for e in v.elements:
                    visit(e, depth + 1)

        for v, _ in self.state.env.values():
            visit(v)
        for v in self.state.attrs.values():
            visit(v)
        return list(seen.values())

    @staticmethod
    def holds_optimizer(v: Any, depth: int = 0) -> bool:
        """``v`` is an optimizer, or a list, tuple or dict literal holding one."""
        if isinstance(v, OptimizerValue):
            return True
        if depth > 3:
            return False
        if isinstance(v, ListObj):
            return any(Interpreter.holds_optimizer(e, depth + 1) for e in v.elements)
        if isinstance(v, GroupDict):
            return any(Interpreter.holds_optimizer(e.value, depth + 1) for e in v.keys.values())
        return False

    def handle_of(self, v: PathValue) -> tuple | None:
        """Where other scopes can reach an optimizer stored at ``v``: ``self.opt`` in a
        method of a class, or a module-level name read from inside a function."""
        root = v.root
        if root.name == "self" and self.self_class is not None and len(v.path) == 1:
            return (self.self_class, "self", v.path)
        if not v.path and self.free_roots.get(root.name) is root:
            return (None, root.name, ())
        return None

    def mark_used(self, v: Any, depth: int = 0) -> None:
        """``v`` is stepped, or handed to code that may step it (PG003's evidence)."""
        if isinstance(v, OptimizerValue):
            v.used_at = new_id()
        elif depth > 3:
            return
        elif isinstance(v, ListObj):
            for e in v.elements:
                self.mark_used(e, depth + 1)
        elif isinstance(v, ElementOf):
            self.mark_used(v.source, depth + 1)
        elif isinstance(v, Union_):
            for m in v.members:
                self.mark_used(m, depth + 1)
        elif isinstance(v, GroupDict):
            for e in v.keys.values():
                self.mark_used(e.value, depth + 1)
        elif isinstance(v, PathValue) and self.report:
            h = self.handle_of(v)
            if h is not None:
                self.facts.used_handles.add(h)

    # ---------------------------------------------------------- statements
    def run_block(self, stmts: Iterable) -> None:
        stmts = list(stmts)
        # exit_after[i]: an exit statement follows statement i (one backward pass, linear)
        exit_after = [False] * len(stmts)
        for i in range(len(stmts) - 2, -1, -1):
            exit_after[i] = exit_after[i + 1] or _is_exit(stmts[i + 1])
        self.exit_stack.append(False)
        self.block_pos.append([stmts, 0])
        try:
            for i, stmt in enumerate(stmts):
                if self.state.dead:
                    break
                self.exit_stack[-1] = exit_after[i]
                self.block_pos[-1][1] = i
                self.stmt(stmt)
        finally:
            self.exit_stack.pop()
            self.block_pos.pop()

    def stmt(self, node) -> None:
        self.current_stmt = node
        if self.facts.deadline is not None and time.monotonic() > self.facts.deadline:
            raise TooComplex("file is too complex to analyse (its analysis ran past the "
                             "time budget per file): exclude it")
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if self.state.dead:
                    return
                self.small(small)
            return
        if isinstance(node, cst.BaseSmallStatement):  # a one-line body: `if c: x = y; z()`
            self.small(node)
            return
        m = getattr(self, "stmt_" + type(node).__name__, None)
        if m is not None:
            m(node)

    def small(self, node) -> None:
        if isinstance(node, cst.Assign):
            value = self.eval(node.value)
            if (isinstance(value, GroupDict) and value.node is node.value and self.report
                    and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)):
                self.group_dicts.append((value, node.targets[0].target.value))
            if isinstance(value, OptimizerValue):
                self.replacing(value, [t.target for t in node.targets])
            for t in node.targets:
                self.bind_target(t.target, value, node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind_target(node.target, self.eval(node.value), node)
        elif isinstance(node, cst.AugAssign):
            value = self.eval(node.value)
            cur = self.eval(node.target, consume=False)
            if isinstance(node.operator, cst.AddAssign) and isinstance(cur, ListObj):
                if isinstance(value, ListObj):
                    cur.elements.extend(value.elements)
                    cur.open |= value.open
                else:
                    cur.open = True
            elif isinstance(node.target, cst.Name):
                self.bind(node.target.value, UNKNOWN)
        elif isinstance(node, cst.Expr):
            self.eval(node.value)
        elif isinstance(node, cst.Return):
            value = self.eval(node.value) if node.value is not None else Const(None, node)
            if self.report:
                self.mark_used(value)  # returned to code that may step it
            self.returns.append(value)
            self.state.dead = True
        elif isinstance(node, (cst.Raise, cst.Break, cst.Continue)):
            if isinstance(node, cst.Raise) and node.exc is not None:
                self.eval(node.exc)
            self.state.dead = True
        elif isinstance(node, cst.Del):
            for n in _target_names(node.target):
                self.state.env.pop(n, None)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for n in node.names:
                self.bind(n.name.value, UNKNOWN)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            pass
        elif isinstance(node, cst.Assert):
            self.eval(node.test)

    def stmt_If(self, node: cst.If) -> None:
        self.eval(node.test)
        before = self.state
        branches = []
        cur: Any = node
        while True:
            self.state = before.copy()
            if cur is not node:
                self.eval(cur.test)
            self.run_block(_block(cur.body))
            branches.append(self.state)
            nxt = cur.orelse
            if isinstance(nxt, cst.If):
                cur = nxt
                continue
            self.state = before.copy()
            if nxt is not None:
                self.run_block(_block(nxt.body))
            branches.append(self.state)
            break
        self.state = State.merge(branches)

    def _loop(self, node, body, orelse, header, runs: bool = False) -> None:
        """``runs``: the body provably runs to its end at least once."""
        before = self.state.copy()
        self.loop_depth += 1
        self.loop_assigned.append(self.ctx.assigned.get(node, set()))
        self.loop_exit_base.append(len(self.exit_stack))
        try:
            header()
            self.run_block(_block(body))
        finally:
            self.loop_depth -= 1
            self.loop_assigned.pop()
            self.loop_exit_base.pop()
        after = self.state
        after.dead = False  # break/continue end an iteration, not the function
        self.state = after if runs else State.merge([before, after])
        if orelse is not None:
            self.run_block(_block(orelse.body))

    def stmt_For(self, node: cst.For) -> None:
        it = self.eval(node.iter, consume=False)
        if _breaks(node.body):
            # a loop that may break early need not exhaust its iterator: the rest is left
            if isinstance(it, OneShot):
                self.note_use(it, node.iter)
        else:
            self.consume(it, node.iter)
        elem = self.element_of(it)

        def header():
            self.bind_target(node.target, elem, node)
            self.note_name_var(node.target, it)
            self.note_param_var(node.target, it)

        # a loop over a known, non-empty list of groups runs its body for every element
        runs = isinstance(elem, ElementOf) and not _has_jump(node.body)
        saved = self.iterating
        self.iterating = saved | _drawn_from(it)  # in the body the loop still draws from it
        try:
            self._loop(node, node.body, node.orelse, header, runs)
        finally:
            self.iterating = saved

    def stmt_While(self, node: cst.While) -> None:
        self._loop(node, node.body, node.orelse, lambda: self.eval(node.test))

    def stmt_Try(self, node) -> None:
        before = self.state.copy()
        self.run_block(_block(node.body))
        if node.orelse is not None:
            self.run_block(_block(node.orelse.body))
        ends = [self.state]
        for h in node.handlers:
            self.state = before.copy()
            self.run_block(_block(h.body))
            ends.append(self.state)
        self.state = State.merge(ends)
        if node.finalbody is not None:
            dead = self.state.dead
            self.state.dead = False
            self.run_block(_block(node.finalbody.body))
            self.state.dead = self.state.dead or dead

    stmt_TryStar = stmt_Try

    def stmt_With(self, node: cst.With) -> None:
        for item in node.items:
            self.eval(item.item)
            if item.asname is not None:
                # ``as`` binds what ``__enter__`` returns (a contextmanager's yielded value),
                # never the object the ``with`` was given
                self.bind_target(item.asname.name, UNKNOWN, node)
        self.run_block(_block(node.body))

    def stmt_Match(self, node) -> None:
        self.eval(node.subject)
        before = self.state
        ends = []
        for case in node.cases:
            self.state = before.copy()
            for n in _names_in(case.pattern):  # capture names (over-approximated)
                self.bind(n, UNKNOWN)
            self.run_block(_block(case.body))
            ends.append(self.state)
        ends.append(before.copy())
        self.state = State.merge(ends)

    def stmt_FunctionDef(self, node: cst.FunctionDef) -> None:
        # a nested function: followed where it is called (closure_call)
        self.bind(node.name.value, UNKNOWN if self.local_names is None or node.decorators
                  else _LocalDef(node))

    def stmt_ClassDef(self, node: cst.ClassDef) -> None:
        self.bind(node.name.value, UNKNOWN)

    # ---------------------------------------------------------- consumption
    def consume(self, value: Any, node: cst.CSTNode, _depth: int = 0, use: bool = True) -> None:
        """``value`` is iterated to the end at ``node`` (``use``: where a list would serve
        as well, for PG002's fix)."""
        if _depth > 4:
            return
        if isinstance(value, OneShot):
            if use:
                self.note_use(value, node)
            first = self.state.consumed.get(value.id)
            if first is not None:
                if self.report:
                    self.facts.reuses.append(Reuse(value, first, node, in_loop=False))
                elif self.reuse_sink is not None:
                    self.reuse_sink.append(Reuse(value, first, node, in_loop=False))
            else:
                self.state.consumed[value.id] = node
                if (value.id in self.seeded and self.method_uses is not None
                        and self.loop_depth == 0 and len(self.exit_stack) == 1):
                    # consumed on every path of this method (its body's own block)
                    self.method_uses.setdefault(value.id, []).append((self.scope_fn, node, value))
                if self.report and value.id in self.facts.bound_at:
                    ok = self.nothing_between(value)
                    self.facts.early_ok[value.id] = self.facts.early_ok.get(value.id, True) and ok
                if self.loop_depth > value.loop_depth and self.repeats_in_loop(value, node):
                    if self.report:
                        self.facts.reuses.append(Reuse(value, node, node, in_loop=True))
            for inner in value.inner:
                self.consume(inner, node, _depth + 1)
        elif isinstance(value, Union_):
            for m in value.members:
                self.consume(m, node, _depth + 1)

    def nothing_between(self, it: OneShot) -> bool:
        """Materialising ``it`` where it is bound gives its first consumer the same items:
        it is pure, its first consumption is in the same block, and the statements from the
        binding up to the consuming one run nothing that could change a model (see
        ``_inert``)."""
        if not it.pure:
            return False
        bound = self.facts.bound_at[it.id]
        now = self.block_pos
        k = len(bound) - 1
        if k < 0 or len(now) <= k or any(now[x][0] is not bound[x][0] or now[x][1] != bound[x][1]
                                         for x in range(k)):
            return False
        stmts, i = bound[k]
        j = now[k][1]
        if now[k][0] is not stmts or not i < j <= i + _MAX_BETWEEN \
                or len(_small_statements(stmts[i])) != 1:
            return False
        name = self.facts.bindings[it.id][1].value
        return all(_inert(s, name, self.ctx) for s in stmts[i + 1:j + 1])

    def repeats_in_loop(self, it: OneShot, node: cst.CSTNode) -> bool:
        """A use inside a loop of an iterator created outside it runs again next iteration."""
        names = _names_in(node)
        outer = it.loop_depth  # loops deeper than the creation repeat the use
        for assigned in self.loop_assigned[outer:]:
            if names & assigned:
                return False
        base = self.loop_exit_base[outer] if outer < len(self.loop_exit_base) else len(self.exit_stack)
        return not any(self.exit_stack[base:])

    def note_use(self, it: OneShot, node) -> None:
        """``it`` is used at ``node`` in a way a list would serve as well (PG002's fix)."""
        if self.report:
            self.facts.uses.setdefault(it.id, []).append(node)

    def self_attribute(self, node: cst.Attribute) -> Any:
        """``self.X`` read as the value stored there, when only one function stores X."""
        if (self.attr_owners is None or not isinstance(node.value, cst.Name)
                or node.value.value != "self" or self.self_class is None):
            return None
        key = "self." + node.attr.value
        value = self.state.attrs.get(key)
        if value is None or len(self.attr_owners.get(node.attr.value, ())) != 1:
            return None
        # a module stays a path under self (self.encoder is part of self.parameters())
        if isinstance(value, (OneShot, OptimizerValue, Materialized, Const, Scaled,
                              SetValue, ListObj, GroupDict)):
            if isinstance(value, OneShot) and self.report:
                self.facts.refs.setdefault(value.id, []).append(node)
            return value
        return None

    def eval_base(self, node: cst.BaseExpression) -> Any:
        """The receiver of an item read or store, or of a dict method: reading ``g["lr"]``
        or writing ``g["lr"] = x`` does not hand the dict ``g`` itself anywhere (PG012)."""
        if isinstance(node, cst.Name):
            got = self.state.env.get(node.value)
            if got is not None and isinstance(got[0], GroupDict):
                return got[0]
        return self.eval(node)

    def call_given_exhausted(self, node: cst.Call, m) -> Any:
        """Evaluate a call; an argument that names a one-shot iterable proven exhausted
        before the call receives nothing (PG002), whatever the callee does with it."""
        if isinstance(node.func, cst.Name):
            fn = self.lookup(node.func.value)
            if isinstance(fn, _LocalDef):
                for a in node.args:
                    self.eval(a.value)
                self.closure_call(fn.node)  # a nested function of this scope, run here
                return UNKNOWN
        before = []
        if (self.report or self.reuse_sink is not None) and not _only_inspects(self.ctx.qualname(node.func)
                                               if isinstance(node.func, (cst.Name, cst.Attribute))
                                               else None):
            for a in node.args:
                if isinstance(a.value, cst.Name):
                    got = self.state.env.get(a.value.value)
                    if got is not None and isinstance(got[0], OneShot) \
                            and got[0].id in self.state.consumed \
                            and got[0].id not in self.iterating:
                        before.append((a.value, got[0], self.state.consumed[got[0].id]))
        n = len(self.facts.reuses)
        value = m(node)
        self.project_call(node)
        for arg, it, first in before:
            if not any(r.second is arg for r in self.facts.reuses[n:]):
                r = Reuse(it, first, arg, in_loop=False, call=True)
                (self.facts.reuses if self.report else self.reuse_sink).append(r)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "step":
            for a in node.args:  # optimizer.step(closure): the optimizer runs it
                fn = self.lookup(a.value.value) if isinstance(a.value, cst.Name) else None
                if isinstance(fn, _LocalDef):
                    self.closure_call(fn.node)
        return value

    def project_call(self, node: cst.Call) -> None:
        """A function imported from another module of the project, given one-shot
        iterators by name: it consumes them as its summary says (see project.py)."""
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)) or not node.args \
                or not self.ctx.is_imported(func):
            return
        its, pos = [], 0
        for a in node.args:
            if a.star:
                return  # which parameter gets what is unknown
            if isinstance(a.value, cst.Name):
                got = self.state.env.get(a.value.value)
                if got is not None and isinstance(got[0], OneShot):
                    its.append((a, pos if a.keyword is None else a.keyword.value, got[0]))
            if a.keyword is None:
                pos += 1
        q = self.ctx.qualname(func) if its else None
        s = project_summary(getattr(self.ctx, "path", None), q) if q else None
        if s is None:
            return
        for a, where, it in its:
            p = where if isinstance(where, str) else s.params[where] if where < len(s.params) \
                else None
            if p in s.twice:
                r = Reuse(it, a.value, a.value, in_loop=False, helper=q.split(".")[-1])
                if self.report:
                    self.facts.reuses.append(r)
            elif p in s.consumes:
                self.consume(it, a.value, use=False)  # what else it does with it: unread

    def closure_call(self, fn: cst.FunctionDef) -> None:
        """Run a nested function where it is called: its free names see this scope's
        values as they are now (an LBFGS closure clipping an exhausted generator)."""
        if fn in self.helper_stack or len(self.helper_stack) >= self.MAX_HELPER_DEPTH:
            return
        local = self.ctx.assigned.get(fn, set())
        sub = Interpreter(self.ctx, self.facts, report=False,
                          helper_stack=self.helper_stack + (fn,), self_class=self.self_class,
                          local_names=local)
        sub.state.env = {k: v for k, v in self.state.env.items() if k not in local}
        sub.state.consumed = dict(self.state.consumed)
        sub.state.attrs = dict(self.state.attrs)
        sub.attr_owners = self.attr_owners
        sub.bind_parameters(fn)
        sub.reuse_sink = []
        sub.in_closure = True
        sub.run_block(_block(fn.body))
        outer = {v.id for v, _ in self.state.env.values() if isinstance(v, OneShot)}
        for r in sub.reuse_sink:
            if r.it.id in outer:
                (self.facts.reuses if self.report else
                 self.reuse_sink if self.reuse_sink is not None else []).append(r)

    def note_group_list(self, value: Any, group: Group, opt: OptimizerValue, node) -> None:
        """A group's params written as a list literal right there (PG105)."""
        if (self.report and isinstance(value, ListObj) and value.parts is not None
                and value.node is node and isinstance(node, (cst.List, cst.Tuple))):
            parts = [(n, v, star, self.params_of(v) if star else None)
                     for n, v, star in value.parts]
            self.facts.group_lists.append((parts, group, opt))

    def note_name_var(self, target, it: Any) -> None:
        """``for n, p in model.named_parameters()``: what ``n`` can equal (PG011)."""
        if not isinstance(it, OneShot) or it.id not in self.name_sources:
            return
        if isinstance(target, cst.Tuple) and len(target.elements) == 2:
            n = target.elements[0].value
            if isinstance(n, cst.Name) and n.value in self.state.env:
                self.name_vars[n.value] = (self.state.env[n.value][1], self.name_sources[it.id])

    def ev_Comparison(self, node: cst.Comparison):
        self.eval_children(node)
        if (self.report and isinstance(node.left, cst.Name) and len(node.comparisons) == 1
                and isinstance(node.comparisons[0].operator, (cst.In, cst.NotIn))):
            var = self.name_vars.get(node.left.value)
            got = self.state.env.get(node.left.value)
            if var is not None and got is not None and got[1] == var[0]:
                model, can_equal = var[1]
                strings = self.strings_of(node.comparisons[0].comparator)
                if strings and not any(can_equal(x) for x in strings):
                    self.facts.never_match.append((node, node.left.value, strings, model))
        return UNKNOWN

    def strings_of(self, node: cst.BaseExpression) -> tuple | None:
        """The strings of a literal list, tuple or set (or a name bound to one)."""
        if isinstance(node, cst.Name):
            got = self.state.env.get(node.value)
            if got is None:
                return None
            v = got[0]
            if isinstance(v, Const):
                v = v.value
            elif isinstance(v, SetValue) and isinstance(v.node, cst.Set):
                v = _literal_set(v.node)
            else:
                return None
        elif isinstance(node, (cst.List, cst.Tuple)):
            v = literal(node)
        elif isinstance(node, cst.Set):
            v = _literal_set(node)
        else:
            return None
        if isinstance(v, (list, tuple, frozenset)) and v and all(isinstance(x, str) for x in v):
            return tuple(sorted(v)) if isinstance(v, frozenset) else tuple(v)
        return None

    def note_param_var(self, target, it: Any) -> None:
        """``for p in m.parameters()`` / ``for n, p in m.named_parameters()``: p is a Parameter."""
        if not (isinstance(it, OneShot) and isinstance(it.node, cst.Call)
                and isinstance(it.node.func, cst.Attribute)
                and it.node.func.attr.value in _PARAM_METHODS):
            return
        named = it.node.func.attr.value == "named_parameters"
        if named and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            target = target.elements[1].value
        elif named:
            return
        if isinstance(target, cst.Name):
            self.param_vars[target.value] = self.state.env[target.value][1]

    def element_of(self, it: Any) -> Any:
        if isinstance(it, ListObj) and not it.open and it.elements:
            return ElementOf(it)
        return UNKNOWN

    # ---------------------------------------------------------- expressions
    def eval(self, node: cst.BaseExpression | None, consume: bool = False) -> Any:
        if node is None:
            return UNKNOWN
        m = getattr(self, "ev_" + type(node).__name__, None)
        if isinstance(node, cst.Call):
            return self.call_given_exhausted(node, m)
        if m is None:
            self.eval_children(node)
            v = literal(node)
            return UNKNOWN if v is UNKNOWN else Const(v, node)
        return m(node)

    def eval_children(self, node: cst.CSTNode) -> None:
        """Evaluate sub-expressions for their effects (nested calls that consume)."""
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self.eval(child)
            elif isinstance(child, (cst.Arg, cst.Element, cst.DictElement, cst.StarredElement,
                                    cst.StarredDictElement, cst.SubscriptElement, cst.Index,
                                    cst.ComparisonTarget, cst.FormattedStringExpression)):
                self.eval_children(child)

    def ev_Lambda(self, node):
        return UNKNOWN

    def ev_Yield(self, node):
        v = self.eval(node.value) if isinstance(node.value, cst.BaseExpression) else UNKNOWN
        if isinstance(node.value, cst.From):
            self.eval(node.value.item)
        self.mark_used(v)
        return UNKNOWN

    def ev_Integer(self, node):
        return Const(literal(node), node)

    ev_Float = ev_SimpleString = ev_ConcatenatedString = ev_Integer

    def ev_UnaryOperation(self, node):
        v = literal(node)
        if v is UNKNOWN:
            self.eval(node.expression)
            return UNKNOWN
        return Const(v, node)

    def ev_Name(self, node: cst.Name):
        if node.value in ("True", "False", "None"):
            return Const(literal(node), node)
        got = self.state.env.get(node.value)
        if got is not None:
            val, ver = got
            if isinstance(val, OneShot) and (self.report or self.in_closure):
                # (a closure's reads count: PG002's fix must not turn them into a list)
                self.facts.refs.setdefault(val.id, []).append(node)
            if isinstance(val, GroupDict):
                val.escaped = True  # the dict itself goes somewhere (PG012)
            if val is UNKNOWN or isinstance(val, (_NewModule, _LocalDef)):
                # an object pglint does not model (a model, a module): a root for paths
                return PathValue(Root(node.value, ver), (), node)
            return val
        q = self.ctx.qualname(node)
        if q is not None:
            cls = self.ctx.optimizer_class_for(q, imported=self.ctx.is_imported(node))
            if cls is not None:
                return ClassRef(cls)
        if self.local_names is not None and node.value in self.local_names:
            return UNKNOWN  # local, not bound yet on this path
        if node.value in self.ctx.functions or node.value in self.ctx.classes:
            return UNKNOWN
        return PathValue(self.free_root(node.value), (), node)

    def ev_Attribute(self, node: cst.Attribute):
        # iterative over `a.b.c.d...`: evaluate the innermost non-plain link, then walk out
        chain = [node]
        while (isinstance(chain[-1].value, cst.Attribute) and not self.ctx.is_imported(chain[-1])
               and chain[-1].attr.value not in _PARAM_METHODS):
            chain.append(chain[-1].value)
        base = self._attribute(chain[-1], None)
        for link in reversed(chain[:-1]):
            base = self._attribute(link, base)
        return base

    def _attribute(self, node: cst.Attribute, base: Any) -> Any:
        """One link of an attribute chain; ``base``: its value's value, None to evaluate it."""
        if self.ctx.is_imported(node):
            cls = self.ctx.optimizer_class(node)
            return ClassRef(cls) if cls is not None else UNKNOWN
        if node.attr.value in _PARAM_METHODS:
            if base is None:
                self.eval(node.value)
            return MethodRef(node, node.attr.value not in self.ctx.stored_attrs
                             and self.is_module(node.value))
        if base is None:
            stored = self.self_attribute(node)
            if stored is not None:
                return stored
            base = self.eval(node.value)
        if isinstance(base, PathValue):
            return PathValue(base.root, base.path + (node.attr.value,), node)
        return UNKNOWN

    def ev_Subscript(self, node: cst.Subscript):
        base = self.eval_base(node.value)
        key = self.subscript_key(node)
        if key is UNKNOWN:
            for el in node.slice:
                self.eval_children(el)
        if isinstance(base, GroupDict) and isinstance(key, str):
            if key == "params":
                base.escaped = True  # its parameters go somewhere (PG012)
            e = base.keys.get(key)
            return e.value if e is not None else UNKNOWN
        if isinstance(base, ElementOf) and isinstance(key, str):
            vals = []
            for el in base.source.elements:
                if not isinstance(el, GroupDict) or key not in el.keys:
                    return UNKNOWN
                vals.append(el.keys[key].value)
            return Union_(tuple(vals))
        if isinstance(base, ListObj) and isinstance(key, int) and not base.open:
            if -len(base.elements) <= key < len(base.elements):
                return base.elements[key]
            return UNKNOWN
        if isinstance(base, PathValue):
            return PathValue(base.root, base.path + ((key if key is not UNKNOWN else None),), node)
        return UNKNOWN

    def ev_NamedExpr(self, node: cst.NamedExpr):
        v = self.eval(node.value)
        self.bind_target(node.target, v, node)
        return v

    def ev_IfExp(self, node: cst.IfExp):
        self.eval(node.test)
        a = self.eval(node.body)
        b = self.eval(node.orelse)
        return a if a is b else UNKNOWN

    def ev_BinaryOperation(self, node: cst.BinaryOperation):
        # iterative over the left spine: `a + b + c + ...` is as long as the user writes it
        spine = [node]
        while isinstance(spine[-1].left, cst.BinaryOperation):
            spine.append(spine[-1].left)
        a = self.eval(spine[-1].left)
        for op in reversed(spine):
            a = self._binary(op, a, self.eval(op.right))
        return a

    def _binary(self, node: cst.BinaryOperation, a: Any, b: Any) -> Any:
        if isinstance(node.operator, cst.Add) and isinstance(a, (Materialized, ListObj)) \
                and isinstance(b, (Materialized, ListObj)):
            if isinstance(a, ListObj) and isinstance(b, ListObj):
                return ListObj(node, a.elements + b.elements, a.open or b.open)
            return Materialized(union(self.params_of(a), self.params_of(b), node=node), node)
        if isinstance(node.operator, _SET_OPS) and isinstance(a, SetValue):
            return SetValue(node)  # set(a) | set(b), s - {x}: still a set (PG006)
        return _scaled(node, a, b)

    def ev_Dict(self, node: cst.Dict):
        d = GroupDict(node, stmt=self.current_stmt)
        for el in node.elements:
            if isinstance(el, cst.StarredDictElement):
                v = self.eval(el.value)
                if isinstance(v, GroupDict) and not v.open:
                    d.keys.update(v.keys)  # {**overrides}: its keys, as known
                else:
                    d.open = True
                continue
            k = literal(el.key)
            v = self.eval(el.value)
            if isinstance(k, str):
                d.keys[k] = KeyEntry(el.key, el.value, v)
            else:
                self.eval(el.key)
                d.open = True
        return d

    def ev_List(self, node):
        if node.elements:
            v = literal(node)
            if v is not UNKNOWN:  # (0.9, 0.999), [0.1, 0.01]: a literal value
                return Const(v, node)
        elems, open_, parts = [], False, []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                parts.append((el, self.eval(el.value), True))
                open_ = True
            else:
                elems.append(self.eval(el.value))
                parts.append((el.value, elems[-1], False))
                if isinstance(elems[-1], GroupDict):
                    elems[-1].escaped = True  # held by a list
        return ListObj(node, elems, open_, parts=parts)

    ev_Tuple = ev_List

    def ev_Set(self, node):
        self.eval_children(node)
        return SetValue(node)

    def ev_SetComp(self, node):
        self.comprehension(node, lazy=False)
        return SetValue(node)

    def ev_ListComp(self, node):
        return self.comprehension(node, lazy=False)

    def ev_GeneratorExp(self, node):
        return self.comprehension(node, lazy=True)

    def ev_DictComp(self, node):
        made = self.comprehension(node, lazy=False)
        if isinstance(made, ListObj) and made.elements:
            # {name: {"params": ..., "lr": ...} for name in ...}: its values() are groups
            return GroupDict(node, open=True, members=list(made.elements))
        return UNKNOWN

    # ---------------------------------------------------------- comprehensions
    def comprehension(self, node, lazy: bool) -> Any:
        """Evaluate a comprehension; return a parameter selection or group template."""
        saved = self.state.env
        self.state.env = dict(saved)
        fors = []
        f = node.for_in
        while f is not None:
            fors.append(f)
            f = f.inner_for_in
        first_iter = self.eval(fors[0].iter)
        if not lazy:
            self.consume(first_iter, fors[0].iter)
        elif isinstance(first_iter, OneShot):
            self.note_use(first_iter, fors[0].iter)
        self.bind_target(fors[0].target, self.element_of(first_iter), node)
        self.note_name_var(fors[0].target, first_iter)
        outer_iterating = self.iterating
        self.iterating = outer_iterating | _drawn_from(first_iter)
        deferred = []
        for f in fors[1:]:
            it = self.eval(f.iter)
            if lazy:
                deferred.append(it)  # iterated only when the generator is
            else:
                self.consume(it, f.iter)
            self.bind_target(f.target, self.element_of(it), node)
        for f in fors:
            for cond in f.ifs:
                self.eval(cond.test)
        elt = getattr(node, "elt", None)
        if isinstance(node, cst.DictComp) and isinstance(node.value, (cst.Dict, cst.Call)):
            elt = node.value
            self.eval(node.key)
        result: Any = UNKNOWN
        if isinstance(elt, cst.Dict) or (isinstance(elt, cst.Call) and self._is_dict_call(elt)):
            d = self.eval(elt)
            if isinstance(d, GroupDict):
                d.template = True
                result = ListObj(node, [d], open=True)
        elif elt is not None and len(fors) == 1:
            if not isinstance(elt, cst.Name):
                self.eval(elt)
            params = self.selection(fors[0], elt, first_iter)
            if lazy and isinstance(first_iter, _Endless):
                result = _Endless(node)
            elif lazy:
                inner = (first_iter,) if isinstance(first_iter, (OneShot, Union_)) else ()
                result = OneShot(node, code(node), params, inner, self.loop_depth)
            else:
                result = Materialized(params, node)
        elif elt is not None:
            self.eval(elt)
            if lazy and any(isinstance(v, _Endless) for v in (first_iter, *deferred)):
                result = _Endless(node)
            elif lazy:
                inner = tuple(v for v in (first_iter, *deferred) if isinstance(v, (OneShot, Union_)))
                result = OneShot(node, code(node), UNKNOWN_PARAMS, inner, self.loop_depth)
        self.iterating = outer_iterating
        targets = set().union(*(_target_names(f.target) for f in fors))
        for k in targets:
            if k in saved:
                self.state.env[k] = saved[k]
            else:
                self.state.env.pop(k, None)
        return result

    def _is_dict_call(self, call: cst.Call) -> bool:
        return isinstance(call.func, cst.Name) and call.func.value == "dict" \
            and self.ctx.qualname(call.func) == "dict"

    def selection(self, comp_for, elt, source: Any) -> ParamSet:
        """``[p for n, p in X.named_parameters() if c]`` -> X's params filtered by c."""
        src = self.params_of(source)
        if not src.known:
            return UNKNOWN_PARAMS
        named = isinstance(source, OneShot) and source.desc.endswith("named_parameters()")
        target = comp_for.target
        rename: dict[str, str] = {}
        if named and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            n, p = (e.value for e in target.elements)
            if not (isinstance(n, cst.Name) and isinstance(p, cst.Name)):
                return UNKNOWN_PARAMS
            rename = {n.value: "__pg_n", p.value: "__pg_p"}
            if not (isinstance(elt, cst.Name) and elt.value == p.value):
                return UNKNOWN_PARAMS
        elif not named and isinstance(target, cst.Name):
            rename = {target.value: "__pg_p"}
            if not (isinstance(elt, cst.Name) and elt.value == target.value):
                return UNKNOWN_PARAMS
        else:
            return UNKNOWN_PARAMS
        conds = [c.test for c in comp_for.ifs]
        return self.filtered(src, conds, rename)

    def filtered(self, src: ParamSet, conds: list, rename: dict) -> ParamSet:
        if not conds:
            return src
        if any(a.leaf or a.list_id is not None for a in src.atoms):
            return UNKNOWN_PARAMS
        flt = make_filter(conds, rename)
        return ParamSet(tuple(Atom(a.root, a.path, a.filter | flt, a.recursive) for a in src.atoms))

    # ---------------------------------------------------------- parameter sets
    def params_of(self, v: Any) -> ParamSet:
        if isinstance(v, (OneShot, Materialized)):
            return v.params
        if isinstance(v, ListObj):
            if v.tensors:
                # a list the user fills: the same list twice is the same set
                return ParamSet((Atom(list_id=v.id),), v.node)
            if v.open:
                return UNKNOWN_PARAMS
            atoms = []
            for e in v.elements:
                if isinstance(e, PathValue) and e.path:
                    atoms.append(Atom(e.root, e.path, leaf=True))
                elif isinstance(e, (OneShot, Materialized, ListObj)):
                    p = self.params_of(e)
                    if not p.known:
                        return UNKNOWN_PARAMS
                    atoms.extend(p.atoms)
                else:
                    return UNKNOWN_PARAMS
            return ParamSet(tuple(atoms))
        return UNKNOWN_PARAMS

    # ---------------------------------------------------------- calls
    def ev_Call(self, node: cst.Call):
        func = node.func
        # x.parameters() / x.named_parameters()
        if isinstance(func, cst.Attribute) and func.attr.value in _PARAM_METHODS:
            return self.parameters_call(node, func)
        if isinstance(func, cst.Attribute):
            handled, v = self.method_call(node, func)
            if handled:
                return v
            if (isinstance(func.value, cst.Name) and func.value.value == "self"
                    and (self.self_class, func.attr.value) in self.ctx.methods):
                fn = self.ctx.methods[(self.self_class, func.attr.value)]
                return self.helper_call(node, fn, self.eval(func.value))
            if func.attr.value == "step":  # opt.step(), scaler.step(opt)
                self.mark_used(self.eval(func.value))
                for a in node.args:
                    self.mark_used(self.eval(a.value))
                return UNKNOWN
        if (isinstance(func, cst.Attribute) and func.attr.value in _SAME_MODULE
                and isinstance(func.value, cst.Call)):
            # Net().to(device), nn.Linear(4, 2).cuda().half(): still the new module
            base = self.eval(func.value)
            for a in node.args:
                self.eval(a.value)
            return base if isinstance(base, _NewModule) else UNKNOWN
        callee = self.eval(func)
        q = self.ctx.qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if (q is not None and q.startswith("transformers.") and q.endswith(".from_pretrained")
                and self.ctx.is_imported(func) and not _HF_NOT_MODEL.search(q)):
            for a in node.args:
                self.eval(a.value)
            return _NewModule(node, True)  # a Hugging Face model, loaded
        if isinstance(callee, ClassRef):
            return self.optimizer_call(node, callee.cls)
        if q is not None and q.startswith("<local>."):
            name = q[len("<local>."):]
            if name in self.ctx.opt_classes:
                return self.optimizer_call(node, self.ctx.opt_classes[name])
            if name in self.ctx.functions:
                return self.helper_call(node, self.ctx.functions[name], None)
        if q == "dict" and "dict" not in self.state.env:
            return self.dict_call(node)
        if endless_call(node, self.ctx):
            for a in node.args:
                self.eval(a.value)
            return _Endless(node)
        if q is not None and (q in LAZY_WRAPPERS or q.endswith(("itertools.chain",
                                                                 "chain.from_iterable"))):
            return self.lazy_call(node, q)
        if q is not None and self._is_scheduler(q):
            return self.scheduler_call(node, q)
        if q in _MODULE_CHANGERS and self.ctx.is_imported(func):
            return self.changer_call(node, q)
        if q == "copy.deepcopy" and self.ctx.is_imported(func):
            return self.deepcopy_call(node)
        if q in ("setattr",) and len(node.args) == 3:
            return self.setattr_call(node)
        args = [self.eval(a.value) for a in node.args]
        if not _non_stepper(q):
            for v in args:
                self.mark_used(v)  # handed to code that may step it
        if q is not None and (q in CONSUMER_BUILTINS or q in CONSUMER_QUALNAMES
                              or q.split(".")[-1] in ("clip_grad_norm_", "clip_grad_value_",
                                                     "parameters_to_vector")):
            for a, v in zip(node.args, args):
                if a.keyword is None or a.keyword.value in ("parameters", "params", "tensors"):
                    self.consume(v, a.value)
            if q in ("list", "tuple", "sorted") and len(args) == 1:
                p = self.params_of(args[0])
                if isinstance(args[0], ListObj):
                    return ListObj(node, list(args[0].elements), args[0].open)
                return Materialized(p, node)
            if q in ("set", "frozenset"):
                return SetValue(node)
            return UNKNOWN
        if isinstance(func, cst.Name) and q is not None and self.is_generator_function(q):
            return OneShot(node, code(node), UNKNOWN_PARAMS, (), self.loop_depth)
        if self._is_constructor(q, func):
            # constructors consume the iterables they are given (ParameterList, EMA, ...)
            for a, v in zip(node.args, args):
                if isinstance(v, OneShot):
                    self.consume(v, a.value)
            return _NewModule(node, self._is_torch_module(q))
        return UNKNOWN

    def _is_constructor(self, q: str | None, func) -> bool:
        if q is None:
            return False
        last = q.split(".")[-1]
        if q.startswith("<local>."):
            return last in self.ctx.classes
        return last[:1].isupper() and not last.isupper() and (
            self.ctx.is_imported(func) or isinstance(func, cst.Name))

    def _is_torch_module(self, q: str) -> bool:
        """A torch.nn module or Parameter class, or a Module subclass of this file."""
        return self.ctx.module_class(q)

    def _class_of(self, node: cst.BaseExpression) -> str | None:
        """The qualified class of the object ``node`` names, where provable: ``self`` in a
        method, or a name bound on this path to a constructor call."""
        if not isinstance(node, cst.Name):
            return None
        got = self.state.env.get(node.value)
        if got is not None and isinstance(got[0], _NewModule):
            return self.ctx.qualname(got[0].node.func)
        if node.value == "self" and self.self_class is not None:
            return "<local>." + self.self_class
        return None

    def is_module(self, node: cst.BaseExpression) -> bool:
        """``node`` provably evaluates to a torch Module: a Module construction bound to a
        name, ``self`` in a Module subclass, or ``x.attr`` where every ``self.attr = ...``
        of x's class (of this file) stores a new Module."""
        if isinstance(node, cst.Attribute):
            q = self._class_of(node.value)
            return (q is not None and q.startswith("<local>.") and self.ctx.module_class(q)
                    and self.ctx.module_attr(q[len("<local>."):], node.attr.value))
        return self.ctx.module_class(self._class_of(node))

    def is_generator_function(self, q: str) -> bool:
        if q.startswith("<local>."):
            fn = self.ctx.functions.get(q[len("<local>."):])
            return fn is not None and self.ctx.one_shot_generator(fn)
        return False

    def parameters_call(self, node: cst.Call, func: cst.Attribute):
        base = self.eval(func.value)
        named = _PARAM_METHODS[func.attr.value]
        recurse = True
        for a in node.args:
            self.eval(a.value)
            if a.keyword is not None and a.keyword.value == "recurse" or a.keyword is None and not named:
                recurse = literal(a.value) is not False
            elif a.keyword is not None and a.keyword.value == "prefix" and named:
                pass
        if isinstance(base, OptimizerValue) or self.ctx.list_returning_parameters:
            return UNKNOWN  # a class of this file defines its own parameters()
        if isinstance(base, PathValue):
            params = ParamSet((Atom(base.root, base.path, recursive=recurse),), node)
        else:
            params = UNKNOWN_PARAMS
        it = OneShot(node, code(node), params, (), self.loop_depth, pure=True)
        if named and not node.args:
            can_equal = self.names_of_model(func.value, base)
            if can_equal is not None:
                self.name_sources[it.id] = (code(func.value), can_equal)
        return it

    def names_of_model(self, expr: cst.BaseExpression, base: Any):
        """What the parameter names of the model ``expr`` can equal (PG011), if known: a
        name or ``self.X`` holding a model this file builds, or ``self`` in a Module
        subclass of the file."""
        made = None
        if isinstance(expr, cst.Name):
            got = self.state.env.get(expr.value)
            made = got[0] if got is not None else None
            if (isinstance(base, PathValue) and self.self_root is not None
                    and base.root == self.self_root and not base.path):
                return class_names_can_equal(self.ctx, self.self_class)
        elif (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
              and expr.value.value == "self" and self.attr_owners is not None
              and len(self.attr_owners.get(expr.attr.value, ())) == 1):
            made = self.state.attrs.get(code(expr))  # self.encoder = AutoModel.from_pretrained
        if isinstance(made, _NewModule):
            return names_can_equal(self.ctx, made.node)
        return None

    def method_call(self, node: cst.Call, func: cst.Attribute) -> tuple[bool, Any]:
        attr = func.attr.value
        if attr in ("append", "extend", "insert", "add_param_group", "update", "load_state_dict",
                    "pop", "get", "setdefault", "copy", "values"):
            base = self.eval_base(func.value) if attr != "copy" else self.eval(func.value)
        else:
            return False, UNKNOWN
        args = [self.eval(a.value) for a in node.args]
        kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if isinstance(base, ListObj):
            if attr in ("append", "extend") and len(args) == 1:
                v = args[0]
                items = (v.elements if attr == "extend" and isinstance(v, ListObj) and not v.open
                         else [v] if attr == "append" else None)
                if items is None:
                    base.open = base.tensors = True
                for item in items or ():
                    if isinstance(item, GroupDict):
                        if self.loop_depth:
                            item.template = True  # one syntax node, a dict per iteration
                        base.elements.append(item)
                    else:
                        # decay.append(p): a list of tensors only the user knows
                        base.tensors = True
                        base.elements.append(item)
                if self.loop_depth:
                    base.open = True  # appended once per iteration: count unknown
                return True, UNKNOWN
            if attr in ("insert", "pop"):
                base.open = True
                return True, UNKNOWN
        if isinstance(base, GroupDict):
            if attr == "values" and not args:  # list(groups.values()): the groups it holds
                vals = [e.value for e in base.keys.values()] + base.members
                return True, ListObj(node, vals, base.open or bool(self.loop_depth))
            if attr in ("update", "setdefault"):
                base.open = True
            # group keys are strings: any other key (a list, a dict: unhashable) is unknown
            if attr in ("get", "pop", "setdefault") and args and isinstance(args[0], Const) \
                    and isinstance(args[0].value, str):
                if args[0].value == "params":
                    base.escaped = True  # its parameters go somewhere (PG012)
                e = base.keys.get(args[0].value)
                if attr == "pop" and e is not None:
                    del base.keys[args[0].value]
                return True, e.value if e is not None else UNKNOWN
            return True, UNKNOWN
        if attr == "add_param_group" and args:
            if not isinstance(base, OptimizerValue):
                # an optimizer pglint did not see built (a parameter, a global, self.opt)
                base = OptimizerValue(node, _SOME_OPTIMIZER, [], False)
            self.add_param_group(node, base, args[0], node.args[0].value)
            return True, UNKNOWN
        if attr == "load_state_dict" and isinstance(base, PathValue):
            assign = kwargs.get("assign")
            if assign is not None and literal(assign) is True and self.report:
                self.facts.model_changes.append(ModelChange(
                    node, code(node).strip().splitlines()[0], base, self.alive_optimizers()))
        if not isinstance(base, (ListObj, GroupDict, OptimizerValue)):
            for v in args:
                self.mark_used(v)  # registry.append(opt), callbacks.update(...)
        return True, UNKNOWN

    def dict_call(self, node: cst.Call):
        d = GroupDict(node, stmt=self.current_stmt)
        for a in node.args:
            v = self.eval(a.value)
            if a.keyword is not None:
                d.keys[a.keyword.value] = KeyEntry(a.keyword, a.value, v)
            elif a.star == "**" and isinstance(v, GroupDict) and not v.open:
                d.keys.update(v.keys)
            else:
                d.open = True
        return d

    def lazy_call(self, node: cst.Call, q: str):
        args = [self.eval(a.value) for a in node.args]
        last = q.split(".")[-1]
        endless = [isinstance(v, _Endless) for v in args]
        if any(endless) and (all(endless) if last == "zip" else last != "islice"):
            return _Endless(node)  # map/filter/chain/enumerate over an endless iterator
        # islice takes a few items and zip stops at the shortest: neither exhausts its inputs
        partial = last == "islice" or last == "zip" and not _same_lengths(args, self.params_of)
        inner = () if partial else tuple(v for v in args if isinstance(v, (OneShot, Union_)))
        for v, a in zip(args, node.args):
            if isinstance(v, OneShot):
                self.note_use(v, a.value)
        params = UNKNOWN_PARAMS
        if last == "chain" and all(not a.star and a.keyword is None for a in node.args):
            params = union(*(self.params_of(v) for v in args), node=node)
        elif last == "filter" and len(node.args) == 2 and isinstance(node.args[0].value, cst.Lambda):
            lam = node.args[0].value
            src = self.params_of(args[1])
            names = [p.name.value for p in lam.params.params]
            named = isinstance(args[1], OneShot) and args[1].desc.endswith("named_parameters()")
            if src.known and len(names) == 1 and not named:
                params = self.filtered(src, [lam.body], {names[0]: "__pg_p"})
        elif last == "iter" and len(args) == 1:
            params = self.params_of(args[0])
        pure = last in _PURE_WRAPPERS and all(
            not a.star and (a.keyword is None or last == "enumerate") and
            (isinstance(v, OneShot) and v.pure or isinstance(v, Const))
            for a, v in zip(node.args, args))
        return OneShot(node, code(node), params, inner, self.loop_depth, pure=pure)

    def helper_call(self, node: cst.Call, fn: cst.FunctionDef, self_value: Any):
        args = [(a, self.eval(a.value)) for a in node.args]
        deep = fn in self.helper_stack or len(self.helper_stack) >= self.MAX_HELPER_DEPTH
        if deep or self.ctx.decorated(fn) or fn in self.ctx.generator_functions:
            for _, v in args:
                self.mark_used(v)  # a helper pglint does not follow may step it
            if not deep and self.ctx.one_shot_generator(fn):
                return OneShot(node, code(node), UNKNOWN_PARAMS, (), self.loop_depth)
            if fn in self.ctx.generator_functions and not self.ctx.decorated(fn):
                return _Endless(node)  # its body cannot finish
            return UNKNOWN  # a decorated function's result is unknown
        sub = Interpreter(self.ctx, self.facts, report=False,
                          helper_stack=self.helper_stack + (fn,),
                          self_class=self.ctx.enclosing_class.get(fn),
                          local_names=self.ctx.assigned[fn])
        params = list(fn.params.params)
        if self_value is not None and params:
            sub.bind(params[0].name.value, self_value)
            params = params[1:]
        positional = [v for a, v in args if a.keyword is None and not a.star]
        for p, v in zip(params, positional):
            sub.bind(p.name.value, v)
        self.bind_rest(sub, fn, params, args, len(positional))
        sub.reuse_sink = []
        sub.run_block(_block(fn.body))
        if self.report:
            # a generator argument the helper iterates twice (PG002), reported at the call
            for r in sub.reuse_sink:
                arg = next((a.value for a, v in args if v is r.it), None)
                if arg is not None:
                    self.facts.reuses.append(Reuse(r.it, r.first, arg, in_loop=False,
                                                   helper=fn.name.value, inner=r.second))
        rets = [r for r in sub.returns]
        if len(rets) == 1:
            return rets[0]
        return UNKNOWN

    @staticmethod
    def bind_rest(sub: Interpreter, fn: cst.FunctionDef, params: list, args: list,
                  n_positional: int) -> None:
        """Keyword arguments by name, ``**kwargs`` as a dict of the extra keywords (it may
        flow into ``{**kwargs}`` / ``dict(**kwargs)`` of a returned group), and the
        defaults of parameters the call leaves out."""
        names = {p.name.value for p in (*params, *fn.params.kwonly_params)}
        extra: dict = {}
        starred = any(a.star for a, _ in args)
        for a, v in args:
            if a.keyword is None:
                continue
            if a.keyword.value in names or starred:
                sub.bind(a.keyword.value, v)
            else:
                extra[a.keyword.value] = KeyEntry(a.keyword, a.value, v)
        if starred:
            return  # *args / **kw at the call: which parameter gets what is unknown
        kw = fn.params.star_kwarg
        if isinstance(kw, cst.Param):
            sub.bind(kw.name.value, GroupDict(kw, dict(extra)))
        given = {p.name.value for p in params[:n_positional]} | {
            a.keyword.value for a, _ in args if a.keyword is not None}
        for p in (*params[n_positional:], *fn.params.kwonly_params):
            if p.name.value not in given and p.default is not None:
                sub.bind(p.name.value, sub.eval(p.default))

    # ---------------------------------------------------------- optimizers
    def optimizer_call(self, node: cst.Call, cls) -> Any:
        params_arg = None
        value: Any = UNKNOWN
        kwargs: dict = {}
        values = []
        for i, a in enumerate(node.args):
            v = self.eval(a.value)
            values.append(v)
            if a.star:
                continue
            if a.keyword is None and params_arg is None and i == 0 or a.keyword is not None and a.keyword.value == "params":
                params_arg, value = a.value, v
            elif a.keyword is not None:
                kwargs[a.keyword.value] = (v, a.value)
        if any(self.holds_optimizer(v) for v in values) or any(
                _OPTIMIZER_KEYWORD.search(k) and not isinstance(v, (ClassRef, Const))
                for k, (v, _) in kwargs.items()):
            # built from another optimizer (Lookahead(opt), FP16_Optimizer(optimizer=opt),
            # inner_optimizer=[a, b], base_optimizer=<an argument>): a wrapper that steps
            # through it, not a peer; optimizer_class=torch.optim.Adam names a class
            for v in values:
                self.mark_used(v)
            return UNKNOWN
        opt = OptimizerValue(node, cls, [], True, kwargs=kwargs)
        if params_arg is None:
            opt.groups_known = False
            return opt
        self.attach_params(opt, value, params_arg)
        if self.report:
            self.facts.peers[opt.id] = self.peer_optimizers(opt)
            self.facts.optimizers.append(opt)
            if self.first_optimizer is None:
                self.first_optimizer = opt
        return opt

    def peer_optimizers(self, opt: OptimizerValue) -> list:
        """The optimizers alive now that may share a parameter with ``opt`` (PG003).

        Linear in the file: optimizers are indexed by what their atoms could overlap
        (the same list, or the same root and first path segment; see overlap.py), so the
        optimizers alive are looked up only when one could overlap.
        """
        index = self.opt_index
        query, keys = set(), set()
        for g in opt.groups:
            for a in g.params.atoms or ():
                if a.list_id is not None:
                    query.add(("list", a.list_id))
                    keys.add(("list", a.list_id))
                    continue
                if a.root is None:
                    continue
                seg = a.path[0] if a.path else ()
                keys.update(((a.root, seg), (a.root, "*")))
                if seg == ():
                    query.add((a.root, "*"))
                else:
                    query.add((a.root, ()))
                    if seg is not WILDCARD:
                        query.add((a.root, seg))
        cands = {o.id: o for k in query for o in index.get(k, ())}
        for k in keys:
            index.setdefault(k, []).append(opt)
        if not cands:
            return []
        return [o for o in self.alive_optimizers() if o.id in cands]

    def attach_params(self, opt: OptimizerValue, value: Any, node) -> None:
        if isinstance(value, MethodRef):
            if self.report:
                self.facts.uncalled.append((value, opt))
            opt.groups_known = False
            return
        if isinstance(value, SetValue):
            if self.report:
                self.facts.sets.append((value, opt))
            opt.groups_known = False
            return
        if isinstance(value, ListObj) and any(isinstance(e, GroupDict) for e in value.elements):
            for i, e in enumerate(value.elements):
                if isinstance(e, GroupDict):
                    g = self.attach_group(opt, e, node)
                    if g is not None:
                        g.index = i
                else:
                    opt.groups_known = False
            if value.open:
                opt.groups_known = False
            return
        if isinstance(value, Union_):
            opt.groups_known = False
            return
        if value is UNKNOWN or isinstance(value, (Const, GroupDict, ElementOf, Scaled)):
            opt.groups_known = False
            return
        self.consume(value, node)
        opt.groups.append(Group(self.params_of(value), None, node, 0))
        self.note_group_list(value, opt.groups[-1], opt, node)

    def attach_group(self, opt: OptimizerValue, d: GroupDict, site) -> Group | None:
        """Group dict ``d`` reaches ``opt`` through the argument ``site``."""
        if self.report:
            self.facts.dicts_to_optimizer.append((d, opt))
        if d.template:
            opt.groups_known = False
        entry = d.keys.get("params")
        if entry is None:
            opt.groups_known = False
            return None
        v = entry.value
        if isinstance(v, MethodRef):
            if self.report:
                self.facts.uncalled.append((v, opt))
            return None
        if not d.passed:
            self.consume(v, d.node if d.stmt is self.current_stmt else site)
        d.passed = True
        # torch turns the group's 'params' into a list in the user's own dict
        if isinstance(v, OneShot):
            entry.value = Materialized(v.params, entry.value_node)
        g = Group(UNKNOWN_PARAMS if d.template else self.params_of(v), d, entry.value_node)
        self.note_group_list(v, g, opt, entry.value_node)
        if not d.template:
            opt.groups.append(g)
        return g

    def add_param_group(self, node: cst.Call, opt: OptimizerValue, value: Any, arg) -> None:
        if not isinstance(value, GroupDict):
            return
        g = self.attach_group(opt, value, arg)
        if g is not None and self.report:
            self.facts.add_groups.append(AddGroup(opt, g, node))

    # ---------------------------------------------------------- schedulers / changes
    @staticmethod
    def _is_scheduler(q: str) -> bool:
        last = q.split(".")[-1]
        return last in ("OneCycleLR", "CyclicLR") and (q.startswith("torch.") or "." not in q)

    def scheduler_call(self, node: cst.Call, q: str):
        args = [(a, self.eval(a.value)) for a in node.args]
        opt = args[0][1] if args and args[0][0].keyword is None else UNKNOWN
        kwargs = {a.keyword.value: (v, a.value) for a, v in args if a.keyword is not None}
        if "optimizer" in kwargs:
            opt = kwargs.pop("optimizer")[0]
        positional = [(v, a.value) for a, v in args if a.keyword is None][1:]
        order = ("max_lr",) if q.endswith("OneCycleLR") else ("base_lr", "max_lr")
        for name, pv in zip(order, positional):
            kwargs.setdefault(name, pv)
        if self.report:
            self.facts.schedulers.append(SchedulerCall(q.split(".")[-1], node, opt, kwargs))
        return UNKNOWN

    def changer_call(self, node: cst.Call, q: str):
        args = [self.eval(a.value) for a in node.args]
        target = next((v for a, v in zip(node.args, args)
                       if a.keyword is None or a.keyword.value in ("module",)), None)
        if any(self.holds_optimizer(v) for v in args):
            return UNKNOWN  # it is handed the optimizer: not a change behind its back
        if isinstance(target, PathValue) and self.report:
            self.facts.model_changes.append(ModelChange(
                node, code(node).strip().splitlines()[0], target, self.alive_optimizers()))
        return UNKNOWN

    def deepcopy_call(self, node: cst.Call):
        args = [self.eval(a.value) for a in node.args]
        if args and isinstance(args[0], PathValue):
            return _DeepCopy(node, args[0], self.alive_optimizers())
        return UNKNOWN

    def setattr_call(self, node: cst.Call):
        obj, name, value = (self.eval(a.value) for a in node.args)
        if isinstance(obj, PathValue) and isinstance(name, Const) and isinstance(name.value, str):
            self.model_change(node, obj, name.value, value)
        return UNKNOWN


@dataclass(eq=False)
class _NewModule:
    """The result of a constructor call; ``module``: provably a torch module or Parameter."""

    node: cst.Call
    module: bool = False


@dataclass(eq=False)
class _LocalDef:
    """A function defined inside the scope being interpreted."""

    node: cst.FunctionDef


@dataclass(eq=False)
class _Endless:
    """An iterator that never runs dry (``itertools.cycle(x)``, a ``while True:`` generator,
    a generator expression over one): never exhausted, so never reused (PG002)."""

    node: cst.CSTNode


@dataclass(eq=False)
class _DeepCopy:
    node: cst.Call
    source: PathValue
    alive: list


_SOME_OPTIMIZER = OptClass("optimizer", "third", None)


_SET_OPS = (cst.BitOr, cst.Subtract, cst.BitAnd, cst.BitXor)
# classes that hold settings or state, never parameters (PG009's "any class" rule)
_NOT_MODULE = re.compile(r"(Config|Args|Arguments|Settings|Options|Params|Hparams|State|Dict|"
                         r"List|Tuple|Set|Counter|Meter|Logger|Writer|Timer|Path|Tensor)$")


def _class_name(call: cst.CSTNode) -> str | None:
    f = call.func if isinstance(call, cst.Call) else None
    name = f.value if isinstance(f, cst.Name) else f.attr.value if isinstance(f, cst.Attribute) else None
    return name if name and name[:1].isupper() else None


def _number(v: Any) -> bool:
    return isinstance(v, Const) and isinstance(v.value, (int, float)) \
        and not isinstance(v.value, bool) and v.value != 0


def _scaled(node: cst.BinaryOperation, a: Any, b: Any) -> Any:
    """``lr / 10``, ``lr * 0.1``, ``2 * lr`` over a name's value: Scaled (PG008)."""
    def sym(v):
        if isinstance(v, PathValue) and not v.path:
            return v.root, 1.0
        if isinstance(v, Scaled):
            return v.root, v.factor
        return None

    op = node.operator
    if isinstance(op, (cst.Multiply, cst.Divide)) and sym(a) and _number(b):
        root, f = sym(a)
        return Scaled(root, f * b.value if isinstance(op, cst.Multiply) else f / b.value, node)
    if isinstance(op, cst.Multiply) and _number(a) and sym(b):
        root, f = sym(b)
        return Scaled(root, f * a.value, node)
    return UNKNOWN


# Hugging Face classes loaded with from_pretrained that are not models
_HF_NOT_MODEL = re.compile(r"(Tokenizer|Processor|Config|Extractor|Scheduler|Pipeline)"
                           r"[A-Za-z]*\.from_pretrained$")
# methods of a module that return the module itself
_SAME_MODULE = frozenset({"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train",
                          "eval", "requires_grad_", "to_empty"})
# callees that look at an object without iterating it (PG002's "any later call")
_INSPECTORS = frozenset({"print", "repr", "str", "id", "type", "isinstance", "issubclass",
                         "hasattr", "getattr", "setattr", "delattr", "callable", "len", "hash",
                         "vars", "dir", "format", "next", "bool", "iter"})


def _drawn_from(it: Any, depth: int = 0) -> set:
    """The one-shot iterators a loop over ``it`` draws from."""
    if not isinstance(it, OneShot) or depth > 4:
        return set()
    out = {it.id}
    for inner in it.inner:
        out |= _drawn_from(inner, depth + 1)
    return out


def _same_lengths(args: list, params_of) -> bool:
    """zip's inputs provably have one length: one input, or the same parameters each."""
    if len(args) == 1:
        return True
    sets = [params_of(v) for v in args]
    return all(s.known and s.atoms == sets[0].atoms for s in sets) and \
        not any(a.list_id is not None for a in sets[0].atoms)


def _only_inspects(q: str | None) -> bool:
    return q in _INSPECTORS


def _literal_set(node: cst.Set) -> Any:
    try:
        v = ast.literal_eval(code(node))
    except Exception:
        return None
    return frozenset(v) if isinstance(v, set) else None


def _closure_names(fn: cst.FunctionDef) -> set[str] | None:
    """Names read by functions, lambdas and classes nested in ``fn``; None when ``fn``
    reads its own frame (``locals()``, ``vars()``, ``eval``, ``exec``)."""
    out: set[str] = set()
    frame = False

    class V(cst.CSTVisitor):
        def __init__(self):
            self.depth = 0

        def on_visit(self, node) -> bool:
            nonlocal frame
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                self.depth += 1
            elif isinstance(node, cst.Name):
                if self.depth:
                    out.add(node.value)
                if node.value in ("locals", "vars", "eval", "exec", "globals"):
                    frame = True
            return True

        def on_leave(self, node) -> None:
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                self.depth -= 1

    for stmt in _block(fn.body):
        stmt.visit(V())
    return None if frame else out


def _unused_groups(interp: Interpreter, fn: cst.FunctionDef) -> None:
    """PG012: group dicts this function builds and binds to a name that never go anywhere,
    while the function builds an optimizer."""
    opt = interp.first_optimizer
    if opt is None or not interp.group_dicts:
        return
    closure = _closure_names(fn)
    if closure is None:
        return
    for d, name in interp.group_dicts:
        if d.escaped or d.passed or d.open or name in closure:
            continue
        params = d.keys.get("params")
        if params is None or not set(d.keys) - {"params", "name", "param_names"}:
            continue
        if isinstance(params.value, ListObj) and not params.value.elements \
                and not params.value.open:
            continue  # an empty list: nothing left untrained
        interp.facts.unused_groups.append((d, name, opt))


def analyze(ctx: FileContext, deadline: float | None = None) -> Facts:
    """Interpret every scope of the file once and return the facts found.

    ``deadline``: a ``time.monotonic()`` value; past it, TooComplex is raised."""
    facts = Facts(deadline=deadline)
    module_interp = Interpreter(ctx, facts)
    module_interp.run_block(ctx.module.body)

    owners = attr_owners(ctx)
    # each class's __init__ first: what it stores holds when its other methods start
    scopes = sorted(ctx.scopes, key=lambda f: not (f.name.value == "__init__"
                                                   and f in ctx.enclosing_class))
    inits: dict[str, tuple] = {}  # class -> (final state, methods __init__ runs)
    self_roots: dict[str, Root] = {}
    method_uses: dict = {}
    for fn in scopes:
        cls = ctx.enclosing_class.get(fn)
        interp = Interpreter(ctx, facts, self_class=cls, local_names=ctx.assigned[fn])
        if cls is not None and owners is not None:
            interp.attr_owners = owners
            interp.scope_fn = fn
            interp.method_uses = method_uses
            interp.self_root = self_roots.setdefault(cls, Root("self", new_id()))
            init = inits.get(cls)
            if init is not None and _seedable(init[0], owners, init[2]):
                if init[1] is None:  # read the class only when __init__ stores something
                    init[1] = run_by_init(ctx, cls) if single_exit(init[2]) else False
                if init[1] is not False and fn not in init[1]:
                    _seed(interp, init[0], owners, init[2])
        interp.bind_parameters(fn)
        interp.run_block(_block(fn.body))
        _unused_groups(interp, fn)
        if cls is not None and owners is not None and fn.name.value == "__init__":
            inits[cls] = [interp.state, None, fn]  # [final state, methods it runs, __init__]
    _across_methods(facts, method_uses)
    return facts


# what __init__ stores that other methods may read as it is (never mutated in place there)
_SEEDABLE = (OneShot, OptimizerValue, Materialized, PathValue, Const, Scaled)


def _seeds(init_state: State, owners: dict, init: cst.FunctionDef):
    for key, value in init_state.attrs.items():
        name = key[len("self."):]
        if not key.startswith("self.") or "." in name or owners.get(name) != {init}:
            continue
        if value is UNKNOWN or isinstance(value, (_NewModule, *_SEEDABLE)):
            yield key, value


def _seedable(init_state: State, owners: dict, init: cst.FunctionDef) -> bool:
    return any(True for _ in _seeds(init_state, owners, init))


def _seed(interp: Interpreter, init_state: State, owners: dict, init: cst.FunctionDef) -> None:
    for key, value in _seeds(init_state, owners, init):
        interp.state.attrs[key] = value
        if isinstance(value, OptimizerValue):
            interp.peer_optimizers(value)  # indexed: an optimizer built here may be its peer
        if isinstance(value, OneShot):
            if value.id in init_state.consumed:
                interp.state.consumed[value.id] = init_state.consumed[value.id]
            else:
                interp.seeded.add(value.id)


def _across_methods(facts: Facts, method_uses: dict) -> None:
    """An iterator stored by __init__ and consumed on every path of two methods: whichever
    runs second sees nothing (PG002)."""
    for uses in method_uses.values():
        fns = []
        for fn, node, it in uses:
            if fn not in fns and single_exit(fn):
                fns.append(fn)
                if len(fns) == 2:
                    first = next(n for f, n, _ in uses if f is fns[0])
                    facts.reuses.append(Reuse(it, first, node, in_loop=False, methods=True))
                    break
