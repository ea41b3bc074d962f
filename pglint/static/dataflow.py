"""The shared dataflow layer: what torch code means, over the Python interpreter.

``interpreter.PyInterpreter`` interprets each scope of a file as Python; this module's
``Interpreter`` gives library calls their meaning, as the table in ``semantics.py`` says
(``on_<verb>`` handlers: an optimizer built, parameters yielded, a module replaced, a
scheduler over an optimizer...), and records *facts* in ``Facts`` (optimizers built,
iterators consumed twice, models changed after an optimizer...); rules turn facts into
findings.  Rules never walk the tree for themselves when a fact is available.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from pglint.static import copies, semantics
from pglint.static.classes import attr_owners, run_by_init, single_exit
from pglint.static.context import FileContext, _param_names, _target_names
from pglint.static.facts import (  # noqa: F401  (the names rules and tools import from here)
    AddGroup,
    CopyTrained,
    Facts,
    MethodRef,
    ModelChange,
    Reuse,
    SchedulerCall,
    TooComplex,
)
from pglint.static.filters import code, make_filter
from pglint.static.interpreter import (  # noqa: F401  (literal, _block: imported from here)
    PyInterpreter,
    State,
    _block,
    _LocalDef,
    _NewModule,
    _small_statements,
    literal,
)
from pglint.static.names import class_names_can_equal, names_can_equal
from pglint.static.overlap import _prefix
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
)


def _yields_params(attr: str) -> semantics.Meaning | None:
    """``x.<attr>()`` yields the module's parameters (the table's ``parameters`` verb)."""
    return semantics.method(attr).get("parameters")



_MAX_BETWEEN = 32  # statements from a binding to its first use that PG002's fix reads


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
                        and _yields_params(it.func.attr.value)):
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
                if _yields_params(f.attr.value):
                    return True
            q = ctx.qualname(f) if isinstance(f, (cst.Name, cst.Attribute)) else None
            if q is None:
                return False
            if "reads_only" in semantics.meanings(q) or q in semantics.CONSUMERS:
                return True
            cls = ctx.optimizer_class(f)
            return cls is not None and cls.kind == "torch"

    stmt.visit(Loops())
    v = V()
    stmt.visit(v)
    return v.ok


# a function whose text names an optimizer may rebuild one (``self.optimizer = ...``,
# ``trainer.strategy.setup_optimizers()``, ``opt.add_param_group``): what it replaces is
# not reported at its calls
_NAMES_OPTIMIZER = re.compile(r"optim|param_group", re.IGNORECASE)


def _same_literal(a: Any, b: Any) -> bool:
    return a is b if isinstance(b, bool) or b is None else type(a) is type(b) and a == b


# tensor methods whose result is a plain tensor again (``torch.zeros(3).requires_grad_()``)
_PLAIN_TENSOR_METHODS = frozenset({"requires_grad_", "to", "cuda", "cpu", "float", "double",
                                   "half", "bfloat16", "detach", "clone", "contiguous"})


class Interpreter(PyInterpreter):
    """Interprets one scope, giving torch's calls their meaning (see the module doc)."""

    def __init__(self, ctx: FileContext, facts: Facts, **kw):
        super().__init__(ctx, facts, **kw)
        # PG011: loop variable -> (env version, what its names can equal) for the names of
        # ``for n, p in model.named_parameters()``
        self.name_vars: dict[str, tuple] = {}
        self.name_sources: dict[int, tuple] = {}  # one-shot id -> (model text, can_equal)
        self.group_dicts: list = []  # PG012: (GroupDict, name) bound by this scope
        self.first_optimizer: OptimizerValue | None = None  # the first one this scope builds
        self.opt_index: dict = {}  # overlap key -> optimizers built (see peer_optimizers)
        self.param_vars: dict[str, int] = {}  # loop variable -> env version: a Parameter
        self.stepping = False  # mark_used runs for a step() (not a hand-off)
        # PG009 through calls: what a followed function replaced (targets in the caller's
        # terms), and whether it builds or is handed an optimizer (then it may rebuild one)
        self.changes: list = []
        self.touches_optimizer = False
        # PG009: (name, _DeepCopy, statement) of deep copies bound to a name other than
        # the model's, waiting for the loop that uses them; the scope's node and syntax
        self.copies: list = []
        self.scope: cst.CSTNode | None = None
        self._scope_index: copies.ScopeIndex | None = None
        self._functions_named: dict | None = None
        self._function_index: dict = {}

    # ---------------------------------------------------------- hooks of the interpreter
    def global_value(self, node: cst.Name, q: str) -> Any:
        cls = self.ctx.optimizer_class_for(q, imported=self.ctx.is_imported(node))
        return ClassRef(cls) if cls is not None else None

    def imported_value(self, node: cst.Attribute) -> Any:
        cls = self.ctx.optimizer_class(node)
        return ClassRef(cls) if cls is not None else UNKNOWN

    def method_value(self, node: cst.Attribute, base: Any, meant: dict) -> Any:
        if "parameters" not in meant:
            return None
        if base is None:
            self.eval(node.value)
        return MethodRef(node, node.attr.value not in self.ctx.stored_attrs
                         and self.is_module(node.value))

    def name_bound(self, target: cst.Name, value: Any, node) -> None:
        if isinstance(value, _DeepCopy):
            if self.lookup(target.value) is not value:  # student = student.to(device): the same
                self.deepcopy_rebind(node, target.value, value)
                if (self.report and value.alive and isinstance(node, cst.Assign)
                        and code(value.node.args[0].value) != target.value):
                    self.copies.append((target.value, value, node))
        elif isinstance(value, OptimizerValue) and self.local_names is None:
            value.handles.add((None, target.value, ()))  # a global, stepped in a function

    def attribute_stored(self, target: cst.Attribute, value: Any, node) -> None:
        if self.report:
            self.facts.attr_stores.append((target, node))
            recv = target.value
            if (isinstance(recv, cst.Name) and recv.value in self.state.env
                    and self.param_vars.get(recv.value) == self.state.env[recv.value][1]
                    and isinstance(value, Const) and value.value is False):
                self.facts.param_attr_false.add(id(target))
        if self.makes_plain_tensor(getattr(node, "value", None)):
            self.facts.plain_tensor_attrs.add(target.attr.value)
        if isinstance(value, _DeepCopy) and isinstance(target.value, (cst.Name, cst.Attribute)):
            self.deepcopy_rebind(node, code(target), value)
        base = self.eval(target.value, consume=False)
        if isinstance(value, OptimizerValue) and isinstance(base, PathValue):
            h = self.handle_of(PathValue(base.root, base.path + (target.attr.value,)))
            if h is not None:
                value.handles.add(h)  # self.opt = Adam(...): stepped in another method
        if isinstance(base, PathValue) and target.attr.value not in semantics.TENSOR_ATTRIBUTES:
            self.model_change(node, base, target.attr.value, value)

    def makes_plain_tensor(self, expr) -> bool:
        """``torch.tensor(...)``, ``torch.zeros(3).requires_grad_()``: a tensor factory's
        result (through tensor methods that keep it a plain tensor), never a Parameter."""
        while (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
               and expr.func.attr.value in _PLAIN_TENSOR_METHODS):
            expr = expr.func.value
        return (isinstance(expr, cst.Call)
                and self.global_q(expr.func) in semantics.TENSOR_FACTORIES)

    def member_stored(self, node, base: PathValue, key, value: Any) -> None:
        self.model_change(node, base, key, value)

    def assigned(self, node: cst.Assign, value: Any) -> None:
        if (isinstance(value, GroupDict) and value.node is node.value and self.report
                and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)):
            self.group_dicts.append((value, node.targets[0].target.value))
        if isinstance(value, OptimizerValue):
            self.replacing(value, [t.target for t in node.targets])

    def loop_bound(self, target, it: Any) -> None:
        self.note_name_var(target, it)
        self.note_param_var(target, it)

    def escape(self, q: str | None, args: list) -> None:
        if not semantics.never_steps_q(q):
            for v in args:
                self.mark_used(v)  # handed to code that may step it

    def is_module_class(self, q: str | None) -> bool:
        """A torch.nn module or Parameter class, or a Module subclass of this file."""
        return self.ctx.module_class(q)

    def lambda_selection(self, lam: cst.Lambda, source: Any) -> ParamSet:
        src = self.params_of(source)
        names = [p.name.value for p in lam.params.params]
        named = isinstance(source, OneShot) and source.desc.endswith("named_parameters()")
        if src.known and len(names) == 1 and not named:
            return self.filtered(src, [lam.body], {names[0]: "__pg_p"})
        return UNKNOWN_PARAMS

    def call_value(self, node: cst.Call, q: str | None, callee: Any) -> Any:
        if isinstance(callee, PathValue) and callee.path and isinstance(node.func, cst.Attribute):
            fn = self.receiver_method(node.func)
            if fn is not None:
                self.follow_method(node, fn, PathValue(callee.root, callee.path[:-1]))
        if isinstance(callee, ClassRef):
            return self.optimizer_call(node, callee.cls)
        if q is not None and q.startswith("<local>."):
            cls = self.ctx.opt_classes.get(q[len("<local>."):])
            if cls is not None:
                return self.optimizer_call(node, cls)
        return None

    # ---------------------------------------------------------- handlers of the table's verbs
    def on_method_parameters(self, node: cst.Call, func: cst.Attribute, m) -> tuple:
        return True, self.parameters_call(node, func, m.named)

    def on_method_steps(self, node: cst.Call, func: cst.Attribute, m) -> tuple:
        if self.own_method(func) is not None:
            return False, None  # the class's own step(): followed as a helper
        for v in (func.value, *(a.value for a in node.args)):  # opt.step(), scaler.step(opt)
            v = self.eval(v)
            self.stepping = True
            try:
                self.mark_used(v)
            finally:
                self.stepping = False
        return True, UNKNOWN

    def on_method_same_module(self, node: cst.Call, func: cst.Attribute, m) -> tuple:
        if isinstance(func.value, cst.Name):
            base = self.lookup(func.value.value)
            if not isinstance(base, _DeepCopy):
                return False, None
        elif not isinstance(func.value, cst.Call):
            return False, None
        # Net().to(device), nn.Linear(4, 2).cuda().half(), copy.deepcopy(model).to(device),
        # student.to(device): still the new module (the same deep copy)
        else:
            base = self.eval(func.value)
        for a in node.args:
            self.eval(a.value)
        return True, base if isinstance(base, (_NewModule, _DeepCopy)) else UNKNOWN

    def _receiver_call(self, node: cst.Call, func: cst.Attribute) -> tuple:
        base = self.eval_base(func.value)
        return base, [self.eval(a.value) for a in node.args]

    def _receiver_done(self, base: Any, args: list) -> tuple:
        if not isinstance(base, (ListObj, GroupDict, OptimizerValue)):
            for v in args:
                self.mark_used(v)  # registry.append(opt), callbacks.update(...)
        return True, UNKNOWN

    def on_method_adds_group(self, node: cst.Call, func: cst.Attribute, m) -> tuple:
        base, args = self._receiver_call(node, func)
        if isinstance(base, GroupDict):
            return True, UNKNOWN  # a dict's method of that name: not torch's
        self.touches_optimizer = True
        if args:
            if not isinstance(base, OptimizerValue):
                # an optimizer pglint did not see built (a parameter, a global, self.opt)
                base = OptimizerValue(node, semantics.SOME_OPTIMIZER, [], False)
            self.add_param_group(node, base, args[0], node.args[0].value)
            return True, UNKNOWN
        return self._receiver_done(base, args)

    def on_method_replaces_params(self, node: cst.Call, func: cst.Attribute, m) -> tuple:
        base, args = self._receiver_call(node, func)
        if isinstance(base, GroupDict):
            return True, UNKNOWN
        if isinstance(base, PathValue) and self._given(node, m):
            self.record_change(node, base)
        return self._receiver_done(base, args)

    @staticmethod
    def _given(node: cst.Call, m) -> bool:
        """The call passes every keyword the meaning needs, as that literal."""
        kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        return all(k in kwargs and _same_literal(literal(kwargs[k]), v) for k, v in m.when)

    def on_loads_model(self, node: cst.Call, q: str, m) -> tuple:
        for a in node.args:
            self.eval(a.value)
        return True, _NewModule(node, True)  # a Hugging Face model, loaded

    def on_scheduler(self, node: cst.Call, q: str, m) -> tuple:
        return True, self.scheduler_call(node, q, m)

    def on_replaces_params(self, node: cst.Call, q: str, m) -> tuple:
        return True, self.changer_call(node, m)

    def on_deepcopy(self, node: cst.Call, q: str, m) -> tuple:
        return True, self.deepcopy_call(node)

    # ---------------------------------------------------------- torch facts
    def deepcopy_rebind(self, node, target_text: str, value: _DeepCopy) -> None:
        """``model = copy.deepcopy(model)`` after an optimizer over ``model``: it is stale."""
        src = value.source
        if code(value.node.args[0].value) == target_text and self.report:
            self.facts.model_changes.append(ModelChange(
                node, code(node).strip().splitlines()[0], src, value.alive,
                at=new_id(), in_loop=self.loop_depth > 0))

    def stmt_For(self, node: cst.For) -> None:
        if self.copies:
            self.copy_trained(node)
        super().stmt_For(node)

    def stmt_While(self, node: cst.While) -> None:
        if self.copies:
            self.copy_trained(node)
        super().stmt_While(node)

    def copy_trained(self, loop) -> None:
        """``student = copy.deepcopy(model)`` after ``opt`` was built over ``model``, and
        this loop trains ``student`` while it steps ``opt``: ``opt`` steps parameters the
        loop gives no gradient, and nothing steps the copy's.  Provable only when the copy
        is still bound here and used nowhere in the scope but as a module (see
        ``copies.copy_uses_ok``), the loop calls it, calls ``backward()``, steps ``opt``
        (still the optimizer built before the copy, over ``model`` alone) and nothing else
        but schedulers, and no name the loop reads, nor any function it calls, may reach
        ``model``.  The first loop that uses the copy decides."""
        for entry in list(self.copies):
            name, dc, stmt = entry
            got = self.state.env.get(name)
            if got is None or got[0] is not dc:
                continue  # not the copy on this path
            idx = self.scope_index()
            if idx is None or id(loop) not in idx.order \
                    or name not in copies.names_in(loop, idx):
                continue
            self.copies.remove(entry)
            found = self.copy_loop(loop, name, dc, idx)
            if found is not None:
                opt, opt_name = found
                self.facts.copies_trained.append(CopyTrained(
                    stmt, name, code(dc.node.args[0].value), loop, opt, opt_name))

    def scope_index(self) -> copies.ScopeIndex | None:
        if self._scope_index is None and self.scope is not None:
            self._scope_index = copies.index_scope(self.scope)
        return self._scope_index

    def copy_loop(self, region, name: str, dc: _DeepCopy, idx) -> tuple | None:
        scope_params = (_param_names(self.scope) if isinstance(self.scope, cst.FunctionDef)
                        else set())
        top = _Frame(idx, name, self.lookup, lambda n: self.scheduler_name(n, idx),
                     lambda n: n in scope_params or self.unbound(n, idx),
                     self.ctx.assigned.get(region, set()))
        got = self.copy_region(region, top, 0)
        if got is None:
            return None
        use, stepped, passed = got
        if not (use.trains_copy and use.backward) or len(stepped) != 1:
            return None
        opt, opt_name = next(iter(stepped.values()))
        src = dc.source
        if (opt not in dc.alive or opt.replaced or not opt.groups_known
                or not opt.groups or not all(
                    g.params.known and g.params.atoms and all(
                        a.root == src.root and (_prefix(src.path, a.path)
                                                or _prefix(a.path, src.path))
                        for a in g.params.atoms)
                    for g in opt.groups)):
            return None
        # what can run before the loop's turns: the scope up to the end of the loop, or of
        # the outermost loop around it (what follows an inner loop runs before its next turn)
        end = copies.last_position(copies.outermost_loop(region, idx), idx)
        if not copies.copy_uses_ok(idx, name, self.ctx, end, passed):
            return None
        start = {src.root.name} | {n for n, (v, _) in self.state.env.items()
                                   if isinstance(v, PathValue) and v.root == src.root}
        skip = {id(o.node) for o in self.facts.optimizers} | {id(dc.node)}
        held = copies.model_names(idx, start, end, skip, self.ctx)
        if held is None or held & use.names:
            return None
        if copies.reaches(use.callees, held, self.file_functions(), self.function_index,
                          self.ctx):
            return None
        return opt, opt_name

    def unbound(self, name: str, idx) -> bool:
        """``name`` is bound nowhere in the scope of ``idx`` (a global or a free name of
        unknown value), and names no import, builtin, function or class of the file."""
        return not (name in self.ctx.imports or name in copies.BUILTINS
                    or name in self.ctx.functions or name in self.ctx.classes
                    or copies.rebinds(idx, {name}))

    def copy_region(self, node, frame: _Frame, depth: int) -> tuple | None:
        """What ``node`` (a loop, a helper's body, a call of a helper) does with the copy
        and with optimizers (``frame``: what its names hold), following the functions of
        the file it hands the copy to: (LoopUse, {optimizer id: (optimizer, name)} stepped,
        ids of the calls that hand over the copy), or None when anything there is unknown:
        a step of something else than an optimizer or a scheduler, a call of an object of
        unknown origin (a parameter, a global: it may hold the model and train it), a
        helper that binds again what it is given."""
        idx = frame.idx
        use = copies.read_loop(node, frame.copy, idx, self.ctx)
        if frame.copy in frame.rebound or copies.calls_any(node, idx, frame.unknown):
            return None
        stepped: dict = {}
        for receiver, args in use.steps:
            opts = [(e.value, frame.value_of(e.value)) for e in (receiver, *args)
                    if isinstance(e, cst.Name)
                    and isinstance(frame.value_of(e.value), OptimizerValue)]
            if any(n in frame.rebound for n, _ in opts):
                return None
            for n, v in opts:
                stepped[v.id] = (v, v.name or n)
            if not opts and not (isinstance(receiver, cst.Name)
                                 and frame.scheduler(receiver.value)):
                return None  # something else steps: another optimizer, unknown
        passed: set = set()
        for call, fn in use.helpers:
            sub = self.helper_frame(call, fn, frame) if depth < 2 else None
            got = self.copy_region(fn.body, sub, depth + 1) if sub is not None else None
            if got is None or not copies.copy_uses_ok(sub.idx, sub.copy, self.ctx,
                                                      len(sub.idx.nodes), got[2]):
                return None
            use.trains_copy |= got[0].trains_copy
            use.backward |= got[0].backward
            stepped.update(got[1])
            passed.add(id(call))
        return use, stepped, passed

    def helper_frame(self, call: cst.Call, fn: cst.FunctionDef, frame: _Frame) -> _Frame | None:
        """The names of ``fn`` called as ``call`` from ``frame``: its parameters hold what
        they are given (the copy, an optimizer, a scheduler...); None when that is unknown
        (``*args``, a decorator, the copy given twice)."""
        bound = copies.bind_call(call, fn)
        if bound is None or self.ctx.decorated(fn) or fn in self.ctx.generator_functions:
            return None
        given = [p for p, e in bound.items()
                 if isinstance(e, cst.Name) and e.value == frame.copy]
        if len(given) != 1:
            return None
        values = {p: frame.value_of(e.value) for p, e in bound.items() if isinstance(e, cst.Name)}
        fidx = self.function_index(fn)
        params = _param_names(fn)
        quiet = {p for p, e in bound.items()  # schedulers handed over, unused defaults
                 if isinstance(e, cst.Name) and frame.scheduler(e.value)
                 or isinstance(e, cst.Call) and isinstance(e.func, (cst.Name, cst.Attribute))
                 and copies.builds_scheduler(self.ctx.qualname(e.func))}
        quiet |= copies.none_defaults(fn) - set(bound)
        rebound = copies.rebinds(fidx, params)

        def scheduler(n: str) -> bool:
            if n in params and (n not in quiet or n in rebound):
                # handed something else, or bound again there: every binding decides
                return n in quiet and self.scheduler_name(n, fidx)
            return n in quiet or self.scheduler_name(n, fidx)

        def unknown(n: str) -> bool:
            if n in params:  # what the caller gave, as the caller knows it
                e = bound.get(n)
                return e is not None and any(frame.unknown(m)
                                             for m in copies.names_in(e, frame.idx))
            return self.unbound(n, fidx)

        return _Frame(fidx, given[0], lambda n: values.get(n, UNKNOWN), scheduler, unknown,
                      rebound)

    def scheduler_name(self, name: str, idx) -> bool:
        """Every binding of ``name`` in the scope builds a scheduler (``sched.step()``)."""
        calls = copies.assigned_calls(idx, name)
        return bool(calls) and all(
            isinstance(c.func, (cst.Name, cst.Attribute))
            and copies.builds_scheduler(self.ctx.qualname(c.func)) for c in calls)

    def file_functions(self) -> dict:
        if self._functions_named is None:
            self._functions_named = copies.functions_named(self.ctx.module)
        return self._functions_named

    def function_index(self, fn: cst.FunctionDef) -> copies.ScopeIndex:
        got = self._function_index.get(fn)
        if got is None:
            got = self._function_index[fn] = copies.index_scope(fn)
        return got

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

    def model_change(self, node, base: PathValue, seg, value: Any) -> None:
        if isinstance(value, _NewModule) and not value.no_params and (value.module or (
                base.path and _class_name(value.node) is not None
                and not semantics.NOT_MODULE_CLASS.search(_class_name(value.node)))):
            # a torch module, or any class built into a sub-module's slot
            # (model.roi_heads.box_predictor = FastRCNNPredictor(...))
            target = PathValue(base.root, base.path + (seg,))
            if any(isinstance(a, PathValue) and a.root == target.root and a.path == target.path
                   for a in value.args):
                return  # self.model = DDP(self.model): a wrapper around the same parameters
            self.record_change(node, target)

    def record_change(self, node, target: PathValue, excused: bool = False) -> None:
        """``target``'s parameters are replaced at ``node`` (PG009); in a followed call,
        kept for the call site."""
        if self.report:
            self.facts.model_changes.append(ModelChange(
                node, code(node).strip().splitlines()[0], target, self.alive_optimizers(),
                excused, at=new_id(), in_loop=self.loop_depth > 0))
        else:
            self.changes.append((target, excused))

    def followed(self, node: cst.Call, fn: cst.FunctionDef, sub: PyInterpreter,
                 args: list) -> None:
        """What the followed call replaced is replaced at the call, unless the function
        may rebuild an optimizer (it builds one, is handed one, or names one).  A function
        of the file handed a deep copy may train it (PG009, see ``copy_trained``)."""
        if self.copies and fn.name.value in self.ctx.functions \
                and self.ctx.functions[fn.name.value] is fn:
            self.copy_trained(node)
        if not sub.changes and not sub.touches_optimizer:
            return
        excused = sub.touches_optimizer or any(self.holds_optimizer(v) for v in args) \
            or bool(_NAMES_OPTIMIZER.search(code(fn)))
        self.touches_optimizer |= excused
        for target, was in sub.changes:
            self.record_change(node, target, was or excused)

    def follow_method(self, node: cst.Call, fn: cst.FunctionDef, receiver: PathValue) -> None:
        """``model.grow()``, a method of the file's class of ``model``: what it replaces
        under ``self`` is replaced at the call (its value stays unknown)."""
        if (fn in self.helper_stack or len(self.helper_stack) >= self.MAX_HELPER_DEPTH
                or fn.decorators or fn in self.ctx.generator_functions
                or not fn.params.params):
            return
        sub = type(self)(self.ctx, self.facts, report=False,
                         helper_stack=self.helper_stack + (fn,),
                         self_class=self.ctx.enclosing_class.get(fn),
                         local_names=self.ctx.assigned[fn])
        sub.use_site = self.call_site()
        sub.bind_parameters(fn)
        sub.bind(fn.params.params[0].name.value, receiver)
        sub.run_block(_block(fn.body))
        args = [self.lookup(a.value.value) for a in node.args if isinstance(a.value, cst.Name)]
        self.followed(node, fn, sub, args)

    def receiver_method(self, func: cst.Attribute) -> cst.FunctionDef | None:
        """``x.m`` where ``x`` provably holds an instance of a class of this file (a name
        bound to its construction, or ``self.x`` stored once as one) that defines ``m``."""
        expr = func.value
        made = None
        if isinstance(expr, cst.Name) and expr.value != "self":
            got = self.state.env.get(expr.value)
            made = got[0] if got is not None else None
        elif (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
              and expr.value.value == "self" and self.attr_owners is not None
              and len(self.attr_owners.get(expr.attr.value, ())) == 1):
            made = self.state.attrs.get(code(expr))
        if not isinstance(made, _NewModule):
            return None
        q = self.ctx.qualname(made.node.func)
        if q is None or not q.startswith("<local>."):
            return None
        return self.ctx.methods.get((q[len("<local>."):], func.attr.value))

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

    def use_here(self) -> tuple:
        """The use sites of a use now: for a step, each loop of this scope around it (or
        the scope's straight line, outside loops); for a hand-off, this statement."""
        if self.use_site is not None:
            return (self.use_site,)
        scope = id(self.scope)
        if not self.stepping:
            return ((scope, id(self.current_stmt)),)
        return tuple((scope, "step", id(n)) for n in self.loop_nodes) or ((scope, "step"),)

    def mark_used(self, v: Any, depth: int = 0) -> None:
        """``v`` is stepped, or handed to code that may step it (PG003's evidence)."""
        if isinstance(v, OptimizerValue):
            when = new_id()
            for site in self.use_here():
                v.uses[site] = when
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
                self.facts.used_handles.setdefault(h, set()).update(self.use_here())

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
                and _yields_params(it.node.func.attr.value)):
            return
        named = it.node.func.attr.value == "named_parameters"
        if named and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            target = target.elements[1].value
        elif named:
            return
        if isinstance(target, cst.Name):
            self.param_vars[target.value] = self.state.env[target.value][1]

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

    def parameters_call(self, node: cst.Call, func: cst.Attribute, named: bool):
        base = self.eval(func.value)
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

    def optimizer_call(self, node: cst.Call, cls) -> Any:
        self.touches_optimizer = True
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
                semantics.OPTIMIZER_KEYWORD.search(k) and not isinstance(v, (ClassRef, Const))
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

    def scheduler_call(self, node: cst.Call, q: str, m):
        args = [(a, self.eval(a.value)) for a in node.args]
        opt = args[0][1] if args and args[0][0].keyword is None else UNKNOWN
        kwargs = {a.keyword.value: (v, a.value) for a, v in args if a.keyword is not None}
        if "optimizer" in kwargs:
            opt = kwargs.pop("optimizer")[0]
        positional = [(v, a.value) for a, v in args if a.keyword is None][1:]
        for name, pv in zip(m.args, positional):
            kwargs.setdefault(name, pv)
        if self.report:
            self.facts.schedulers.append(SchedulerCall(q.split(".")[-1], node, opt, kwargs))
        return UNKNOWN

    def changer_call(self, node: cst.Call, m):
        args = [self.eval(a.value) for a in node.args]
        target = next((v for a, v in zip(node.args, args)
                       if a.keyword is None or a.keyword.value in m.args), None)
        if any(self.holds_optimizer(v) for v in args) or not self._given(node, m):
            return UNKNOWN  # it is handed the optimizer: not a change behind its back
        if isinstance(target, PathValue):
            self.record_change(node, target)
        return UNKNOWN

    def deepcopy_call(self, node: cst.Call):
        args = [self.eval(a.value) for a in node.args]
        if args and isinstance(args[0], PathValue):
            return _DeepCopy(node, args[0], self.alive_optimizers())
        return UNKNOWN


@dataclass
class _Frame:
    """The names of a scope where a deep copy may be trained (PG009, ``copy_region``)."""

    idx: copies.ScopeIndex
    copy: str  # the name that holds the copy there
    value_of: Any  # name -> its value (an OptimizerValue, or anything else)
    scheduler: Any  # name -> it holds a scheduler, or None (its step() steps nothing)
    unknown: Any  # name -> it holds an object of unknown origin
    rebound: set  # names bound again there


@dataclass(eq=False)
class _DeepCopy:
    node: cst.Call
    source: PathValue
    alive: list


def _class_name(call: cst.CSTNode) -> str | None:
    f = call.func if isinstance(call, cst.Call) else None
    name = f.value if isinstance(f, cst.Name) else f.attr.value if isinstance(f, cst.Attribute) else None
    return name if name and name[:1].isupper() else None


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
    module_interp.scope = ctx.module
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
        interp.scope = fn
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
