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
    _param_names,
    _target_names,
)
from pglint.static.filters import code, make_filter
from pglint.static.names import class_names_can_equal, names_can_equal
from pglint.static.project import summary as project_summary
from pglint.static.values import (
    UNKNOWN,
    UNKNOWN_PARAMS,
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
_MODULE_CHANGERS = {
    "fully_shard": "fully_shard",
    "FullyShardedDataParallel": "FullyShardedDataParallel",
}


@dataclass(eq=False)
class MethodRef:
    """``model.parameters`` without the call (PG007)."""

    node: cst.Attribute


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


def literal(node: cst.BaseExpression) -> Any:
    """The Python value of a literal expression, or UNKNOWN."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
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


def _is_exit(stmt) -> bool:
    return any(isinstance(s, (cst.Break, cst.Return, cst.Raise)) for s in _small_statements(stmt))


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
            if isinstance(value, OneShot) and self.report:
                self.facts.bindings.setdefault(value.id, (node, target))
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
        self.state.attrs[code(target)] = value
        if isinstance(value, _DeepCopy) and isinstance(target.value, (cst.Name, cst.Attribute)):
            self.deepcopy_rebind(node, code(target), value)
        base = self.eval(target.value, consume=False)
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

    # ---------------------------------------------------------- statements
    def run_block(self, stmts: Iterable) -> None:
        stmts = list(stmts)
        self.exit_stack.append(False)
        try:
            for i, stmt in enumerate(stmts):
                if self.state.dead:
                    break
                self.exit_stack[-1] = any(_is_exit(s) for s in stmts[i + 1:])
                self.stmt(stmt)
        finally:
            self.exit_stack.pop()

    def stmt(self, node) -> None:
        self.current_stmt = node
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if self.state.dead:
                    return
                self.small(small)
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
            self.returns.append(self.eval(node.value) if node.value is not None else Const(None, node))
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
        self.consume(it, node.iter)
        elem = self.element_of(it)

        def header():
            self.bind_target(node.target, elem, node)
            self.note_name_var(node.target, it)

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
            v = self.eval(item.item)
            if item.asname is not None:
                self.bind_target(item.asname.name, UNKNOWN if not isinstance(v, OneShot) else v, node)
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
                if self.loop_depth > value.loop_depth and self.repeats_in_loop(value, node):
                    if self.report:
                        self.facts.reuses.append(Reuse(value, node, node, in_loop=True))
            for inner in value.inner:
                self.consume(inner, node, _depth + 1)
        elif isinstance(value, Union_):
            for m in value.members:
                self.consume(m, node, _depth + 1)

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
        if value is UNKNOWN or isinstance(value, _NewModule):
            return PathValue(Root(key, id(value)), (), node)  # one object: one root
        if isinstance(value, (OneShot, OptimizerValue, Materialized, PathValue, Const, Scaled,
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
        if self.ctx.is_imported(node):
            cls = self.ctx.optimizer_class(node)
            return ClassRef(cls) if cls is not None else UNKNOWN
        if node.attr.value in _PARAM_METHODS:
            self.eval(node.value)
            return MethodRef(node)
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
        a = self.eval(node.left)
        b = self.eval(node.right)
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
            if lazy:
                inner = (first_iter,) if isinstance(first_iter, (OneShot, Union_)) else ()
                result = OneShot(node, code(node), params, inner, self.loop_depth)
            else:
                result = Materialized(params, node)
        elif elt is not None:
            self.eval(elt)
            if lazy:
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
        if q is not None and (q in LAZY_WRAPPERS or q.endswith(("itertools.chain",
                                                                 "chain.from_iterable"))):
            return self.lazy_call(node, q)
        if q is not None and self._is_scheduler(q):
            return self.scheduler_call(node, q)
        if q is not None and q.split(".")[-1] in _MODULE_CHANGERS and self.ctx.is_imported(func):
            return self.changer_call(node, q)
        if q in ("copy.deepcopy", "deepcopy") and self.ctx.is_imported(func):
            return self.deepcopy_call(node)
        if q in ("setattr",) and len(node.args) == 3:
            return self.setattr_call(node)
        args = [self.eval(a.value) for a in node.args]
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
        if q.startswith("torch.nn.") and q.split(".")[2:3] != ["functional"]:
            return True
        if q.startswith("<local>."):
            cls = self.ctx.classes.get(q[len("<local>."):])
            return cls is not None and any(
                (self.ctx.qualname(b.value) or "").startswith("torch.nn.") for b in cls.bases)
        return False

    def is_generator_function(self, q: str) -> bool:
        if q.startswith("<local>."):
            fn = self.ctx.functions.get(q[len("<local>."):])
            return fn is not None and fn in self.ctx.generator_functions
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
        it = OneShot(node, code(node), params, (), self.loop_depth)
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
        elif isinstance(expr, cst.Attribute) and isinstance(base, PathValue) \
                and base.root.name.startswith("self.") and not base.path:
            made = self.state.attrs.get(base.root.name)
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
            if attr in ("get", "pop", "setdefault") and args and isinstance(args[0], Const):
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
        return OneShot(node, code(node), params, inner, self.loop_depth)

    def helper_call(self, node: cst.Call, fn: cst.FunctionDef, self_value: Any):
        args = [(a, self.eval(a.value)) for a in node.args]
        if fn in self.helper_stack or len(self.helper_stack) >= self.MAX_HELPER_DEPTH:
            return UNKNOWN
        if fn in self.ctx.generator_functions:
            return OneShot(node, code(node), UNKNOWN_PARAMS, (), self.loop_depth)
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
        kwargs: dict = {}
        for i, a in enumerate(node.args):
            if a.star:
                self.eval(a.value)
                continue
            if a.keyword is None and params_arg is None and i == 0 or a.keyword is not None and a.keyword.value == "params":
                params_arg = a.value
            elif a.keyword is not None:
                kwargs[a.keyword.value] = (self.eval(a.value), a.value)
            else:
                self.eval(a.value)
        opt = OptimizerValue(node, cls, [], True, kwargs=kwargs)
        if params_arg is None:
            opt.groups_known = False
            return opt
        value = self.eval(params_arg)
        self.attach_params(opt, value, params_arg)
        if self.report:
            self.facts.peers[opt.id] = self.alive_optimizers()
            self.facts.optimizers.append(opt)
            if self.first_optimizer is None:
                self.first_optimizer = opt
        return opt

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


def analyze(ctx: FileContext) -> Facts:
    """Interpret every scope of the file once and return the facts found."""
    facts = Facts()
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
