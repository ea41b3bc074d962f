"""What each rule needs to see in a file before it can possibly fire.

A file is decoded and parsed only when it holds what at least one rule needs; every other
file is skipped unread by libcst (and gets no PG000 entry even if it is not valid Python:
unreadable files are reported among those that pass).  The engine asks with every rule,
whatever the selection, so PG000 entries never depend on --select; ``needs(select,
ignore)`` narrows it for callers that want that.

Two stages, both C-speed regular expressions:

1. **bytes**: each need's pattern is searched in the raw bytes, one pattern at a time (one
   alternation of them all loses ``re``'s literal-prefix scan and costs 4x as much).
2. **code**: only when stage 1 matched, comments and string literals (f-strings included)
   are blanked and the need is checked on what is left, the code: ``optim`` in a docstring
   or a comment, or ``parameters`` in a ``"rope_parameters"`` key, no longer counts, and a
   parameter iterator that is consumed where it is made, never bound, cannot be reused
   (PG002).

The table lives here, not in the rule modules, so deciding never imports libcst.
``tests/test_prefilter.py`` keeps it honest: the findings on every fixture are the same
with and without the pre-filter, every optimizer word the analysis knows
(``context._OPT_WORDS``) and every PG010 misspelling is matched, and each stage-2 test is
checked against the analysis on the forms it lets through and the forms it drops;
``benchmarks/bench_static.py --equivalence`` compares whole trees.
``PGLINT_NO_PREFILTER=1`` turns it off (every file is parsed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pglint import codes

# ---------------------------------------------------------------- stage 1: raw bytes
# an optimizer built or extended in the file: torch.optim (any spelling of the import),
# an Optimizer subclass, another package's optimizer class (context._OPT_WORDS), or
# add_param_group on an optimizer built elsewhere; OneCycleLR / CyclicLR (PG008)
_OPT_WORDS = (rb"Adamax|Adam|SGD|Lion|Lamb|LAMB|Lars|LARS|Adafactor|Adagrad|Adadelta|"
              rb"RMSprop|RMSProp|Rprop|Novograd|NovoGrad|Sophia|Shampoo|Prodigy|Muon|Adan|"
              rb"AdaBelief|Ranger|Optimizer")
OPTIMIZER = rb"optim|Optim|" + _OPT_WORDS + rb"|add_param_group|OneCycleLR|CyclicLR"
# a one-shot parameter iterator made in the file: .parameters() / .named_parameters()
PARAMETER_ITERATOR = rb"parameters\s*\("
NAMED_PARAMETERS = rb"named_parameters\s*\("
# a misspelt requires_grad (pg010_requires_grad.MISSPELLINGS) after a dot
MISSPELT_REQUIRES_GRAD = (rb"\.\s*(?:require_grads?|requires_grads|requires_gradient|"
                          rb"requiresgrad|require_gradient|requieres_grad|requires_gard|"
                          rb"reqires_grad)(?!\w)")

# ---------------------------------------------------------------- stage 2: code only
# comments and string literals, blanked before stage 2 (a prefix letter such as the f of
# an f-string is left behind, harmlessly); matched left to right, so a quote inside a
# comment or a # inside a string never starts anything
_NOT_CODE = re.compile(
    rb'#[^\r\n]*'
    rb'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    rb"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    rb'|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"'
    rb"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'", re.S)
_ID = rb"[A-Za-z0-9_]"
# the optimizer words as the analysis resolves them: whole identifier segments (torch.optim,
# from torch import optim), or a class name ending in one of the words
# (context.optimizer_class_for: AdamW8bit, FusedLAMB, ZeroRedundancyOptimizer, DummyOptim);
# the look-behind comes after the literal, so it is tried only where "optim" is (a leading
# look-behind is tried at every byte: 1.4x slower on the benchmark trees, same matches)
_OPT_CODE = re.compile(rb"optim(?<!" + _ID + rb"optim)(?!" + _ID + rb")|(?:Optim|" + _OPT_WORDS
                       + rb")(?![a-z])|add_param_group|OneCycleLR|CyclicLR")
_RECEIVER = rb"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*|\[[-\w\s:]*\])*"  # m, self.enc.layers[-1]
_PARAM_CALL = re.compile(rb"\.\s*(?:named_)?parameters\s*\(")
_EMPTY_CALL = _RECEIVER + rb"\.(?:named_)?parameters\(\s*(?:recurse\s*=\s*\w+\s*)?\)"
# a parameter iterator consumed where it is made and never bound: nothing can use it again
_CONSUMED_ON_THE_SPOT = re.compile(
    rb"\bnext\(\s*(?:iter\(\s*)?" + _EMPTY_CALL  # next(m.parameters()), next(iter(...))
    + rb"|\b(?:list|tuple|dict|set|frozenset|sorted)\(\s*" + _EMPTY_CALL + rb"\s*\)"  # list(...)
    + rb"|\sin\s+" + _EMPTY_CALL + rb"\s*:")  # for p in m.parameters():  /  if p in ...:
# ... or the iterable of a comprehension clause: consumed on the spot when the comprehension
# is a list, set or dict one, or a generator expression that is the direct argument of a
# builtin that runs it at once (sum(p.numel() for p in m.parameters()))
_CLAUSE = re.compile(rb"\bfor\s+[\w\s,()]{1,60}?\s+in\s+" + _EMPTY_CALL
                     + rb"(?=\s*(?:[)\]}]|\bif\b|\bfor\b))")
_RUNS_AT_ONCE = (b"next", b"any", b"all", b"sum", b"max", b"min", b"sorted", b"list", b"tuple",
                 b"set", b"frozenset", b"dict")
_OPENS, _CLOSES = b"([{", b")]}"
_BRACKET_REACH = 4000
_YIELD = re.compile(rb"\byield\b")
# PG011: `for n, p in ....named_parameters()` and a test `n in X` / `n not in X`, X a
# literal list, tuple or set or a bare name (what Interpreter.strings_of can read)
_NAME_TARGET = re.compile(rb"\bfor\s+\(?\s*([A-Za-z_]\w*)\s*,")
_FOR_TARGETS = re.compile(rb"\bfor\s+[^\n:]{0,80}?\s+in\b")
_MEMBERSHIP_LEFT = re.compile(rb"(?<![\w.])\(?\s*([A-Za-z_]\w*)\s*\)?\s+(?:not\s+)?in\s*"
                              rb"(?:[\[({]|[A-Za-z_]\w*(?![\w.(\[]))")


def code_only(data: bytes) -> bytes:
    """``data`` with its comments and string literals removed."""
    return _NOT_CODE.sub(b"", data)


def _builds_an_optimizer(code: bytes) -> bool:
    return _OPT_CODE.search(code) is not None


def _reusable_parameter_iterator(code: bytes) -> bool:
    """PG002: a .parameters() / .named_parameters() call whose result can be used twice
    (bound, passed on, wrapped); or one a generator function of the file can hand out."""
    calls = len(_PARAM_CALL.findall(code))
    if not calls:
        return False
    if _YIELD.search(code) is not None:
        return True
    spent = len(_CONSUMED_ON_THE_SPOT.findall(code))
    spent += sum(1 for m in _CLAUSE.finditer(code) if _comprehension_runs_at_once(code, m.start()))
    return calls > spent


def _open_bracket(code: bytes, pos: int) -> int:
    """Where the innermost bracket still open at ``pos`` opens (-1: none, or not within
    _BRACKET_REACH characters); with strings and comments gone, brackets pair up."""
    depth = 0
    for i in range(pos - 1, max(-1, pos - 1 - _BRACKET_REACH), -1):
        c = code[i]
        if c in _CLOSES:
            depth += 1
        elif c in _OPENS:
            if depth == 0:
                return i
            depth -= 1
    return -1


def _called_name(code: bytes, paren: int) -> bytes:
    """The bare name right before the ``(`` at ``paren`` (b"" when it is not a call of one)."""
    m = re.search(rb"(?<![\w.])([A-Za-z_]\w*)\s*$", code[max(0, paren - 40):paren])
    return m.group(1) if m else b""


def _comprehension_runs_at_once(code: bytes, clause: int) -> bool:
    b = _open_bracket(code, clause)
    if b < 0:
        return False
    if code[b] in b"[{":
        return True  # [... for p in m.parameters()], {...}: a list, set or dict
    if _called_name(code, b) in _RUNS_AT_ONCE:
        return True  # sum(p.numel() for p in m.parameters())
    # next((p.dtype for p in m.parameters()), None): the generator's own parentheses,
    # first argument of the call
    outer = code[:b].rstrip()
    return outer.endswith(b"(") and _called_name(code, len(outer) - 1) in _RUNS_AT_ONCE


def _name_tested_for_membership(code: bytes) -> bool:
    """PG011: a name taken from ``for n, p in ...named_parameters()`` left of ``in``."""
    if not re.search(rb"\.\s*" + NAMED_PARAMETERS, code):
        return False
    names = set(_NAME_TARGET.findall(code))
    if not names:
        return False
    tests = _FOR_TARGETS.sub(b"for in", code)  # a loop's own target is no test
    return any(m in names for m in _MEMBERSHIP_LEFT.findall(tests))


def _misspelt_requires_grad(code: bytes) -> bool:
    return _MISSPELT.search(code) is not None


_MISSPELT = re.compile(MISSPELT_REQUIRES_GRAD)


@dataclass(frozen=True)
class Need:
    """What a file must hold for a rule to possibly fire: ``raw`` in its bytes, then
    ``in_code`` true of its code (comments and strings removed)."""

    name: str
    raw: re.Pattern
    in_code: Callable[[bytes], bool]


OPTIMIZER_BUILT = Need("an optimizer built or extended", re.compile(OPTIMIZER),
                       _builds_an_optimizer)
REUSABLE_ITERATOR = Need("a parameter iterator that can be used twice",
                         re.compile(PARAMETER_ITERATOR), _reusable_parameter_iterator)
NAME_MEMBERSHIP = Need("a named_parameters() name tested with in",
                       re.compile(NAMED_PARAMETERS), _name_tested_for_membership)
MISSPELT = Need("a misspelt requires_grad", _MISSPELT, _misspelt_requires_grad)

#: code -> what a file must hold for that rule to possibly fire
NEEDS: dict[str, Need] = {
    "PG001": OPTIMIZER_BUILT,  # a dict given to an optimizer
    "PG002": REUSABLE_ITERATOR,  # a one-shot parameter iterable used twice
    "PG003": OPTIMIZER_BUILT,
    "PG004": OPTIMIZER_BUILT,
    "PG005": OPTIMIZER_BUILT,
    "PG006": OPTIMIZER_BUILT,  # a set given to an optimizer
    "PG007": OPTIMIZER_BUILT,  # .parameters uncalled, given to an optimizer
    "PG008": OPTIMIZER_BUILT,  # a scheduler of an optimizer built here
    "PG009": OPTIMIZER_BUILT,  # a model changed after an optimizer was built
    "PG010": MISSPELT,
    "PG011": NAME_MEMBERSHIP,  # names from named_parameters() tested against a list
    "PG012": OPTIMIZER_BUILT,  # a group dict built where an optimizer is built
    "PG105": OPTIMIZER_BUILT,  # the same tensor twice in a group given to an optimizer
}


@lru_cache(maxsize=64)
def needs(select: tuple | None = None, ignore: tuple | None = None) -> tuple[Need, ...]:
    """What the selected rules need, each once (empty: no static rule is selected)."""
    out: list[Need] = []
    for code, need in NEEDS.items():
        if codes.selected(code, select, ignore) and need not in out:
            out.append(need)
    return tuple(out)


def disabled() -> bool:
    return os.environ.get("PGLINT_NO_PREFILTER", "").strip() not in ("", "0")


def passes(data: bytes, select: tuple | None = None, ignore: tuple | None = None) -> bool:
    """True when a selected rule may fire on ``data`` (always, when turned off)."""
    if disabled():
        return True
    wanted = needs(tuple(select) if select is not None else None,
                   tuple(ignore) if ignore is not None else None)
    code = None
    for need in wanted:
        if need.raw.search(data) is None:
            continue
        if code is None:
            code = code_only(data)
        if need.in_code(code):
            return True
    return False
