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

from pglint.static import walk
from pglint.static.context import FileContext


def attr_owners(ctx: FileContext) -> dict | None:
    """attribute name -> the functions (None: module or class body) storing it; None when
    the file stores an attribute under a computed name.  Cached on the file's context.

    A walk over statements only (assignment, ``for``, ``with``, ``del`` targets and
    statement-level ``setattr``/``register_*`` calls): the dataflow layer pays for it on
    every file, and a full tree visit costs as much as building the context.  A
    ``setattr`` buried inside an expression (a lambda, a comprehension) is not seen.
    """
    cached = getattr(ctx, "_pg_attr_owners", False)
    if cached is not False:
        return cached
    out: dict[str, set] = {}
    unknown = False

    def target(t, fn) -> None:
        if isinstance(t, cst.Attribute):
            out.setdefault(t.attr.value, set()).add(fn)
        elif isinstance(t, (cst.Tuple, cst.List)):
            for e in t.elements:
                target(e.value, fn)
        elif isinstance(t, cst.StarredElement):
            target(t.value, fn)

    def call(c, fn) -> None:
        nonlocal unknown
        if not isinstance(c, cst.Call):
            return
        f = c.func
        name = (f.value if isinstance(f, cst.Name)
                else f.attr.value if isinstance(f, cst.Attribute) else None)
        idx = 1 if name in ("setattr", "delattr") else 0 if name in _REGISTER else None
        if idx is None:
            return
        arg = c.args[idx].value if len(c.args) > idx else None
        if isinstance(arg, cst.SimpleString):
            out.setdefault(arg.evaluated_value, set()).add(fn)
        else:
            unknown = True

    def statements(body, fn) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        for t in small.targets:
                            target(t.target, fn)
                        call(small.value, fn)
                    elif isinstance(small, (cst.AugAssign, cst.AnnAssign, cst.Del)):
                        target(small.target, fn)
                    elif isinstance(small, cst.Expr):
                        call(small.value, fn)
                continue
            if isinstance(stmt, cst.FunctionDef):
                statements(_stmts(stmt.body), stmt)
                continue
            if isinstance(stmt, cst.For):
                target(stmt.target, fn)
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    if item.asname is not None:
                        target(item.asname.name, fn)
            for part in _parts(stmt):
                statements(_stmts(part), fn)

    statements(ctx.module.body, None)
    result = None if unknown else out
    ctx._pg_attr_owners = result
    return result


_REGISTER = frozenset({"register_parameter", "register_module", "add_module", "register_buffer",
                       "__setattr__"})


def _stmts(block) -> list:
    return list(block.body) if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) \
        else []


def _parts(stmt) -> list:
    """The blocks of a compound statement (bodies, else, handlers, finally, cases)."""
    out = []
    for name in ("body", "orelse", "finalbody"):
        part = getattr(stmt, name, None)
        if isinstance(part, cst.If):  # elif
            out.extend(_parts(part))
        elif isinstance(part, (cst.Else, cst.Finally)):
            out.append(part.body)
        elif isinstance(part, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            out.append(part)
    for h in getattr(stmt, "handlers", ()) or ():
        out.append(h.body)
    for c in getattr(stmt, "cases", ()) or ():
        out.append(c.body)
    return out


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
    """Attributes of ``self`` that ``fn`` reads: a call, or a bound method handed on
    (a callback), may run that method."""
    return {n.attr.value for n in walk.walk(fn.body)
            if n.__class__ is cst.Attribute and n.value.__class__ is cst.Name
            and n.value.value == "self"}


_SCOPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef})


def single_exit(fn: cst.FunctionDef) -> bool:
    """No ``return`` but, at most, the last statement of the body; no ``yield``."""
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    found = []
    for s in body:
        def enter(n, s=s) -> bool:  # not into a nested scope (s itself is entered)
            return n is s or n.__class__ not in _SCOPES

        for n in walk.walk(s, enter):
            if n.__class__ is cst.Return or n.__class__ is cst.Yield:
                found.append(n)
    if any(isinstance(n, cst.Yield) for n in found):
        return False
    if not found:
        return True
    last = body[-1]
    return (len(found) == 1 and isinstance(last, cst.SimpleStatementLine)
            and found[0] in last.body)
