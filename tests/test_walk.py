"""walk.children gives exactly ``node.children`` (same objects, same order) for every node."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing
from pathlib import Path

import libcst as cst
import libcst._nodes
import pytest

from pglint.static import context, walk

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for d in ("fixtures", "tests/data", "pglint") for p in sorted((ROOT / d).rglob("*.py"))]
TRICKY = [
    "@dec\n@pkg.dec2(a, *b, k=1, **kw)\nasync def f(a, /, b: int = 1, *args: str, c, d=2, **kw) -> R:\n"
    "    '''doc'''; x = 1\n    return (yield)\n",
    "@d\nclass C(B, metaclass=M, **kw):\n    x: int\n    y: int = 2\n    def g(self): ...\n",
    "f = lambda a, b=1, *c, d=f(x=2), **e: (a, b)\ng = lambda: 0\nh = lambda *, k: k\n",
    "s = f'{x!r:>{w}} {y=} {z:{a}.{b}} {{lit}} {\"q\"}' f\"{v}\" 'plain'\nt = rb'\\d' b'x'\n",
    "match p:\n    case {'k': [1, *r], **rest} if r: pass\n    case Point(x=0, y=_) | [a, b, *_]: pass\n"
    "    case (1 | 2) as n: pass\n    case C(1, k=v): pass\n    case -1 | 1.5j | 'a' 'b' | None: pass\n"
    "    case _:\n        pass\n",
    "async def f():\n    async for a in b:\n        await c\n    async with d as e, g:\n        pass\n"
    "    return [x async for x in y if x if not x]\n",
    "if (n := len(a)) > 10 and (m := n) is not None:\n    print(n)\n[y := f(x), y ** 2]\n",
    "f(*args, **kwargs)\nf(a, *b, c=d, **e)\na, *b = c\nprint(*[1], *(2,), **{'a': 1})\n{**a, 'b': 2}\n",
    "def f[T](x: T) -> T: ...\nclass C[T: int, *Ts, **P]: pass\ntype X[K] = dict[K, int]\n"
    "def g[T = int, *Ts = *tuple[int], **P = [int]](): pass\n",
    "with (a as b, c as d):\n    pass\nwith a as (b, c), d:\n    pass\nwith (yield):\n    pass\n",
    "try:\n    pass\nexcept* (A, B) as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "try:\n    pass\nexcept A as e:\n    raise B from e\nexcept:\n    raise\n",
    "from . import (a as b,\n    c,)\nfrom ..m.n import *\nimport a.b as c, d\n",
    "x = a[1:2, ::3, b][c][d, ...]\ny = a if b else c if d else e\nz = not -+~a\n"
    "w = a < b <= c != d in e not in f is g is not h == i > j >= k\n",
    "x += 1; y -= 2; z //= 3; w **= 4; v @= m; u >>= 1; t <<= 1; s |= 1; r ^= 1; q &= 1; o %= 2\n",
    "def f():\n    global a, b\n    def g():\n        nonlocal c\n    del a, b[0], c.d\n    assert x, 'msg'\n"
    "    yield from g()\n    for i in range(3):\n        continue\n    else:\n        pass\n"
    "    while x:\n        break\n    else:\n        pass\n",
    "x = {k: v for k, v in d.items() if k}\ny = {a for a in b}\nz = (a for a in b for c in a)\n"
    "w = [a for a in b if a for c in d]\n",
    "# comment\n\n\nx = (  # inner\n    1 +  # trailing\n    2\n)\\\n\n@a  # c\n\n# between\ndef f(): pass\n",
    "print((a), ((b)), (a)(b), [(c)])\nx = (yield)\ny = a.b.c(d)(e)[f]\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
    "class A: x = 1; y = 2\nif a: b; c\nwhile 0: pass\n",
    # names bound and attributes stored deep inside expressions (build_context finds them)
    "@dec(setattr(m, 'a', 1), [(b := 2)])\ndef f(p=(q := 1), *, r: (s := int) = 0) -> (t := 1):\n"
    "    g(setattr(m, 'parameters', []), (n := 1), *[(u := 1)], **{'k': (v := 2)})\n"
    "    d[(k := 2)] = x.y[(w := 3)] = 1\n    for i in (z := [1]):\n        pass\n"
    "    return {(j := 3): 1}, lambda e=(o := 1): (yield)\n"
    "class C(Base, metaclass=(mm := M)):\n    params = [z for z in y]\n    @property\n"
    "    def weights(self): ...\n",
]
# what ``parts`` leaves out
TRIVIA = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline,
          cst.Comment, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
          cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Comma,
          cst.Semicolon, cst.AssignEqual, cst.Dot, cst.Colon)


class _FieldOrder(cst.CSTVisitor):
    """The fields libcst's own traversal visits for one node, in its order."""

    def __init__(self, node):
        self.node, self.fields = node, []

    def on_visit(self, node) -> bool:
        return node is self.node

    def on_visit_attribute(self, node, attribute) -> None:
        if node is self.node and attribute not in self.fields:
            self.fields.append(attribute)


def _check_tree(module: cst.Module) -> int:
    count = 0
    pre_order: list = []
    stack = [module]
    while stack:
        node = stack.pop()
        expected = node.children
        got = walk.children(node)
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), (
            type(node).__name__, [type(c).__name__ for c in expected],
            [type(c).__name__ for c in got])
        got_parts = walk.parts(node)
        want_parts = [c for c in expected if not isinstance(c, TRIVIA)]
        assert len(got_parts) == len(want_parts) and all(
            a is b for a, b in zip(got_parts, want_parts)), type(node).__name__
        # the field order itself, also where a field is empty here
        order = _FieldOrder(node)
        node.visit(order)
        ours = [f for f in walk.CHILD_FIELDS[type(node)] if f in order.fields]
        assert ours == order.fields, (type(node).__name__, order.fields, ours)
        if not isinstance(node, TRIVIA):
            pre_order.append(node)
            stack.extend(reversed(want_parts))
        count += 1
    got_walk = list(walk.walk(module))
    assert len(got_walk) == len(pre_order) and all(a is b for a, b in zip(got_walk, pre_order))
    return count


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_snippets(text):
    _check_tree(cst.parse_module(text))


def test_every_fixture_test_file_and_pglint_module():
    nodes = 0
    for path in SOURCES:
        try:
            module = cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError:
            continue  # fuzz regressions libcst cannot parse
        nodes += _check_tree(module)
    assert len(SOURCES) > 200 and nodes > 100_000


def _libcst_visit_orders() -> dict[str, list[str]]:
    """Per class, the fields its ``_visit_and_replace_children`` visits, read off libcst's
    source (covers node types that appear in no file here)."""
    orders = {}
    for path in sorted(Path(libcst._nodes.__file__).parent.glob("*.py")):
        for cls in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "_visit_and_replace_children":
                    calls = sorted((n for n in ast.walk(fn) if isinstance(n, ast.Call)
                                    and isinstance(n.func, ast.Name)
                                    and n.func.id.startswith("visit_")),
                                   key=lambda c: (c.lineno, c.col_offset))
                    orders[cls.name] = list(dict.fromkeys(c.args[1].value for c in calls))
    return orders


def test_field_order_of_every_libcst_node_type():
    orders = _libcst_visit_orders()
    classes = [c for c in vars(cst).values() if isinstance(c, type)
               and issubclass(c, cst.CSTNode) and not inspect.isabstract(c)]
    assert len(classes) > 150
    for c in classes:
        impl = next(k.__name__ for k in c.__mro__ if "_visit_and_replace_children" in vars(k))
        if impl in ("BaseLeaf",):
            assert not orders.get(impl), c
            continue
        visited = orders[impl]
        ours = walk.CHILD_FIELDS[c]
        assert [f for f in ours if f in visited] == visited, (c.__name__, visited, ours)
        # a field read but never visited by libcst holds no node (a str, a bool)
        hints = typing.get_type_hints(c)
        for f in dataclasses.fields(c):
            if f.name in ours and f.name not in visited:
                assert not _may_hold_node(hints[f.name]), (c.__name__, f.name)


def _may_hold_node(tp) -> bool:
    if isinstance(tp, type):
        return issubclass(tp, cst.CSTNode)
    return any(_may_hold_node(a) for a in typing.get_args(tp))


def test_walk_skips_below_a_node_enter_refuses():
    module = cst.parse_module("def f(a):\n    x = g(a)\ny = h(b)\n")
    names = [n.value for n in walk.walk(module, enter=lambda n: not isinstance(n, cst.FunctionDef))
             if isinstance(n, cst.Name)]
    assert names == ["y", "h", "b"]


class _ThroughVisitor(cst.CSTVisitor):
    """build_context's handlers driven by libcst's own traversal instead of walk.py."""

    def __init__(self, collector):
        self.collector, self.leaving = collector, []

    def on_visit(self, node) -> bool:
        handler = self.collector.enter.get(type(node))
        self.leaving.append(handler(node) if handler is not None else None)
        return True

    def on_leave(self, node) -> None:
        leave = self.leaving.pop()
        if leave is not None:
            leave(node)


def _context_through_visitor(module):
    ctx = context.FileContext(module)
    module.visit(_ThroughVisitor(context._Collector(ctx)))
    context._find_optimizer_classes(ctx)
    return ctx


def test_file_context_equals_one_built_through_libcsts_traversal():
    fields = [f.name for f in dataclasses.fields(context.FileContext) if f.name != "module"]
    checked = 0
    for text in [*TRICKY, *(p.read_bytes() for p in SOURCES)]:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        got, want = context.build_context(module), _context_through_visitor(module)
        for name in fields:
            a, b = getattr(got, name), getattr(want, name)
            assert (list(a.items()) if isinstance(a, dict) else a) == \
                (list(b.items()) if isinstance(b, dict) else b), name
        checked += bool(want.scopes)
    assert checked > 100
