"""Node positions: what libcst's ``PositionProvider`` gives, at a fifth of its cost.

libcst computes positions by generating the module's code once and recording a
``CodeRange`` of two ``CodePosition`` objects for every node, splitting every token on
newlines as it goes; that is most of a check's time on a file with findings (600 ms of
CPU for a 2,000-line file here).  This runs the same code generation and records, per
node, only two character offsets; a node's line and column are worked out when a rule
asks for them (a few nodes per file).  The offsets follow the same rules as libcst's
provider (syntactic start/end nodes, the first record wins, the dropped final
newline), and
tests/test_positions.py compares the two on every fixture.  Should libcst's internals
change under it, libcst's own provider is used.
"""

from __future__ import annotations

import bisect
import re

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider

_NEWLINE = re.compile(r"\r\n?|\n")  # as libcst's position provider splits lines


def resolve(module: cst.Module):
    """A mapping node -> CodeRange (1-based lines, 0-based columns), as PositionProvider."""
    try:
        return _Positions(module)
    except Exception:  # libcst's code generation changed shape: its own provider
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


class _Positions:
    def __init__(self, module: cst.Module):
        state = _OffsetState(module)
        module._codegen(state)
        self._spans = state.spans
        code = "".join(state.tokens) + state.popped
        self._starts = [0] + [m.end() for m in _NEWLINE.finditer(code)]

    def _position(self, offset: int) -> CodePosition:
        i = bisect.bisect_right(self._starts, offset) - 1
        return CodePosition(i + 1, offset - self._starts[i])

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        start, end = self._spans[node]
        return CodeRange(self._position(start), self._position(end))


class _OffsetState(CodegenState):
    """libcst's code generation, recording each node's (start, end) character offsets."""

    def __init__(self, module: cst.Module):
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.offset = 0
        self.popped = ""  # the file's last newline, dropped from the code but counted
        self.spans: dict = {}
        self._stack: list[int] = []

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        self.offset += sum(len(t) for t in self.indent_tokens)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:  # positions already recorded keep counting it, as in libcst
            self.popped = self.tokens.pop()

    def before_codegen(self, node) -> None:
        self._stack.append(self.offset)

    def after_codegen(self, node) -> None:
        start = self._stack.pop()
        if node not in self.spans:  # a syntactic position recorded inside wins
            self.spans[node] = (start, self.offset)

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``with state.record_syntactic_position(node, start_node=.., end_node=..)``"""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _OffsetState, node, start_node, end_node):
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc) -> bool:
        spans = self.state.spans
        start = spans[self.start_node][0] if self.start_node is not None else self.start
        end = spans[self.end_node][1] if self.end_node is not None else self.state.offset
        spans[self.node] = (start, end)
        return False
