"""Functions of the project's other modules, summarised once.

``from utils import log_params`` then ``log_params(params)``: pglint reads ``utils.py``
(found next to the importing file, else under the project root; ``from .utils import``
relative to the importing file's package), interprets ``log_params`` once with each
parameter bound to a one-shot iterator, and keeps a summary:

- which parameters it iterates to the end on every path, and which it iterates twice
  (the call site consumes the caller's iterator as the summary says: PG002);
- the parameter groups it returns (``from util.lr_decay import param_groups_lrd``): each
  group dict's keys, their literal values and lines, and whether the caller's extra
  keywords flow into it (``{**overrides}``).  The call site gets those groups, so the
  optimizer built from them is checked as if the helper were in the file (PG001, PG004,
  PG005, PG008), each finding reported at the call and naming the helper's line.

Cost: nothing until a call to a function imported from the project hands it a one-shot
iterator, or could return groups (the module's text defines the function and spells a
``params`` key); then one parse of that module (a pre-commit run on one file reads only
modules it imports, never the whole project).  Summaries live in an in-process memo
keyed by the module's path, size and mtime, so a module imported by many checked files
is read once per run, and an edited module is read again.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

from pglint.config import find_root

_MAX_BYTES = 1 << 20  # a module larger than this is not summarised
_MEMO: dict[tuple, dict] = {}  # (path, size, mtime_ns) -> {function name: Summary | None}
# (path, size, mtime_ns) of every module the current file's check read (the result cache
# keeps a result only while they are unchanged); reset by the engine for each file
DEPENDS: list = []


NOT_LITERAL: Any = object()  # a group value that is no literal (it may depend on the call)
KWARGS = "**"  # the key under which the summary run binds the function's ``**kwargs``


@dataclass(frozen=True)
class GroupShape:
    """A group dict the function returns, as far as it holds for every call."""

    keys: tuple  # ((key, literal value or NOT_LITERAL, line), ...)
    line: int  # where the dict is built
    open: bool  # keys may exist that pglint cannot see
    template: bool  # one dict per iteration of a comprehension or loop
    spreads_kwargs: bool  # ``{**kwargs}`` of the function's own ``**kwargs``


@dataclass(frozen=True)
class Returned:
    """The groups a function returns: a list of them, or one group dict (``single``)."""

    groups: tuple  # GroupShape, or None for an element that is no group dict
    open: bool  # a list with elements pglint cannot see
    single: bool
    path: str  # the module's file


@dataclass(frozen=True)
class Summary:
    params: tuple  # positional parameter names, in order
    keywords: frozenset  # every parameter a keyword argument can name
    consumes: frozenset  # names iterated to the end on every path
    twice: frozenset  # names iterated twice
    returns: Returned | None = None  # the groups it returns, if it provably returns groups


def module_file(importer: str | None, dotted: str) -> Path | None:
    """The project file of module ``dotted``: beside the importing file, else under the
    project root (the nearest pyproject.toml or .git); ``.x`` / ``..x`` relative to the
    importing file's package."""
    if not importer or not dotted:
        return None
    key = (os.path.dirname(importer), dotted)
    if key not in _FILES:
        _FILES[key] = _module_file(importer, dotted)
    return _FILES[key]


_FILES: dict = {}


def _module_file(importer: str, dotted: str) -> Path | None:
    try:
        here = Path(importer).resolve().parent
        level = len(dotted) - len(dotted.lstrip("."))
        if level:
            if level - 1 >= len(here.parents) + 1:
                return None
            bases = [here if level == 1 else here.parents[level - 2]]
            dotted = dotted[level:]
        else:
            bases = [here]
            root = find_root(here)
            if root is not None and root != here:
                bases.append(root)
        parts = dotted.split(".")
        for base in bases:
            cand = base.joinpath(*parts)
            for f in (cand.with_suffix(".py"), cand / "__init__.py"):
                if f.is_file():
                    return f
    except (OSError, ValueError):
        return None
    return None


def summary(importer: str | None, qualname: str, *, for_returns: bool = False) -> Summary | None:
    """The summary of ``qualname`` (``utils.get_groups``) if it is a module-level function
    of a project module, else None.  ``for_returns``: only the groups it returns are
    wanted, so a module whose text cannot build a group for that function is not parsed."""
    mod, _, name = qualname.rpartition(".")
    if not mod.strip(".") and mod:  # ``from . import f``: f is a module, not a function
        return None
    path = module_file(importer, mod)
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    DEPENDS.append(key)
    functions = _MEMO.get(key)
    if functions is None:
        if for_returns and not _may_build_groups(key, name):
            return None
        functions = _MEMO[key] = {"": _context(path, st.st_size)}
    if name not in functions:
        if (key, name) in _ACTIVE:
            return None  # modules that import each other: no summary inside the cycle
        _ACTIVE.add((key, name))
        try:
            functions[name] = _summarise(functions[""], name)
        finally:
            _ACTIVE.discard((key, name))
    return functions[name]


_ACTIVE: set = set()


_GROUP_KEY = re.compile(rb"""['"]params['"]|\bparams\s*=(?!=)""")
_GATES: dict = {}  # (path, size, mtime_ns, name) -> may the text build a group in ``name``


def _may_build_groups(key: tuple, name: str) -> bool:
    """The module defines ``name`` and spells a ``params`` group key somewhere."""
    gate = (*key, name)
    if gate not in _GATES:
        try:
            data = Path(key[0]).read_bytes() if key[1] <= _MAX_BYTES else b""
        except OSError:
            data = b""
        _GATES[gate] = (re.search(rb"\bdef\s+" + re.escape(name.encode()) + rb"\s*\(", data)
                        is not None and _GROUP_KEY.search(data) is not None)
    return _GATES[gate]


def _context(path: Path, size: int):
    if size > _MAX_BYTES:
        return None
    from pglint.static.context import build_context

    try:
        module = cst.parse_module(path.read_bytes().decode("utf-8"))
        ctx = build_context(module)
    except Exception:  # a module that does not parse has no summary
        return None
    ctx.path = str(path)
    return ctx


def _summarise(ctx, name: str) -> Summary | None:
    if ctx is None:
        return None
    fn = ctx.functions.get(name)
    if fn is None or fn in ctx.generator_functions:
        return None
    from pglint.static.classes import single_exit
    from pglint.static.dataflow import Facts, Interpreter, _block
    from pglint.static.values import GroupDict, KeyEntry, OneShot

    try:
        sub = Interpreter(ctx, Facts(), report=False, helper_stack=(fn,),
                          local_names=ctx.assigned[fn])
        sub.bind_parameters(fn)
        params = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
        probes = {}
        for p in params + [p.name.value for p in fn.params.kwonly_params]:
            probes[p] = OneShot(fn, p)
            sub.bind(p, probes[p])
        kw = fn.params.star_kwarg
        if isinstance(kw, cst.Param):  # marks the dicts the caller's keywords flow into
            sub.bind(kw.name.value, GroupDict(kw, {KWARGS: KeyEntry(kw, kw, None)}))
        sub.reuse_sink = []
        sub.run_block(_block(fn.body))
        returns = _returned(ctx, sub.returns[0]) if len(sub.returns) == 1 else None
    except Exception:  # RecursionError, or a shape the interpreter cannot read: no summary
        return None
    consumes = frozenset(p for p, it in probes.items() if it.id in sub.state.consumed) \
        if single_exit(fn) else frozenset()
    twice = frozenset(p for p, it in probes.items()
                      if any(r.it is it for r in sub.reuse_sink))
    keywords = frozenset(probes) - {p.name.value for p in fn.params.posonly_params}
    return Summary(tuple(params), keywords, consumes, twice, returns)


def _returned(ctx, value) -> Returned | None:
    """The groups of a function's one returned value, or None when it is no list of
    group dicts nor a group dict."""
    from pglint.static.values import GroupDict, ListObj

    if isinstance(value, GroupDict):
        elements, open_, single = [value], False, True
    elif isinstance(value, ListObj) and any(isinstance(e, GroupDict) for e in value.elements):
        elements, open_, single = value.elements, value.open, False
    else:
        return None
    lines = _lines(ctx)
    if lines is None:
        return None
    try:
        return Returned(tuple(_shape(d, lines) for d in elements), open_, single, ctx.path)
    except KeyError:  # a node of another module: not a group this function builds
        return None


def _shape(d, lines) -> GroupShape | None:
    from pglint.static.values import Const, GroupDict

    if not isinstance(d, GroupDict):
        return None
    keys = tuple((k, e.value.value if isinstance(e.value, Const) else NOT_LITERAL,
                  lines[e.key_node].start.line)
                 for k, e in d.keys.items() if k != KWARGS)
    return GroupShape(keys, lines[d.node].start.line, d.open, d.template, KWARGS in d.keys)


def _lines(ctx):
    """The module's node positions, computed once (only a module that returns groups
    needs them)."""
    if getattr(ctx, "positions", None) is None:
        from pglint.static.positions import resolve

        try:
            ctx.positions = resolve(ctx.module)
        except Exception:
            return None
    return ctx.positions
