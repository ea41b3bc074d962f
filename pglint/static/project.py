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
is read once per run, and an edited module is read again; with the result cache on they
are also stored in the project's ``.pglint_cache/`` under the same key, so the next run
(a pre-commit run on the one file that changed) reads them back instead of parsing and
interpreting the helpers again.  A checked file's cached result records the modules its
check read (``DEPENDS``) and is re-checked when one of them changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pglint.config import find_root

_MAX_BYTES = 1 << 20  # a module larger than this is not summarised
_MEMO: dict[tuple, dict] = {}  # (path, size, mtime_ns) -> {function name: Summary | None}
# (path, size, mtime_ns) of every module the current file's check read (the result cache
# keeps a result only while they are unchanged); reset by the engine for each file
DEPENDS: list = []


class _NotLiteral:
    """A group value that is no literal (it may depend on the call)."""

    def __repr__(self) -> str:
        return "NOT_LITERAL"

    def __reduce__(self):  # pickled by name: the one instance comes back
        return "NOT_LITERAL"


NOT_LITERAL: Any = _NotLiteral()
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
        if level:  # one dot: this package; two: its parent...
            if level - 2 >= len(here.parents):
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
    wanted, so a function whose text spells no group key is not read."""
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
        functions = _MEMO[key] = _stored(key)
    if name not in functions:
        if for_returns:
            gate = functions.get("?" + name)
            if gate is None:
                gate = functions["?" + name] = _may_build_groups(key, name)
                _store(key, functions)
            if not gate:
                return None
        if (key, name) in _ACTIVE:
            return None  # modules that import each other: no summary inside the cycle
        if "" not in functions:
            functions[""] = _context(path, st.st_size)
        _ACTIVE.add((key, name))
        try:
            functions[name] = _summarise(functions[""], name)
        finally:
            _ACTIVE.discard((key, name))
        _store(key, functions)
    return functions[name]


_ACTIVE: set = set()

# The result cache is on (cache.py sets this for a run, and worker processes inherit it):
# summaries are kept in the project's ``.pglint_cache/`` too, one entry per module and
# its size and mtime, so a pre-commit run on one file does not interpret its imported
# helpers again while they are unchanged.
STORE = False


def _entry(key: tuple):
    from pglint.cache import Cache

    path = Path(key[0])
    root = find_root(path.parent) or path.parent
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    return Cache(root), "summaries-" + digest


def _stored(key: tuple) -> dict:
    if not STORE:
        return {}
    try:
        cache, name = _entry(key)
        functions = cache.load_index(name)
    except Exception:  # unreadable, or from another pglint: a miss
        return {}
    return {k: v for k, v in functions.items() if isinstance(k, str) and k and (
        isinstance(v, bool) if k[0] == "?" else v is None or isinstance(v, Summary))}


def _store(key: tuple, functions: dict) -> None:
    if STORE:
        with contextlib.suppress(Exception):
            cache, name = _entry(key)
            cache.save_index({k: v for k, v in functions.items() if k}, name)


_MAX_BUILDER_LINES = 120
_COLUMN_0 = re.compile(rb"^[^\s#)]", re.MULTILINE)
# a group key as group builders spell it: {"params": ...}, g["params"], dict(params=...)
_GROUP_KEY = re.compile(rb"""['"]params['"]\s*[:\]]|\bdict\((?:[^()]|\([^()]*\))*?\bparams\s*=""")


def _may_build_groups(key: tuple, name: str) -> bool:
    """The module defines ``name`` at its top level, in at most ``_MAX_BUILDER_LINES``
    lines, and the function's text spells a group key.  Its text runs from ``def name(``
    to the next line that starts in column 0 (a shorter span, cut by a column-0 comment or
    string, can only leave it out).  Memoised with the module's summaries (key "?name")."""
    try:
        data = Path(key[0]).read_bytes() if key[1] <= _MAX_BYTES else b""
    except OSError:
        return False
    m = re.search(rb"^(?:async\s+)?def\s+" + re.escape(name.encode()) + rb"\s*\(", data,
                  re.MULTILINE)
    if m is None:
        return False
    end = _COLUMN_0.search(data, m.end())
    stop = end.start() if end else len(data)
    # a long function (an optimizer factory with every option) costs more to interpret
    # than its groups are worth to a pre-commit run: only builders of a screenful or two
    return data.count(b"\n", m.end(), stop) <= _MAX_BUILDER_LINES \
        and _GROUP_KEY.search(data, m.end(), stop) is not None


def _context(path: Path, size: int):
    if size > _MAX_BYTES:
        return None
    import libcst as cst

    from pglint.static.context import build_context

    try:
        module = cst.parse_module(path.read_bytes().decode("utf-8"))
        ctx = build_context(module)
    except Exception:  # a module that does not parse has no summary
        return None
    ctx.path = str(path)
    ctx.summarised = True  # interpreted only for summaries (see interpreter.project_call)
    return ctx


def _summarise(ctx, name: str) -> Summary | None:
    if ctx is None:
        return None
    fn = ctx.functions.get(name)
    if fn is None or fn in ctx.generator_functions:
        return None
    import libcst as cst

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
    group dicts nor a group dict.  Plain data (lines, literal values): it is stored."""
    from pglint.static.values import Const, GroupDict, ListObj

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
        shapes = tuple(
            GroupShape(tuple((k, e.value.value if isinstance(e.value, Const) else NOT_LITERAL,
                              lines[e.key_node].start.line)
                             for k, e in d.keys.items() if k != KWARGS),
                       lines[d.node].start.line, d.open, d.template, KWARGS in d.keys)
            if isinstance(d, GroupDict) else None for d in elements)
    except KeyError:  # a node of another module: not a group this function builds
        return None
    return Returned(shapes, open_, single, ctx.path)


def _lines(ctx):
    """The module's node positions, computed once (only a module that returns groups needs
    them, and the stored summary keeps the lines)."""
    if getattr(ctx, "positions", None) is None:
        from pglint.static.positions import resolve

        try:
            ctx.positions = resolve(ctx.module)
        except Exception:
            return None
    return ctx.positions
