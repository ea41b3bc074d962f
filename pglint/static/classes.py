"""Attributes of ``self`` as bindings across the methods of one class (syntax facts).

The dataflow layer reads ``self.X`` as the value stored there when the file stores an
attribute named ``X`` in exactly one function (any receiver counts: ``obj.X = ...``
anywhere else makes ``X`` unknown), and no ``setattr`` with a computed name exists.
``__init__`` runs before every other method of its instance, so what it stores in such an
attribute holds when another method starts, unless that method is run by ``__init__``
itself (``self.build()`` called from ``__init__`` runs before the rest of it).
"""

from __future__ import annotations

import libcst as cst

from pglint.static.context import FileContext


def attr_owners(ctx: FileContext) -> dict | None:
    """attribute name -> the functions (None: module or class body) storing it; None when
    the file stores an attribute under a computed name."""
    out: dict[str, set] = {}
    unknown = False

    class V(cst.CSTVisitor):
        def __init__(self):
            self.fns: list = [None]

        def visit_FunctionDef(self, node):
            self.fns.append(node)

        def leave_FunctionDef(self, node):
            self.fns.pop()

        def _target(self, t) -> None:
            if isinstance(t, cst.Attribute):
                out.setdefault(t.attr.value, set()).add(self.fns[-1])
            elif isinstance(t, (cst.Tuple, cst.List)):
                for e in t.elements:
                    self._target(e.value)
            elif isinstance(t, cst.StarredElement):
                self._target(t.value)

        def visit_AssignTarget(self, node):
            self._target(node.target)

        def visit_AugAssign(self, node):
            self._target(node.target)

        def visit_AnnAssign(self, node):
            self._target(node.target)

        def visit_For(self, node):
            self._target(node.target)

        def visit_Del(self, node):
            self._target(node.target)

        def visit_Call(self, node: cst.Call):
            nonlocal unknown
            f = node.func
            if isinstance(f, cst.Name) and f.value in ("setattr", "delattr") or (
                    isinstance(f, cst.Attribute) and f.attr.value in ("__setattr__", "__dict__")):
                name = node.args[1].value if len(node.args) > 1 else None
                if isinstance(name, cst.SimpleString):
                    out.setdefault(name.evaluated_value, set()).add(self.fns[-1])
                else:
                    unknown = True

        def visit_Attribute(self, node: cst.Attribute):
            nonlocal unknown
            if node.attr.value == "__dict__":
                unknown = True

    ctx.module.visit(V())
    return None if unknown else out


def run_by_init(ctx: FileContext, cls: str) -> set:
    """Methods of ``cls`` that ``__init__`` runs (``self.m()``, transitively)."""
    init = ctx.methods.get((cls, "__init__"))
    if init is None:
        return set()
    seen: set = {init}
    todo = [init]
    while todo:
        fn = todo.pop()
        for name in _self_calls(fn):
            m = ctx.methods.get((cls, name))
            if m is not None and m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _self_calls(fn: cst.FunctionDef) -> set:
    out: set = set()

    class V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute):
            # a call, or a bound method handed on (callbacks): either may run it
            if isinstance(node.value, cst.Name) and node.value.value == "self":
                out.add(node.attr.value)

    fn.body.visit(V())
    return out


def single_exit(fn: cst.FunctionDef) -> bool:
    """No ``return`` but, at most, the last statement of the body; no ``yield``."""
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    found = []

    class V(cst.CSTVisitor):
        def visit_Return(self, node):
            found.append(node)

        def visit_Yield(self, node):
            found.append(None)

        def visit_FunctionDef(self, node):
            return False

        def visit_Lambda(self, node):
            return False

    for s in body:
        s.visit(V())
    if None in found:
        return False
    if not found:
        return True
    last = body[-1] if body else None
    return (len(found) == 1 and isinstance(last, cst.SimpleStatementLine)
            and found[0] in last.body)
