"""What a scope does with a deep copy of a model and with the model itself (PG009).

``student = copy.deepcopy(model)`` made after an optimizer over ``model`` was built, then
trained in a loop that steps that optimizer, trains nothing: the optimizer holds
``model``'s parameters, the loop gives gradients to the copy's.  The dataflow layer
(``dataflow.Interpreter.copy_trained``) knows the values at the loop; this module reads
the syntax it needs, once per scope: where the copy's name is used (every use must be
one that cannot hand its parameters to another optimizer), which names may hold the
model (the loop must reach none of them), and what the loop calls and steps.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

import libcst as cst

from pglint.static import semantics, walk

# methods of a module that return the module itself, and hand its parameters to nothing
_HARMLESS_METHODS = frozenset({"train", "eval", "to", "cuda", "cpu", "half", "float",
                               "double", "bfloat16", "zero_grad"})
# methods of a module whose result holds no Parameter (an output, detached tensors)
_GIVES_TENSORS = frozenset({"forward", "state_dict"})
# callees that only clip the gradients of the parameters they are given
_CLIPS = frozenset({"clip_grad_norm_", "clip_grad_value_"})
# context managers under which a forward builds no graph
_NO_GRAD = frozenset({"no_grad", "inference_mode"})
# methods of a tensor whose result carries no graph
_NO_GRAPH = frozenset({"detach", "item", "tolist", "numpy"})
BUILTINS = frozenset(dir(builtins))
_MAX_ROUNDS = 16  # aliasing rounds before giving up (then: silent)


@dataclass
class ScopeIndex:
    """The syntax of one scope (a function, or the module with every function in it)."""

    nodes: list  # pre-order
    parent: dict  # id(node) -> parent node
    order: dict  # id(node) -> pre-order position
    refs: dict = field(default_factory=dict)  # name -> [Name nodes that read or bind it]


def index_scope(scope: cst.CSTNode) -> ScopeIndex:
    nodes: list = []
    parent: dict = {}
    stack = [scope]
    while stack:
        n = stack.pop()
        nodes.append(n)
        below = walk.parts(n)
        for c in below:
            parent[id(c)] = n
        stack.extend(reversed(below))
    idx = ScopeIndex(nodes, parent, {id(n): i for i, n in enumerate(nodes)})
    for n in nodes:
        if isinstance(n, cst.Name) and _is_reference(n, idx):
            idx.refs.setdefault(n.value, []).append(n)
    return idx


def _is_reference(n: cst.Name, idx: ScopeIndex) -> bool:
    """A variable, not an attribute's name, a keyword, a parameter or a def's name."""
    p = idx.parent.get(id(n))
    if isinstance(p, cst.Attribute):
        return p.value is n
    if isinstance(p, cst.Arg):
        return p.value is n
    return not isinstance(p, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias,
                              cst.ImportFrom))


def outermost_loop(loop: cst.CSTNode, idx: ScopeIndex) -> cst.CSTNode:
    """``loop``, or the outermost loop of the scope around it."""
    out, node = loop, idx.parent.get(id(loop))
    while node is not None:
        if isinstance(node, (cst.For, cst.While)):
            out = node
        node = idx.parent.get(id(node))
    return out


def last_position(node: cst.CSTNode, idx: ScopeIndex) -> int:
    """The pre-order position of the last node under ``node``."""
    return idx.order[id(node)] + sum(1 for _ in walk.walk(node)) - 1


def names_in(node: cst.CSTNode, idx: ScopeIndex) -> set[str]:
    """The variables ``node`` reads or binds."""
    return {n.value for n in walk.walk(node) if isinstance(n, cst.Name)
            and _is_reference(n, idx)}


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


def _target_roots(t: cst.BaseExpression) -> set[str]:
    """Names a store to ``t`` binds or mutates (``a``, ``a.b``, ``a[i]``, tuples of those)."""
    if isinstance(t, (cst.Tuple, cst.List)):
        return set().union(*(_target_roots(e.value) for e in t.elements))
    r = _root_name(t.value if isinstance(t, cst.StarredElement) else t)
    return {r} if r is not None else set()


def copy_uses_ok(idx: ScopeIndex, name: str, ctx, end: int, passed: set) -> bool:
    """Every use of ``name`` in the scope up to position ``end`` binds it, hands it to a
    function of the file that was followed (``passed``: those calls' ids), calls it as a module
    (``student(x)``, ``student.forward(x)``), calls a method that hands its parameters to
    nothing (``student.train()``, ``.to(device)``, ``.state_dict()``), or gives its
    parameters to a gradient clip.  Anything else (an argument, an attribute, a loop over
    its parameters, ``requires_grad_``) may build or feed another optimizer: unknown."""
    for n in idx.refs.get(name, ()):
        if idx.order[id(n)] > end:
            continue  # after the loop: what it does cannot reach the loop
        p = idx.parent.get(id(n))
        if _binds(n, p, idx):
            continue
        if isinstance(p, cst.Call) and p.func is n:
            continue
        if isinstance(p, cst.Arg) and p.value is n and id(idx.parent.get(id(p))) in passed:
            continue
        if not (isinstance(p, cst.Attribute) and p.value is n):
            return False
        call = idx.parent.get(id(p))
        if not (isinstance(call, cst.Call) and call.func is p):
            return False
        attr = p.attr.value
        if attr in _GIVES_TENSORS or attr in _HARMLESS_METHODS and _dropped(call, idx, name):
            continue
        if attr in ("parameters", "named_parameters") and _clipped(call, idx, ctx):
            continue
        return False
    return True


def _dropped(call: cst.Call, idx: ScopeIndex, name: str) -> bool:
    """What ``student.to(device)`` (the module itself) returns goes nowhere, or back to
    the copy's name: ``student.train()``, ``student = student.to(device).half()``."""
    p = idx.parent.get(id(call))
    while isinstance(p, cst.Attribute) and p.value is call and p.attr.value in _HARMLESS_METHODS:
        call = idx.parent.get(id(p))
        if not (isinstance(call, cst.Call) and call.func is p):
            return False
        p = idx.parent.get(id(call))
    if isinstance(p, cst.Expr):
        return True
    return isinstance(p, cst.Assign) and all(
        isinstance(t.target, cst.Name) and t.target.value == name for t in p.targets)


def _binds(n: cst.Name, p, idx: ScopeIndex) -> bool:
    """``n`` is (part of) an assignment, loop, ``with ... as`` or ``del`` target."""
    while isinstance(p, (cst.Tuple, cst.List, cst.StarredElement, cst.Element)):
        n, p = p, idx.parent.get(id(p))
    if isinstance(p, cst.AssignTarget):
        return p.target is n
    if isinstance(p, (cst.For, cst.CompFor)):
        return p.target is n
    if isinstance(p, (cst.AnnAssign, cst.Del)):
        return p.target is n
    if isinstance(p, cst.AsName):
        return True
    return isinstance(p, cst.NamedExpr) and p.target is n


def _clipped(call: cst.Call, idx: ScopeIndex, ctx) -> bool:
    arg = idx.parent.get(id(call))
    outer = idx.parent.get(id(arg))
    if not (isinstance(arg, cst.Arg) and arg.value is call and isinstance(outer, cst.Call)):
        return False
    q = ctx.qualname(outer.func) if isinstance(outer.func, (cst.Name, cst.Attribute)) else None
    return q is not None and q.split(".")[-1] in _CLIPS


def model_names(idx: ScopeIndex, start: set[str], end: int, skip: set[int],
                ctx) -> set[str] | None:
    """The names that may hold the model (or something that reaches it), from ``start``:
    what a statement up to position ``end`` binds from an
    expression that reads one of them, and the receiver of a method given one
    (``hooks.append(model)``, ``criterion.set_teacher(model)``); not an optimizer built
    over its parameters nor a deep copy (``skip``: those calls' ids).  None when the
    aliasing does not settle."""
    edges: list[tuple[set[str], set[str]]] = []
    for n in idx.nodes:
        if idx.order[id(n)] > end:
            break  # pre-order: everything after is later in the source
        if isinstance(n, cst.Assign):
            if _unwrap(n.value) is not None and id(_unwrap(n.value)) in skip:
                continue
            targets: set[str] = set()
            for t in n.targets:
                targets |= _target_roots(t.target)
            edges.append((names_in(n.value, idx), targets))
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr)) and n.value is not None:
            edges.append((names_in(n.value, idx), _target_roots(n.target)))
        elif isinstance(n, (cst.For, cst.CompFor)):
            edges.append((names_in(n.iter, idx), _target_roots(n.target)))
        elif isinstance(n, cst.WithItem) and n.asname is not None:
            edges.append((names_in(n.item, idx), _target_roots(n.asname.name)))
        elif isinstance(n, cst.Call) and n.args and id(n) not in skip:
            got: set[str] = set()
            for a in n.args:
                got |= names_in(a.value, idx)
            receiver = None
            if isinstance(n.func, cst.Attribute) and not ctx.is_imported(n.func):
                receiver = _root_name(n.func.value)
            elif isinstance(n.func, cst.Name) and n.func.value == "setattr":
                receiver = _root_name(n.args[0].value)
            if receiver is not None:
                edges.append((got, {receiver}))
    names = set(start)
    for _ in range(_MAX_ROUNDS):
        grown = False
        for src, dst in edges:
            if src & names and not dst <= names:
                names |= dst
                grown = True
        if not grown:
            return names
    return None


_SAME_MODULE = frozenset(a for a in ("to", "cuda", "cpu", "half", "float", "double",
                                     "bfloat16", "train", "eval", "requires_grad_")
                         if "same_module" in semantics.method(a))


def _unwrap(node: cst.BaseExpression) -> cst.Call | None:
    """The call under ``.to(device)`` / ``.cuda()`` chains of a call."""
    while (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
           and node.func.attr.value in _SAME_MODULE and isinstance(node.func.value, cst.Call)):
        node = node.func.value
    return node if isinstance(node, cst.Call) else None


@dataclass
class LoopUse:
    """What a loop does, read from its syntax."""

    names: set  # variables it reads or binds
    trains_copy: bool  # calls the copy as a module, outside no_grad, not detached
    backward: bool  # calls ``.backward(...)`` on something
    steps: list  # (receiver expression, [positional argument expressions]) of ``.step()``
    callees: set  # names of the functions and methods it calls
    helpers: list  # (call, FunctionDef): functions of the file it hands the copy to


def read_loop(loop: cst.CSTNode, copy: str, idx: ScopeIndex, ctx) -> LoopUse:
    use = LoopUse(names_in(loop, idx), False, False, [], set(), [])
    for n in walk.walk(loop):
        if not isinstance(n, cst.Call):
            continue
        f = n.func
        if isinstance(f, cst.Name):
            use.callees.add(f.value)
            if f.value == copy and _trains(n, loop, idx, ctx):
                use.trains_copy = True
            fn = ctx.functions.get(f.value)
            if fn is not None and not rebinds(idx, {f.value}) and any(
                    isinstance(a.value, cst.Name) and a.value.value == copy for a in n.args):
                use.helpers.append((n, fn))
        elif isinstance(f, cst.Attribute):
            use.callees.add(f.attr.value)
            attr = f.attr.value
            if attr == "backward":
                use.backward = True
            elif attr == "step":
                use.steps.append((f.value, [a.value for a in n.args if a.keyword is None
                                            and not a.star]))
            elif (attr == "forward" and isinstance(f.value, cst.Name) and f.value.value == copy
                  and _trains(n, loop, idx, ctx)):
                use.trains_copy = True
    return use


def _trains(call: cst.Call, loop: cst.CSTNode, idx: ScopeIndex, ctx) -> bool:
    """A forward of the copy that builds a graph: its result not ``.detach()``-ed (nor
    ``.item()``...) in the expression (``target(x).max(1)[0].detach()``), not under
    ``torch.no_grad()`` / ``inference_mode()`` inside the loop."""
    node, p = call, idx.parent.get(id(call))
    while isinstance(p, (cst.Attribute, cst.Call, cst.Subscript)) and (
            p.func is node if isinstance(p, cst.Call) else p.value is node):
        if isinstance(p, cst.Attribute) and p.attr.value in _NO_GRAPH:
            return False
        node, p = p, idx.parent.get(id(p))
    node = call
    while node is not loop and node is not None:
        node = idx.parent.get(id(node))
        if isinstance(node, cst.With):
            for item in node.items:
                i = item.item
                f = i.func if isinstance(i, cst.Call) else i
                q = ctx.qualname(f) if isinstance(f, (cst.Name, cst.Attribute)) else None
                if q is not None and q.split(".")[-1] in _NO_GRAD | {"set_grad_enabled"}:
                    return False
    return True


def assigned_calls(idx: ScopeIndex, name: str) -> list | None:
    """The values of every binding of ``name`` in the scope, when each is an assignment
    of a call; None when one is anything else (a parameter, a loop target...)."""
    out = []
    for n in idx.refs.get(name, ()):
        p = idx.parent.get(id(n))
        if isinstance(p, cst.AssignTarget) and p.target is n:
            stmt = idx.parent.get(id(p))
            if not isinstance(stmt, cst.Assign) or not isinstance(stmt.value, cst.Call):
                return None
            out.append(stmt.value)
        elif _binds(n, p, idx) or isinstance(p, cst.Param):
            return None
    return out


def builds_scheduler(q: str | None) -> bool:
    """A call of ``q`` builds a learning-rate scheduler (whose ``step()`` steps nothing)."""
    if q is None:
        return False
    last = q.split(".")[-1]
    return (q.startswith("torch.optim.lr_scheduler.") or "schedul" in last.lower()
            or last.endswith("LR") and last[:1].isupper())


def functions_named(module: cst.Module) -> dict:
    """Every function and method of the file by name (nested ones too), and every class's
    methods under the class's name (its construction runs them)."""
    out: dict = {}
    classes: list = []
    for n in walk.walk(module):
        if isinstance(n, cst.FunctionDef):
            out.setdefault(n.name.value, []).append(n)
        elif isinstance(n, cst.ClassDef):
            classes.append(n)
    for c in classes:
        out.setdefault(c.name.value, []).extend(
            n for n in walk.walk(c.body) if isinstance(n, cst.FunctionDef))
    return out


def reaches(callees: set, names: set, defs: dict, idx_of, ctx) -> bool:
    """A function the loop calls (or one they call, and so on) reads one of ``names`` as
    a name of an enclosing scope (what it is handed, the loop names itself)."""
    seen: set = set()
    todo = list(callees)
    while todo:
        name = todo.pop()
        for fn in defs.get(name, ()):
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            idx = idx_of(fn)
            if names & free_names(fn, idx, ctx):
                return True
            for n in idx.nodes:
                if isinstance(n, cst.Call):
                    f = n.func
                    todo.append(f.value if isinstance(f, cst.Name) else
                                f.attr.value if isinstance(f, cst.Attribute) else "")
    return False


def free_names(fn: cst.FunctionDef, idx: ScopeIndex, ctx) -> set[str]:
    """The names ``fn`` reads from enclosing scopes (all it reads, with ``global``)."""
    if any(isinstance(n, (cst.Global, cst.Nonlocal)) for n in idx.nodes):
        return set(idx.refs)
    return set(idx.refs) - ctx.assigned.get(fn, set())


def bind_call(call: cst.Call, fn: cst.FunctionDef) -> dict | None:
    """Parameter name -> argument expression of a call of ``fn``; None when a ``*``/``**``
    argument or an argument without a parameter makes it unknown."""
    positional = [*fn.params.posonly_params, *fn.params.params]
    keywords = {p.name.value for p in (*fn.params.params, *fn.params.kwonly_params)}
    out: dict = {}
    i = 0
    for a in call.args:
        if a.star:
            return None
        if a.keyword is None:
            if i >= len(positional):
                return None
            out[positional[i].name.value] = a.value
            i += 1
        elif a.keyword.value in keywords:
            out[a.keyword.value] = a.value
        else:
            return None
    return out


def rebinds(idx: ScopeIndex, names: set) -> set:
    """Those of ``names`` that the scope binds again (its parameters: not as such)."""
    return {name for name in names for n in idx.refs.get(name, ())
            if _binds(n, idx.parent.get(id(n)), idx)}


def none_defaults(fn: cst.FunctionDef) -> set:
    """The parameters of ``fn`` whose default is ``None``."""
    return {p.name.value for p in (*fn.params.posonly_params, *fn.params.params,
                                   *fn.params.kwonly_params)
            if isinstance(p.default, cst.Name) and p.default.value == "None"}


def calls_any(node: cst.CSTNode, idx: ScopeIndex, unknown) -> bool:
    """A call under ``node`` whose callee is reached from a name ``unknown`` says yes to
    (``criterion(...)``, ``agent.act(...)``, ``self.log(...)``)."""
    for n in walk.walk(node):
        if isinstance(n, cst.Call):
            root = _root_name(n.func)
            if root is not None and unknown(root):
                return True
    return False
