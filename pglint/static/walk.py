"""Children of libcst nodes by reading their fields, without libcst's visitor machinery.

libcst's ``node.children`` and every ``CSTVisitor`` pass go through
``_visit_and_replace_children``, which builds a new node for every node visited: a plain
traversal costs about as much as the parse.  Here a node's children are read from its
fields directly.  ``children(node)`` gives exactly what ``node.children`` gives (the same
objects, in source order); ``parts(node)`` the same less the whitespace and punctuation
(parentheses, commas, colons, ``=``, blank lines, comments) that no analysis reads.

A node's fields are read in dataclass order unless the type is listed in ``_ORDER``: the
types whose fields libcst visits (in source order) in an order of their own, read off
each type's ``_visit_and_replace_children``.  tests/test_walk.py checks the table against
that code for every libcst node type and against ``.children`` on every node of the
fixtures and test data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

_ORDER: dict[str, tuple[str, ...]] = {  # by class name: not every libcst has every class
    "AnnAssign": ("target", "annotation", "equal", "value", "semicolon"),
    "Annotation": ("whitespace_before_indicator", "whitespace_after_indicator", "annotation"),
    "Arg": (
        "whitespace_after_star", "keyword", "equal", "value", "comma", "whitespace_after_arg",
    ),
    "AsName": ("whitespace_before_as", "name", "whitespace_after_as"),
    "Assert": ("whitespace_after_assert", "test", "comma", "msg", "semicolon"),
    "Attribute": ("lpar", "value", "dot", "attr", "rpar"),
    "Await": ("lpar", "whitespace_after_await", "expression", "rpar"),
    "BinaryOperation": ("lpar", "left", "operator", "right", "rpar"),
    "BooleanOperation": ("lpar", "left", "operator", "right", "rpar"),
    "Call": ("lpar", "func", "whitespace_after_func", "whitespace_before_args", "args", "rpar"),
    "ClassDef": (
        "leading_lines", "decorators", "lines_after_decorators", "whitespace_after_class", "name",
        "whitespace_after_name", "type_parameters", "whitespace_after_type_parameters", "lpar",
        "bases", "keywords", "rpar", "whitespace_before_colon", "body",
    ),
    "CompFor": (
        "whitespace_before", "asynchronous", "whitespace_after_for", "target",
        "whitespace_before_in", "whitespace_after_in", "iter", "ifs", "inner_for_in",
    ),
    "CompIf": ("whitespace_before", "whitespace_before_test", "test"),
    "Comparison": ("lpar", "left", "comparisons", "rpar"),
    "ConcatenatedString": ("lpar", "left", "whitespace_between", "right", "rpar"),
    "Decorator": ("leading_lines", "whitespace_after_at", "decorator", "trailing_whitespace"),
    "Dict": ("lpar", "lbrace", "elements", "rbrace", "rpar"),
    "DictComp": (
        "lpar", "lbrace", "key", "whitespace_before_colon", "whitespace_after_colon", "value",
        "for_in", "rbrace", "rpar",
    ),
    "DictElement": (
        "key", "whitespace_before_colon", "whitespace_after_colon", "value", "comma",
    ),
    "Else": ("leading_lines", "whitespace_before_colon", "body"),
    "ExceptHandler": (
        "leading_lines", "whitespace_after_except", "type", "name", "whitespace_before_colon",
        "body",
    ),
    "ExceptStarHandler": (
        "leading_lines", "whitespace_after_except", "whitespace_after_star", "type", "name",
        "whitespace_before_colon", "body",
    ),
    "Finally": ("leading_lines", "whitespace_before_colon", "body"),
    "For": (
        "leading_lines", "asynchronous", "whitespace_after_for", "target", "whitespace_before_in",
        "whitespace_after_in", "iter", "whitespace_before_colon", "body", "orelse",
    ),
    "FormattedString": ("lpar", "parts", "rpar"),
    "FormattedStringExpression": (
        "whitespace_before_expression", "expression", "equal", "whitespace_after_expression",
        "format_spec",
    ),
    "From": ("whitespace_before_from", "whitespace_after_from", "item"),
    "FunctionDef": (
        "leading_lines", "decorators", "lines_after_decorators", "asynchronous",
        "whitespace_after_def", "name", "whitespace_after_name", "type_parameters",
        "whitespace_after_type_parameters", "whitespace_before_params", "params", "returns",
        "whitespace_before_colon", "body",
    ),
    "GeneratorExp": ("lpar", "elt", "for_in", "rpar"),
    "Global": ("whitespace_after_global", "names", "semicolon"),
    "If": (
        "leading_lines", "whitespace_before_test", "test", "whitespace_after_test", "body",
        "orelse",
    ),
    "IfExp": (
        "lpar", "body", "whitespace_before_if", "whitespace_after_if", "test",
        "whitespace_before_else", "whitespace_after_else", "orelse", "rpar",
    ),
    "Import": ("whitespace_after_import", "names", "semicolon"),
    "ImportFrom": (
        "whitespace_after_from", "relative", "module", "whitespace_before_import",
        "whitespace_after_import", "lpar", "names", "rpar", "semicolon",
    ),
    "IndentedBlock": ("header", "body", "footer"),
    "Index": ("whitespace_after_star", "value"),
    "Lambda": ("lpar", "whitespace_after_lambda", "params", "colon", "body", "rpar"),
    "LazyImport": ("whitespace_after_lazy", "whitespace_after_import", "names", "semicolon"),
    "LazyImportFrom": (
        "whitespace_after_lazy", "whitespace_after_from", "relative", "module",
        "whitespace_before_import", "whitespace_after_import", "lpar", "names", "rpar",
        "semicolon",
    ),
    "List": ("lpar", "lbracket", "elements", "rbracket", "rpar"),
    "ListComp": ("lpar", "lbracket", "elt", "for_in", "rbracket", "rpar"),
    "Match": (
        "leading_lines", "whitespace_after_match", "subject", "whitespace_before_colon",
        "whitespace_after_colon", "cases", "footer",
    ),
    "MatchAs": (
        "lpar", "pattern", "whitespace_before_as", "whitespace_after_as", "name", "rpar",
    ),
    "MatchCase": (
        "leading_lines", "whitespace_after_case", "pattern", "whitespace_before_if",
        "whitespace_after_if", "guard", "whitespace_before_colon", "body",
    ),
    "MatchClass": (
        "lpar", "cls", "whitespace_after_cls", "whitespace_before_patterns", "patterns", "kwds",
        "whitespace_after_kwds", "rpar",
    ),
    "MatchKeywordElement": (
        "key", "whitespace_before_equal", "whitespace_after_equal", "pattern", "comma",
    ),
    "MatchList": ("lpar", "lbracket", "patterns", "rbracket", "rpar"),
    "MatchMapping": (
        "lpar", "lbrace", "elements", "whitespace_before_rest", "rest", "trailing_comma",
        "rbrace", "rpar",
    ),
    "MatchMappingElement": (
        "key", "whitespace_before_colon", "whitespace_after_colon", "pattern", "comma",
    ),
    "MatchOr": ("lpar", "patterns", "rpar"),
    "MatchStar": ("whitespace_before_name", "name", "comma"),
    "MatchTuple": ("lpar", "patterns", "rpar"),
    "Module": ("header", "body", "footer"),
    "NamedExpr": (
        "lpar", "target", "whitespace_before_walrus", "whitespace_after_walrus", "value", "rpar",
    ),
    "Nonlocal": ("whitespace_after_nonlocal", "names", "semicolon"),
    "Param": (
        "whitespace_after_star", "name", "annotation", "equal", "default", "comma",
        "whitespace_after_param",
    ),
    "Parameters": (
        "posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg",
    ),
    "Raise": ("whitespace_after_raise", "exc", "cause", "semicolon"),
    "Return": ("whitespace_after_return", "value", "semicolon"),
    "Set": ("lpar", "lbrace", "elements", "rbrace", "rpar"),
    "SetComp": ("lpar", "lbrace", "elt", "for_in", "rbrace", "rpar"),
    "SimpleStatementLine": ("leading_lines", "body", "trailing_whitespace"),
    "SimpleStatementSuite": ("leading_whitespace", "body", "trailing_whitespace"),
    "Slice": ("lower", "first_colon", "upper", "second_colon", "step"),
    "StarredDictComp": (
        "lpar", "lbrace", "whitespace_before_value", "value", "for_in", "rbrace", "rpar",
    ),
    "StarredDictElement": ("whitespace_before_value", "value", "comma"),
    "StarredElement": ("lpar", "whitespace_before_value", "value", "rpar", "comma"),
    "Subscript": (
        "lpar", "value", "whitespace_after_value", "lbracket", "slice", "rbracket", "rpar",
    ),
    "TemplatedString": ("lpar", "parts", "rpar"),
    "TemplatedStringExpression": (
        "whitespace_before_expression", "expression", "equal", "whitespace_after_expression",
        "format_spec",
    ),
    "Try": (
        "leading_lines", "whitespace_before_colon", "body", "handlers", "orelse", "finalbody",
    ),
    "TryStar": (
        "leading_lines", "whitespace_before_colon", "body", "handlers", "orelse", "finalbody",
    ),
    "Tuple": ("lpar", "elements", "rpar"),
    "TypeAlias": (
        "whitespace_after_type", "name", "whitespace_after_name", "type_parameters",
        "whitespace_after_type_parameters", "whitespace_after_equals", "value", "semicolon",
    ),
    "TypeParam": ("param", "equal", "whitespace_after_star", "default", "comma"),
    "TypeParameters": ("lbracket", "params", "rbracket"),
    "TypeVar": ("name", "colon", "bound"),
    "UnaryOperation": ("lpar", "operator", "expression", "rpar"),
    "While": (
        "leading_lines", "whitespace_after_while", "test", "whitespace_before_colon", "body",
        "orelse",
    ),
    "With": (
        "leading_lines", "asynchronous", "whitespace_after_with", "lpar", "items", "rpar",
        "whitespace_before_colon", "body",
    ),
    "Yield": ("lpar", "whitespace_after_yield", "value", "rpar"),
}

# fields holding only whitespace or punctuation (``relative``: an import's leading dots)
_TRIVIA_FIELDS = frozenset({
    "relative", "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma",
    "trailing_comma", "semicolon", "equal", "dot", "colon", "first_colon", "second_colon",
    "header", "footer", "leading_lines", "lines_after_decorators", "leading_whitespace",
    "trailing_whitespace",
})


def _field_names(t: type) -> tuple[str, ...]:
    fields = tuple(f.name for f in dataclasses.fields(t))
    order = _ORDER.get(t.__name__)
    if order is None:
        return fields
    # the fields libcst does not visit hold no node (``read`` skips them); another libcst
    # than the one the table was read from may lack a field or have more
    return (*(n for n in order if n in fields), *(n for n in fields if n not in order))


class _Fields(dict):
    """type -> the names of its fields that may hold child nodes, in source order."""

    def __init__(self, keep: Callable[[str], bool]):
        super().__init__()
        self.keep = keep

    def __missing__(self, t: type) -> tuple[str, ...]:
        names = self[t] = tuple(n for n in _field_names(t) if self.keep(n))
        return names


CHILD_FIELDS = _Fields(lambda name: True)
PART_FIELDS = _Fields(lambda name: name not in _TRIVIA_FIELDS and not name.startswith("whitespace"))


class _IsNode(dict):
    """class -> is it a CSTNode (``isinstance`` on libcst's abstract classes is slow)."""

    def __missing__(self, c: type) -> bool:
        got = self[c] = issubclass(c, cst.CSTNode)
        return got


_IS_NODE = _IsNode()


def read(node: cst.CSTNode, names: tuple[str, ...]) -> list:
    """The nodes held by ``node``'s fields ``names`` (sequences flattened), in order."""
    out: list = []
    for name in names:
        v = getattr(node, name)
        c = v.__class__
        if c is tuple or c is list:
            out.extend(v)
        elif _IS_NODE[c]:
            out.append(v)
    return out


def children(node: cst.CSTNode) -> list:
    """``node.children``: the same nodes in the same (source) order, without rebuilding."""
    return read(node, CHILD_FIELDS[node.__class__])


def parts(node: cst.CSTNode) -> list:
    """``children(node)`` less whitespace and punctuation nodes (parentheses, commas,
    colons, ``=``, dots, brackets, blank lines and comments)."""
    return read(node, PART_FIELDS[node.__class__])


def walk(node: cst.CSTNode, enter: Callable[[cst.CSTNode], bool] | None = None
         ) -> Iterator[cst.CSTNode]:
    """``node`` and every node under it through ``parts``, in source (pre-)order.  With
    ``enter``, the nodes under a node for which ``enter(node)`` is false are skipped (the
    node itself is still yielded)."""
    stack = [node]
    pop, extend, fields = stack.pop, stack.extend, PART_FIELDS
    while stack:
        n = pop()
        yield n
        if enter is not None and not enter(n):
            continue
        below = read(n, fields[n.__class__])
        if below:
            below.reverse()
            extend(below)
