"""What one file declares: imports, functions, classes and its Optimizer subclasses.

Built once per file from the parsed module; the dataflow interpreter uses it to
resolve names (``optim.AdamW`` -> ``torch.optim.AdamW``) and helper calls.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from pglint import hyperparams
from pglint.static import walk
from pglint.static.filters import code
from pglint.static.semantics import (  # what library classes are: the table's
    ENDLESS_ITERATORS,
    KNOWN_MODULE_CLASSES,
    NOT_PEER_OPTIMIZERS,
    TORCH_DISTRIBUTED_OPTIMIZERS,
)
from pglint.static.values import OptClass

# another package's optimizer class: CamelCase and an optimizer-like name
_THIRD_PARTY_OPT = re.compile(
    r"^[A-Z][A-Za-z0-9_]*$"
)
_OPT_WORDS = re.compile(
    r"(Adamax|Adam|SGD|Lion|Lamb|LAMB|Lars|LARS|Adafactor|Adagrad|Adadelta|RMSprop|RMSProp|Rprop|"
    r"Novograd|NovoGrad|Sophia|Shampoo|Prodigy|Muon|Adan|AdaBelief|Ranger|Optimizer|Optim$)"
    r"(?![a-z])"  # a word of its own: Lamb but not Lambda, Adan but not Adanet
)
_NOT_OPT = re.compile(r"(Config|Args|Arguments|Scheduler|Wrapper|State|Builder|Factory|Mixin|Base|"
                      r"Lookahead|Registry|Test|Error|Exception|Callback|Hook)")
# torch.nn sub-packages whose classes are no Modules (PackedSequence, SDPBackend, ...)
_NN_NOT_MODULES = frozenset({"functional", "utils", "init", "attention", "grad", "common_types"})


@dataclass
class FileContext:
    module: cst.Module
    imports: dict = field(default_factory=dict)  # local alias -> dotted qualified name
    # ``from .helpers import f`` / ``from . import helpers``: local alias -> ".helpers.f" /
    # ".helpers" (one leading dot per level).  Only project summaries read these: a
    # relative import names a module of this package, never torch's
    relative_imports: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)  # module-level name -> FunctionDef
    classes: dict = field(default_factory=dict)  # module-level name -> ClassDef
    methods: dict = field(default_factory=dict)  # (class name, method) -> FunctionDef
    generator_functions: set = field(default_factory=set)  # FunctionDef nodes with yield
    list_returning_parameters: set = field(default_factory=set)  # classes overriding parameters()
    opt_classes: dict = field(default_factory=dict)  # class name -> OptClass (custom)
    enclosing_class: dict = field(default_factory=dict)  # FunctionDef -> class name
    # names bound in each function (its locals, parameters included) and each loop body
    assigned: dict = field(default_factory=dict)  # FunctionDef / For / While -> set[str]
    scopes: list = field(default_factory=list)  # every FunctionDef, in source order
    _finishes: dict = field(default_factory=dict)  # generator FunctionDef -> can it finish
    # attribute names the file stores anywhere (``x.parameters = [...]``, a class-body
    # assignment, a decorated method such as a @property, setattr(x, "parameters", ...))
    stored_attrs: set = field(default_factory=set)
    _module_attrs: dict = field(default_factory=dict)  # (class, attr) -> always a Module

    # ------------------------------------------------------------ name resolution
    def qualname(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            if node.value in self.imports:
                return self.imports[node.value]
            if node.value in self.classes or node.value in self.functions:
                return "<local>." + node.value
            return node.value  # builtins and plain names
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    def module_class(self, q: str | None, _seen: tuple = ()) -> bool:
        """``q`` names a class that is provably a ``torch.nn.Module`` (or ``Parameter``):
        a ``torch.nn`` class, a known framework subclass, or a class of this file whose
        bases resolve to one of those."""
        if q is None:
            return False
        if q.startswith("<local>."):
            name = q[len("<local>."):]
            cls = self.classes.get(name)
            if cls is None or name in _seen:
                return False
            return any(self.module_class(self.qualname(b.value), (*_seen, name))
                       for b in cls.bases if b.keyword is None)
        parts = q.split(".")
        if parts[:2] == ["torch", "nn"] and len(parts) >= 3:
            return parts[2] not in _NN_NOT_MODULES and parts[-1][:1].isupper()
        return q in KNOWN_MODULE_CLASSES

    def local_ancestors(self, name: str) -> list[str]:
        """The classes of this file that class ``name`` inherits from, nearest first."""
        out: list[str] = []
        todo = [name]
        while todo:
            cls = self.classes.get(todo.pop(0))
            for b in cls.bases if cls is not None else ():
                q = self.qualname(b.value) if b.keyword is None else None
                base = q[len("<local>."):] if q and q.startswith("<local>.") else None
                if base in self.classes and base != name and base not in out:
                    out.append(base)
                    todo.append(base)
        return out

    def module_attr(self, cls: str, attr: str) -> bool:
        """Every ``self.<attr> = ...`` in class ``cls`` stores a new Module (and one does)."""
        key = (cls, attr)
        if key not in self._module_attrs:
            values = []
            for (c, _), fn in self.methods.items():
                if c == cls:
                    _self_attr_values(fn, attr, values)
            self._module_attrs[key] = bool(values) and all(
                isinstance(v, cst.Call) and self.module_class(self.qualname(v.func))
                for v in values)
        return self._module_attrs[key]

    def decorated(self, fn: cst.FunctionDef) -> bool:
        """A decorator other than ``staticmethod``/``classmethod``: what a call returns is unknown
        (``@contextmanager`` makes a generator function return a context manager)."""
        return any(self.qualname(d.decorator) not in ("staticmethod", "classmethod")
                   for d in fn.decorators)

    def one_shot_generator(self, fn: cst.FunctionDef) -> bool:
        """A call of ``fn`` provably returns a generator that runs dry: ``fn`` yields, has no
        decorator, and its body can return or run off its end (an endless ``while True:``
        data loader is never exhausted, so a second consumer still gets items)."""
        if fn not in self.generator_functions or self.decorated(fn):
            return False
        got = self._finishes.get(fn)
        if got is None:
            got = self._finishes[fn] = _can_return(fn.body) or _completes(fn.body.body, self)
        return got

    def project_qualname(self, node: cst.BaseExpression) -> str | None:
        """The dotted name of an imported function as a module path would spell it
        (``utils.get_groups``, ``.lr_decay.param_groups_lrd`` for a relative import), or
        None when the callee is not imported."""
        if isinstance(node, cst.Attribute):
            base = self.project_qualname(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        if isinstance(node, cst.Name):
            return self.imports.get(node.value) or self.relative_imports.get(node.value)
        return None

    def is_imported(self, node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.Attribute):
            node = node.value
        return isinstance(node, cst.Name) and node.value in self.imports

    def optimizer_class(self, func: cst.BaseExpression) -> OptClass | None:
        """The optimizer class a call's callee names, if provably one."""
        q = self.qualname(func)
        if q is None:
            return None
        return self.optimizer_class_for(q, imported=self.is_imported(func))

    def optimizer_class_for(self, q: str, imported: bool) -> OptClass | None:
        if q.startswith("<local>."):
            return self.opt_classes.get(q[len("<local>."):])
        parts = q.split(".")
        last = parts[-1]
        if parts[0] == "torch" and len(parts) >= 3 and parts[1] == "optim":
            if "lr_scheduler" in parts or "swa_utils" in parts:
                return None
            cat = hyperparams.torch_optimizers().get(last)
            if cat is not None:
                return OptClass(last, "torch", frozenset(cat["keys"]),
                                tuple((k, v) for k, v in cat["defaults"].items()
                                      if not isinstance(v, list)))
            if last == "Optimizer" or _OPT_WORDS.search(last):
                return OptClass(last, "torch", None)
            return None
        if imported and q in TORCH_DISTRIBUTED_OPTIMIZERS:
            return OptClass(last, "third", None)
        if not imported or parts[0] == "torch" or (parts[0], last) in NOT_PEER_OPTIMIZERS:
            return None
        if _THIRD_PARTY_OPT.match(last) and _OPT_WORDS.search(last) and not _NOT_OPT.search(last):
            return OptClass(".".join(parts[-2:]) if len(parts) > 1 else last, "third", None)
        return None


def _self_attr_values(fn: cst.FunctionDef, attr: str, values: list) -> None:
    """What each ``self.<attr> = v`` in ``fn`` stores, in order: ``v``, or None where the
    store is not proved to be of one value (``self.a, self.b = ...``, ``self.x: T = v``,
    ``self.x += v``)."""
    value = None  # the value of the last ``Assign`` entered: its targets' value
    for node in walk.walk(fn):
        cls = node.__class__
        if cls is cst.Assign:
            value = node.value
        elif cls is cst.AssignTarget:
            t = node.target
            if isinstance(t, cst.Attribute) and t.attr.value == attr \
                    and isinstance(t.value, cst.Name) and t.value.value == "self":
                values.append(value)
            elif isinstance(t, (cst.Tuple, cst.List)) and any(
                    isinstance(e.value, cst.Attribute) and e.value.attr.value == attr
                    for e in t.elements):
                values.append(None)
        elif cls is cst.AnnAssign or cls is cst.AugAssign:
            t = node.target
            if isinstance(t, cst.Attribute) and t.attr.value == attr:
                values.append(None)


_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
_SCOPES_AND_LOOPS = _SCOPES | {cst.For, cst.While}


def _contains(body, kind: type, enter_loops: bool) -> bool:
    """A statement of one kind in a body, not entering nested scopes (nor loops, for
    ``break``: a ``break`` there ends the inner loop)."""
    skip = _SCOPES if enter_loops else _SCOPES_AND_LOOPS

    def enter(node) -> bool:
        return node.__class__ not in skip

    return any(node.__class__ is kind for stmt in body.body for node in walk.walk(stmt, enter))


def _can_return(body) -> bool:
    return _contains(body, cst.Return, enter_loops=True)


def endless_call(node, ctx: FileContext) -> bool:
    """``itertools.count()``, ``cycle(x)``, ``repeat(x)``: an iterator that never ends."""
    if not isinstance(node, cst.Call):
        return False
    q = ctx.qualname(node.func)
    if q not in ENDLESS_ITERATORS or not ctx.is_imported(node.func):
        return False
    return not (q.endswith("repeat") and (len(node.args) > 1 or any(a.keyword for a in node.args)))


def _completes(stmts, ctx: FileContext) -> bool:
    """The statements can run to their end (over-approximated: unknown means yes)."""
    return all(_stmt_completes(s, ctx) for s in stmts)


def _stmt_completes(s, ctx: FileContext) -> bool:
    if isinstance(s, cst.SimpleStatementLine):
        for small in s.body:
            if isinstance(small, (cst.Raise, cst.Break, cst.Continue)):
                return False
            v = small.value if isinstance(small, cst.Expr) else None
            if isinstance(v, cst.Yield) and isinstance(v.value, cst.From) and endless_call(v.value.item, ctx):
                return False  # yield from itertools.cycle(data)
        return True
    if isinstance(s, cst.While):
        t = s.test
        forever = (isinstance(t, cst.Name) and t.value == "True"
                   or isinstance(t, cst.Integer) and _literal(t) not in (0, _NO_VALUE))
        return not forever or _contains(s.body, cst.Break, enter_loops=False)
    if isinstance(s, cst.For):
        return not endless_call(s.iter, ctx) or _contains(s.body, cst.Break, enter_loops=False)
    if isinstance(s, cst.If):
        if _completes(s.body.body, ctx) or s.orelse is None:
            return True
        return _stmt_completes(s.orelse, ctx) if isinstance(s.orelse, cst.If) \
            else _completes(s.orelse.body.body, ctx)
    if isinstance(s, (cst.Try, cst.TryStar)):
        ok = _completes(s.body.body, ctx) and (s.orelse is None or _completes(s.orelse.body.body, ctx))
        ok = ok or any(_completes(h.body.body, ctx) for h in s.handlers)
        return ok and (s.finalbody is None or _completes(s.finalbody.body.body, ctx))
    if isinstance(s, cst.With):
        return _completes(s.body.body, ctx)
    return True


def _target_names(t) -> set[str]:
    if isinstance(t, cst.Name):
        return {t.value}
    if isinstance(t, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for e in t.elements:
            out |= _target_names(e.value)
        return out
    if isinstance(t, cst.StarredElement):
        return _target_names(t.value)
    return set()


def _param_names(fn: cst.FunctionDef) -> set[str]:
    p = fn.params
    names = {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def build_context(module: cst.Module) -> FileContext:
    ctx = FileContext(module)
    _Collector(ctx).run(module)
    _find_optimizer_classes(ctx)
    return ctx


class _Collector:
    """One traversal: imports, defs, generator functions, and the names each function
    and each loop binds (the dataflow layer needs them before it interprets).  Reads node
    fields directly (walk.py): libcst's visitor would rebuild every node it passes."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.class_stack: list[str] = []
        self.class_body = [False]  # is the innermost scope a class body
        self.depth = 0
        # frames: one per function/class body; each holds its function and open loops
        self.frames: list[tuple] = [(None, [])]
        # what to do on entering a node of each type; a handler may return what to do on
        # leaving it (after its children)
        self.enter = {
            cst.AssignTarget: self._assigned, cst.AugAssign: self._assigned,
            cst.AnnAssign: self._assigned, cst.Call: self._call, cst.AsName: self._as_name,
            cst.NamedExpr: self._bound_target, cst.Del: self._bound_target,
            cst.For: self._for, cst.While: self._while, cst.Yield: self._yield,
            cst.Lambda: self._lambda, cst.Import: self._import,
            cst.ImportFrom: self._import_from, cst.ClassDef: self._class,
            cst.FunctionDef: self._function,
        }

    def run(self, module: cst.Module) -> None:
        enter, fields, read = self.enter, walk.PART_FIELDS, walk.read

        def visit(node):
            handler = enter.get(node.__class__)
            leave = handler(node) if handler is not None else None
            for child in read(node, fields[node.__class__]):
                visit(child)
            if leave is not None:
                leave(node)

        visit(module)

    def _bind(self, names) -> None:
        fn, loops = self.frames[-1]
        assigned = self.ctx.assigned
        for target in (fn, *loops):
            if target is not None:
                assigned[target].update(names)

    def _store(self, t) -> None:
        if isinstance(t, cst.Attribute):
            self.ctx.stored_attrs.add(t.attr.value)
        elif isinstance(t, (cst.Tuple, cst.List)):
            for e in t.elements:
                self._store(e.value)
        elif isinstance(t, cst.StarredElement):
            self._store(t.value)
        elif self.class_body[-1]:  # a class attribute: parameters = [...]
            self.ctx.stored_attrs.update(_target_names(t))

    def _assigned(self, node) -> None:  # AssignTarget, AugAssign, AnnAssign
        self._bind(_target_names(node.target))
        self._store(node.target)

    def _call(self, node: cst.Call) -> None:
        f, args = node.func, node.args
        if isinstance(f, cst.Name) and f.value == "setattr" and len(args) >= 2 \
                and isinstance(args[1].value, cst.SimpleString):
            self.ctx.stored_attrs.add(args[1].value.evaluated_value)

    def _as_name(self, node: cst.AsName) -> None:
        self._bind(_target_names(node.name))

    def _bound_target(self, node) -> None:  # NamedExpr, Del
        self._bind(_target_names(node.target))

    def _for(self, node: cst.For):
        self._bind(_target_names(node.target))
        self.ctx.assigned[node] = set(_target_names(node.target))
        self.frames[-1][1].append(node)
        return self._leave_loop

    def _while(self, node: cst.While):
        self.ctx.assigned[node] = set()
        self.frames[-1][1].append(node)
        return self._leave_loop

    def _leave_loop(self, node) -> None:
        self.frames[-1][1].pop()

    def _yield(self, node: cst.Yield) -> None:
        fn = self.frames[-1][0]
        if fn is not None:
            self.ctx.generator_functions.add(fn)

    def _lambda(self, node: cst.Lambda):
        self.frames.append((None, []))
        self.class_body.append(False)
        return self._leave_lambda

    def _leave_lambda(self, node) -> None:
        self.frames.pop()
        self.class_body.pop()

    def _import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = code(alias.name)
            if alias.asname is not None:
                self.ctx.imports[alias.asname.name.value] = full
            else:
                self.ctx.imports[full.split(".")[0]] = full.split(".")[0]

    def _import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        if node.relative:
            base = "." * len(node.relative) + (code(node.module) + "." if node.module else "")
            for alias in node.names:
                name = code(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                self.ctx.relative_imports[local] = base + name
            return
        if node.module is None:
            return
        mod = code(node.module)
        for alias in node.names:
            name = code(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            self.ctx.imports[local] = f"{mod}.{name}"

    def _class(self, node: cst.ClassDef):
        if not self.class_stack and self.depth == 0:
            self.ctx.classes[node.name.value] = node
        self._bind({node.name.value})
        self.class_stack.append(node.name.value)
        self.frames.append((None, []))
        self.class_body.append(True)
        return self._leave_class

    def _leave_class(self, node) -> None:
        self.class_stack.pop()
        self.frames.pop()
        self.class_body.pop()

    def _function(self, node: cst.FunctionDef):
        ctx = self.ctx
        if self.class_body[-1] and node.decorators:  # @property def parameters(self)
            ctx.stored_attrs.add(node.name.value)
        self.class_body.append(False)
        self._bind({node.name.value})
        ctx.scopes.append(node)
        ctx.assigned[node] = _param_names(node)
        self.frames.append((node, []))
        if self.class_stack and self.depth == 0:
            ctx.methods[(self.class_stack[-1], node.name.value)] = node
            ctx.enclosing_class[node] = self.class_stack[-1]
        elif not self.class_stack and self.depth == 0:
            ctx.functions[node.name.value] = node
        self.depth += 1
        return self._leave_function

    def _leave_function(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        self.class_body.pop()
        self.depth -= 1
        self.frames.pop()
        cls = ctx.enclosing_class.get(node)
        if (cls is not None and node.name.value == "parameters"
                and node not in ctx.generator_functions):
            ctx.list_returning_parameters.add(cls)


def _literal(node: cst.BaseExpression):
    try:
        return ast.literal_eval(code(node))
    except Exception:
        return _NO_VALUE


_NO_VALUE = object()


def _defaults_keys(init: cst.FunctionDef) -> tuple[frozenset, tuple] | None:
    """Keys of the ``defaults`` an Optimizer subclass passes to ``super().__init__``."""
    dicts: dict[str, cst.BaseExpression] = {}
    result = None

    def dict_keys(node):
        if isinstance(node, cst.Name) and node.value in dicts:
            node = dicts[node.value]
        if isinstance(node, cst.Dict):
            keys, vals = set(), []
            for el in node.elements:
                if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                    return None
                k = el.key.evaluated_value
                keys.add(k)
                v = _literal(el.value)
                if v is not _NO_VALUE:
                    vals.append((k, v))
            return frozenset(keys), tuple(vals)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
            keys, vals = set(), []
            for a in node.args:
                if a.keyword is None:
                    return None
                keys.add(a.keyword.value)
                v = _literal(a.value)
                if v is not _NO_VALUE:
                    vals.append((a.keyword.value, v))
            return frozenset(keys), tuple(vals)
        return None

    for node in walk.walk(init):
        if isinstance(node, cst.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                dicts[node.targets[0].target.value] = node.value
        elif isinstance(node, cst.Call):
            f = node.func
            if isinstance(f, cst.Attribute) and f.attr.value == "__init__":
                args = [a for a in node.args if a.keyword is None]
                kw = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
                is_super = isinstance(f.value, cst.Call)
                d = kw.get("defaults")
                if d is None:
                    idx = 1 if is_super else 2
                    d = args[idx].value if len(args) > idx else None
                if d is not None:
                    result = dict_keys(d)
    return result


def _find_optimizer_classes(ctx: FileContext) -> None:
    """Optimizer subclasses defined in this file (directly or through each other)."""
    changed = True
    while changed:
        changed = False
        for name, cls in ctx.classes.items():
            if name in ctx.opt_classes:
                continue
            base_cls = None
            for b in cls.bases:
                q = ctx.qualname(b.value)
                if q is None:
                    continue
                if q.startswith("<local>."):
                    base_cls = ctx.opt_classes.get(q[len("<local>."):])
                elif q.split(".")[0] == "torch" and q.split(".")[-1] == "Optimizer":
                    base_cls = OptClass("Optimizer", "torch", frozenset())
                else:
                    base_cls = ctx.optimizer_class_for(q, imported=ctx.is_imported(b.value))
                if base_cls is not None:
                    break
            if base_cls is None:
                continue
            init = ctx.methods.get((name, "__init__"))
            keys: frozenset | None = base_cls.keys
            if init is None and base_cls.name == "Optimizer":
                keys = None
            defaults = base_cls.defaults
            if init is not None:
                found = _defaults_keys(init)
                if found is None:
                    keys = None if base_cls.name == "Optimizer" else keys
                else:
                    keys = found[0] | (keys or frozenset())
                    defaults = found[1] + defaults
            ctx.opt_classes[name] = OptClass(name, "custom", keys, defaults,
                                             file_classes=(name, *ctx.local_ancestors(name)))
            changed = True
