"""The Python abstract interpreter: one file's scopes, interpreted once each.

Each scope (the module body, every function and method) is interpreted once, in
statement order, with branches analysed separately and merged: a fact survives a
merge only when it holds on every path that falls through.  This module knows Python
only: bindings, control flow, classes (``self`` attributes), calls of the file's own
functions and of the project's (summaries), closures, containers, iterators.

What a library call *means* comes from the table in ``semantics.py``; the handlers of
those meanings (building optimizers, replacing modules...) and the facts they record
live in ``dataflow.py``, a subclass that overrides the hooks below (``on_*`` and the
few methods documented as hooks).  Nothing here names torch or any other library.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from pglint.static import semantics, walk
from pglint.static.context import (
    FileContext,
    _contains,
    _param_names,
    _target_names,
)
from pglint.static.facts import Facts, Reuse, TooComplex
from pglint.static.filters import code
from pglint.static.project import NOT_LITERAL
from pglint.static.project import summary as project_summary
from pglint.static.values import (
    UNKNOWN,
    UNKNOWN_PARAMS,
    Atom,
    Const,
    ElementOf,
    GroupDict,
    KeyEntry,
    ListObj,
    Materialized,
    OneShot,
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


# methods of lists and dicts the interpreter follows (``groups.append(g)``, ``d.get(k)``)
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "update", "pop", "get",
                                "setdefault", "copy", "values"})


class PyInterpreter:
    """Interprets one scope.  ``report=False`` evaluates a helper for its return value.

    Hooks a subclass overrides to give library calls their meaning: ``on_<verb>`` for
    each verb of ``semantics.TABLE`` (a call with that meaning), ``global_value``,
    ``method_value``, ``name_bound``, ``attribute_stored``, ``member_stored``, ``lambda_selection``, ``call_value``,
    ``assigned``, ``loop_bound``, ``selection``, ``escape`` / ``mark_used``,
    ``nothing_between``, ``is_module_class``.  The defaults here mean "unknown".
    """

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
        self.loop_assigned: list[set[str]] = []  # per enclosing loop: names assigned in it
        self.exit_stack: list[bool] = []  # per open block: an exit follows the current stmt
        self.loop_exit_base: list[int] = []  # exit_stack length when each loop was entered
        self.loop_nodes: list = []  # the enclosing loops (For / While nodes), outermost first
        self.free_roots: dict[str, Root] = {}  # parameters, globals: one binding per scope
        self.current_stmt: cst.CSTNode | None = None
        # attributes of self as bindings (see classes.py): set by analyze() for methods
        self.attr_owners: dict | None = None  # attribute name -> functions storing it
        self.scope_fn: cst.FunctionDef | None = None
        self.scope: cst.CSTNode | None = None  # the function (or module) interpreted
        # a helper's (sub-interpreter's) uses of optimizers count at its call: (scope, stmt)
        self.use_site: tuple | None = None
        self.self_root: Root | None = None  # one root for self across a class's methods
        self.seeded: set = set()  # one-shot ids stored by __init__, read here
        self.method_uses: dict | None = None  # one-shot id -> [(method, node)] (PG002)
        self.reuse_sink: list | None = None  # a helper's second consumptions (PG002)
        self.in_closure = False  # run by closure_call
        self.iterating: set = set()  # one-shot ids enclosing for loops draw from (PG002)
        self.block_pos: list = []  # [statements, index] of each open block (PG002's fix)
        self.param_defaults: dict[Root, Any] = {}  # parameter binding -> its number default

    @property
    def loop_depth(self) -> int:
        """How many loops of this scope enclose the statement being run."""
        return len(self.loop_nodes)

    def global_q(self, node) -> str | None:
        """``ctx.qualname(node)``, where a first name bound in this function (a parameter
        or a local shadowing the module's ``train`` or ``optim``) stays its plain dotted
        text, as for any other local: never the import or the file's function."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if (isinstance(root, cst.Name) and self.local_names is not None
                and root.value in self.local_names
                and (root.value in self.ctx.imports or root.value in self.ctx.functions
                     or root.value in self.ctx.classes)):
            return code(node)
        return self.ctx.qualname(node)

    def call_site(self) -> tuple:
        """Where a helper called now is called from, as a use site (see ``use_site``)."""
        return self.use_site or (id(self.scope), id(self.current_stmt))

    # ---------------------------------------------------------- hooks (defaults: unknown)
    def global_value(self, node: cst.Name, q: str) -> Any:
        """The value of a name the scope does not bind (an imported class...), or None."""
        return None

    def method_value(self, node: cst.Attribute, base: Any, meant: dict) -> Any:
        """``x.m`` without the call, for a method the table gives a meaning, or None
        (``base``: the value of ``x`` when already evaluated, else None)."""
        return None

    def imported_value(self, node: cst.Attribute) -> Any:
        """The value of an imported dotted name (``torch.optim.Adam``)."""
        return UNKNOWN

    def name_bound(self, target: cst.Name, value: Any, node) -> None:
        """``value`` is about to be bound to the name ``target``."""

    def attribute_stored(self, target: cst.Attribute, value: Any, node) -> None:
        """``target.attr = value`` (already in ``state.attrs``): evaluates the receiver."""
        self.eval(target.value, consume=False)

    def member_stored(self, node, base: PathValue, key, value: Any) -> None:
        """``x[key] = value`` or ``setattr(x, "key", value)`` with ``x`` an object pglint
        does not model."""

    def lambda_selection(self, lam: cst.Lambda, source: Any) -> ParamSet:
        """What ``filter(lambda p: ..., source)`` selects of ``source``."""
        return UNKNOWN_PARAMS

    def assigned(self, node: cst.Assign, value: Any) -> None:
        """An assignment statement evaluated its value (before the targets are bound)."""

    def loop_bound(self, target, it: Any) -> None:
        """A for loop / comprehension bound ``target`` to the elements of ``it``."""

    def selection(self, comp_for, elt, source: Any) -> ParamSet:
        """What ``[elt for ... in source if ...]`` selects of ``source``."""
        return UNKNOWN_PARAMS

    def followed(self, node: cst.Call, fn: cst.FunctionDef, sub: PyInterpreter,
                 args: list) -> None:
        """A call of ``fn`` (a function or method of the file) was followed by ``sub``."""

    def mark_used(self, v: Any, depth: int = 0) -> None:
        """``v`` escapes to code pglint does not follow (which may do anything with it)."""

    def escape(self, q: str | None, args: list) -> None:
        """Arguments handed to the callee ``q``, not followed."""
        for v in args:
            self.mark_used(v)

    def nothing_between(self, it: OneShot) -> bool:
        """Materialising ``it`` where it is bound would give its first consumer the same
        items (PG002's fix)."""
        return False

    def is_module_class(self, q: str | None) -> bool:
        """A constructor call of ``q`` provably builds a module."""
        return False

    def meanings(self, q: str | None, func) -> dict:
        """What the table says a call of ``q`` means (meanings that need an import only
        when ``func`` is reached through one)."""
        meant = semantics.meanings(q)
        if meant and any(m.imported for m in meant.values()) and not self.ctx.is_imported(func):
            meant = {v: m for v, m in meant.items() if not m.imported}
        return meant

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
        defaults = {p.name.value: p.default for p in (*fn.params.posonly_params,
                                                      *fn.params.params,
                                                      *fn.params.kwonly_params)
                    if p.default is not None}
        for name in _param_names(fn):
            root = Root(name, new_id())
            self.bind(name, PathValue(root))
            if name in defaults:
                v = literal(defaults[name])
                if isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0:
                    self.param_defaults[root] = v
        params = fn.params.params
        if self.self_root is not None and params and not fn.decorators:
            self.bind(params[0].name.value, PathValue(self.self_root))

    def bind_target(self, target, value: Any, node) -> None:
        if isinstance(target, cst.Name):
            self.name_bound(target, value, node)
            self.bind(target.value, value)
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

    def store_attribute(self, target: cst.Attribute, value: Any, node) -> None:
        self.state.attrs[code(target)] = value
        self.attribute_stored(target, value, node)

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
            self.member_stored(node, base, key, value)

    def subscript_key(self, node: cst.Subscript) -> Any:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return UNKNOWN
        v = literal(node.slice[0].slice.value)
        return v if isinstance(v, (str, int)) and not isinstance(v, bool) else UNKNOWN

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
            self.assigned(node, value)
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
        self.loop_assigned.append(self.ctx.assigned.get(node, set()))
        self.loop_exit_base.append(len(self.exit_stack))
        self.loop_nodes.append(node)
        try:
            header()
            self.run_block(_block(body))
        finally:
            self.loop_assigned.pop()
            self.loop_exit_base.pop()
            self.loop_nodes.pop()
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
            self.loop_bound(node.target, it)

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
        q = self.global_q(node.func)
        if (self.report or self.reuse_sink is not None) \
                and "inspects" not in semantics.meanings(q):  # print(it), len(it): not used
            for a in node.args:
                if isinstance(a.value, cst.Name):
                    got = self.state.env.get(a.value.value)
                    if got is not None and isinstance(got[0], OneShot) \
                            and got[0].id in self.state.consumed \
                            and got[0].id not in self.iterating:
                        before.append((a.value, got[0], self.state.consumed[got[0].id]))
        n = len(self.facts.reuses)
        value = self.project_call(node, m(node))
        for arg, it, first in before:
            if not any(r.second is arg for r in self.facts.reuses[n:]):
                r = Reuse(it, first, arg, in_loop=False, call=True)
                (self.facts.reuses if self.report else self.reuse_sink).append(r)
        if isinstance(node.func, cst.Attribute) and any(
                m.calls_back for m in semantics.method(node.func.attr.value).values()):
            for a in node.args:  # optimizer.step(closure): the callee runs it
                fn = self.lookup(a.value.value) if isinstance(a.value, cst.Name) else None
                if isinstance(fn, _LocalDef):
                    self.closure_call(fn.node)
        return value

    def project_call(self, node: cst.Call, value: Any) -> Any:
        """A function imported from another module of the project (see project.py): it
        consumes the one-shot iterators it is given as its summary says, and a call whose
        value is otherwise unknown returns the groups the summary records."""
        func = node.func
        q = self.ctx.project_qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) \
            else None
        if q is None:
            return value
        starred = any(a.star for a in node.args)  # which parameter gets what is unknown
        its, pos = [], 0
        for a in () if starred else node.args:
            if isinstance(a.value, cst.Name):
                got = self.state.env.get(a.value.value)
                if got is not None and isinstance(got[0], OneShot):
                    its.append((a, pos if a.keyword is None else a.keyword.value, got[0]))
            if a.keyword is None:
                pos += 1
        # the groups a call returns are looked up in the checked file only: a summary run
        # inside another module follows no further module for them (each would be parsed)
        returns = value is UNKNOWN and not getattr(self.ctx, "summarised", False)
        if not its and not returns:
            return value
        s = project_summary(getattr(self.ctx, "path", None), q, for_returns=not its)
        if s is None:
            return value
        for a, where, it in its:
            p = where if isinstance(where, str) else s.params[where] if where < len(s.params) \
                else None
            if p in s.twice:
                r = Reuse(it, a.value, a.value, in_loop=False, helper=q.split(".")[-1])
                if self.report:
                    self.facts.reuses.append(r)
            elif p in s.consumes:
                self.consume(it, a.value, use=False)  # what else it does with it: unread
        if returns and s.returns is not None:
            return self.returned_groups(node, s, starred)
        return value

    def returned_groups(self, node: cst.Call, s, starred: bool) -> Any:
        """The groups a project function returns, as values of this file: their keys and
        literal values, at the call (``origin`` names where the helper writes each one),
        and the call's own extra keywords where the helper spreads its ``**kwargs``."""
        r = s.returns
        try:
            where = os.path.relpath(r.path, os.path.dirname(os.path.abspath(self.ctx.path)))
        except (TypeError, ValueError):  # another drive
            where = r.path
        extra = [a for a in node.args if a.keyword is not None
                 and a.keyword.value not in s.keywords]
        groups = []
        for shape in r.groups:
            if shape is None:
                groups.append(UNKNOWN)
                continue
            d = GroupDict(node, open=shape.open, template=shape.template, escaped=True,
                          origin=f"{where}:{shape.line}")
            for k, v, line in shape.keys:
                value = UNKNOWN if k == "params" or v is NOT_LITERAL else Const(v, node)
                d.keys[k] = KeyEntry(node, node, value, origin=f"{where}:{line}")
            if shape.spreads_kwargs:
                d.open |= starred
                for a in extra:  # the caller's keywords, at the caller's nodes
                    k = a.keyword.value
                    v = literal(a.value)
                    d.keys[k] = KeyEntry(a.keyword, a.value, UNKNOWN if v is UNKNOWN or k in d.keys
                                         else Const(v, a.value))
            groups.append(d)
        if r.single:
            return groups[0]
        return ListObj(node, groups, r.open)

    def closure_call(self, fn: cst.FunctionDef) -> None:
        """Run a nested function where it is called: its free names see this scope's
        values as they are now (an LBFGS closure clipping an exhausted generator)."""
        if fn in self.helper_stack or len(self.helper_stack) >= self.MAX_HELPER_DEPTH:
            return
        local = self.ctx.assigned.get(fn, set())
        sub = type(self)(self.ctx, self.facts, report=False,
                          helper_stack=self.helper_stack + (fn,), self_class=self.self_class,
                          local_names=local)
        sub.use_site = self.call_site()
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
        for child in walk.parts(node):
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
        q = self.global_q(node)
        if q is not None:
            v = self.global_value(node, q)
            if v is not None:
                return v
        if self.local_names is not None and node.value in self.local_names:
            return UNKNOWN  # local, not bound yet on this path
        if node.value in self.ctx.functions or node.value in self.ctx.classes:
            return UNKNOWN
        return PathValue(self.free_root(node.value), (), node)

    def ev_Attribute(self, node: cst.Attribute):
        # iterative over `a.b.c.d...`: evaluate the innermost non-plain link, then walk out
        chain = [node]
        while (isinstance(chain[-1].value, cst.Attribute) and not self.ctx.is_imported(chain[-1])
               and not semantics.method(chain[-1].attr.value)):
            chain.append(chain[-1].value)
        base = self._attribute(chain[-1], None)
        for link in reversed(chain[:-1]):
            base = self._attribute(link, base)
        return base

    def _attribute(self, node: cst.Attribute, base: Any) -> Any:
        """One link of an attribute chain; ``base``: its value's value, None to evaluate it."""
        if self.ctx.is_imported(node):
            return self.imported_value(node)
        meant = semantics.method(node.attr.value)
        if meant:  # model.parameters without the call
            v = self.method_value(node, base, meant)
            if v is not None:
                return v
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
        """``a if test else b``: one of the two runs (``f(tuple(g)) if c else tuple(g)``
        consumes ``g`` once), as the branches of an ``if``."""
        self.eval(node.test)
        before = self.state
        self.state = before.copy()
        a = self.eval(node.body)
        taken = self.state
        self.state = before.copy()
        b = self.eval(node.orelse)
        self.state = State.merge([taken, self.state])
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
        return _scaled(node, a, b, self.param_defaults)

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
        self.loop_bound(fors[0].target, first_iter)
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
        if isinstance(func, cst.Attribute):
            meant = semantics.method(func.attr.value)
            for verb, m in meant.items():  # x.parameters(), opt.step(), Net().to(device)
                h = getattr(self, "on_method_" + verb, None)
                if h is not None:
                    handled, v = h(node, func, m)
                    if handled:
                        return v
            handled, v = self.method_call(node, func)
            if handled:
                return v
            fn = self.own_method(func)
            if fn is not None:
                return self.helper_call(node, fn, self.eval(func.value))
        callee = self.eval(func)
        q = self.global_q(func)
        meant = self.meanings(q, func) if q is not None else semantics.meanings(None)
        for verb, m in meant.items():
            h = getattr(self, "on_" + verb, None)
            if h is not None:
                handled, v = h(node, q, m)
                if handled:
                    return v
        v = self.call_value(node, q, callee)
        if v is not None:
            return v
        if q is not None and q.startswith("<local>."):
            name = q[len("<local>."):]
            if name in self.ctx.functions:
                return self.helper_call(node, self.ctx.functions[name], None)
        if q == "dict" and "dict" not in self.state.env:
            return self.dict_call(node)
        if q in ("setattr",) and len(node.args) == 3:
            return self.setattr_call(node)
        args = [self.eval(a.value) for a in node.args]
        self.escape(q, args)  # handed to code that may do anything with them
        consumer = meant.get("consumes")
        if consumer is not None:
            for a, v in zip(node.args, args):
                if a.keyword is None or a.keyword.value in consumer.args:
                    self.consume(v, a.value)
            if consumer.result == "list" and len(args) == 1:
                p = self.params_of(args[0])
                if isinstance(args[0], ListObj):
                    return ListObj(node, list(args[0].elements), args[0].open)
                return Materialized(p, node)
            if consumer.result == "set":
                return SetValue(node)
            return UNKNOWN
        if isinstance(func, cst.Name) and q is not None and self.is_generator_function(q):
            return OneShot(node, code(node), UNKNOWN_PARAMS, (), self.loop_depth)
        if self._is_constructor(q, func):
            # constructors consume the iterables they are given (ParameterList, EMA, ...)
            for a, v in zip(node.args, args):
                if isinstance(v, OneShot):
                    self.consume(v, a.value)
            return _NewModule(node, self.is_module_class(q), tuple(args),
                              semantics.holds_no_parameters(q))
        return UNKNOWN

    def call_value(self, node: cst.Call, q: str | None, callee: Any) -> Any:
        """Hook: the value of a call the table gives no meaning, when the subclass knows
        it (a class it models); None to evaluate it as Python."""
        return None

    def own_method(self, func: cst.Attribute) -> cst.FunctionDef | None:
        """``self.m`` where ``m`` is a method of the class being interpreted."""
        if (isinstance(func.value, cst.Name) and func.value.value == "self"
                and (self.self_class, func.attr.value) in self.ctx.methods):
            return self.ctx.methods[(self.self_class, func.attr.value)]
        return None

    def on_endless(self, node: cst.Call, q: str, m) -> tuple[bool, Any]:
        if m.max_args is not None and (len(node.args) > m.max_args
                                       or any(a.keyword for a in node.args)):
            return False, None  # itertools.repeat(x, times)
        for a in node.args:
            self.eval(a.value)
        return True, _Endless(node)

    def on_lazy(self, node: cst.Call, q: str, m) -> tuple[bool, Any]:
        return True, self.lazy_call(node, q, m)

    def setattr_call(self, node: cst.Call):
        obj, name, value = (self.eval(a.value) for a in node.args)
        if isinstance(obj, PathValue) and isinstance(name, Const) and isinstance(name.value, str):
            self.member_stored(node, obj, name.value, value)
        return UNKNOWN

    def _is_constructor(self, q: str | None, func) -> bool:
        if q is None:
            return False
        last = q.split(".")[-1]
        if q.startswith("<local>."):
            return last in self.ctx.classes
        return last[:1].isupper() and not last.isupper() and (
            self.ctx.is_imported(func) or isinstance(func, cst.Name))

    def is_generator_function(self, q: str) -> bool:
        if q.startswith("<local>."):
            fn = self.ctx.functions.get(q[len("<local>."):])
            return fn is not None and self.ctx.one_shot_generator(fn)
        return False

    def method_call(self, node: cst.Call, func: cst.Attribute) -> tuple[bool, Any]:
        attr = func.attr.value
        if attr not in _CONTAINER_METHODS:
            return False, UNKNOWN
        base = self.eval_base(func.value) if attr != "copy" else self.eval(func.value)
        args = [self.eval(a.value) for a in node.args]
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

    def lazy_call(self, node: cst.Call, q: str, m):
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
            params = self.lambda_selection(node.args[0].value, args[1])
        elif last == "iter" and len(args) == 1:
            params = self.params_of(args[0])
        pure = m.pure and all(
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
        sub = type(self)(self.ctx, self.facts, report=False,
                          helper_stack=self.helper_stack + (fn,),
                          self_class=self.ctx.enclosing_class.get(fn),
                          local_names=self.ctx.assigned[fn])
        sub.use_site = self.call_site()
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
        self.followed(node, fn, sub, [v for _, v in args])
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
    def bind_rest(sub: PyInterpreter, fn: cst.FunctionDef, params: list, args: list,
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


@dataclass(eq=False)
class _NewModule:
    """The result of a constructor call; ``module``: provably a torch module or Parameter;
    ``args``: the values of its arguments."""

    node: cst.Call
    module: bool = False
    args: tuple = ()
    no_params: bool = False  # a torch.nn module that holds no parameters (ReLU, Dropout)


@dataclass(eq=False)
class _LocalDef:
    """A function defined inside the scope being interpreted."""

    node: cst.FunctionDef


@dataclass(eq=False)
class _Endless:
    """An iterator that never runs dry (``itertools.cycle(x)``, a ``while True:`` generator,
    a generator expression over one): never exhausted, so never reused (PG002)."""

    node: cst.CSTNode


_SET_OPS = (cst.BitOr, cst.Subtract, cst.BitAnd, cst.BitXor)


def _number(v: Any) -> bool:
    return isinstance(v, Const) and isinstance(v.value, (int, float)) \
        and not isinstance(v.value, bool) and v.value != 0


def _scaled(node: cst.BinaryOperation, a: Any, b: Any, defaults: dict) -> Any:
    """``lr / 10``, ``lr * 0.1``, ``2 * lr`` over a name's value: Scaled (PG008).  A
    factor may be a parameter of the scope with a number default (``lr * head_mult`` in
    ``def build(lr, head_mult=10)``): it takes the default, and says so."""
    def sym(v):
        if isinstance(v, PathValue) and not v.path:
            return v.root, 1.0, ()
        if isinstance(v, Scaled):
            return v.root, v.factor, v.symbols
        return None

    def num(v, base):
        if _number(v):
            return v.value, ()
        if (isinstance(v, PathValue) and not v.path and v.root in defaults
                and v.root != base):
            return defaults[v.root], ((v.root.name, defaults[v.root]),)
        return None

    op = node.operator
    if not isinstance(op, (cst.Multiply, cst.Divide)):
        return UNKNOWN
    s = sym(a)
    n = num(b, s[0]) if s else None
    if s and n:
        root, f, syms = s
        return Scaled(root, f * n[0] if isinstance(op, cst.Multiply) else f / n[0], node,
                      syms + n[1])
    s = sym(b) if isinstance(op, cst.Multiply) else None
    n = num(a, s[0]) if s else None
    if s and n:
        root, f, syms = s
        return Scaled(root, f * n[0], node, syms + n[1])
    return UNKNOWN


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
