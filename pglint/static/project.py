"""Functions of the project's other modules, summarised once (PG002 across files).

``from utils import log_params`` then ``log_params(params)``: pglint reads ``utils.py``
(found next to the importing file, else under the project root), interprets
``log_params`` once with each parameter bound to a one-shot iterator, and keeps a summary:
which parameters it iterates to the end on every path, and which it iterates twice.  The
call site then consumes the caller's iterator as the summary says.

Cost: nothing until a call hands a one-shot iterator to a function imported from the
project; then one parse of that module (a pre-commit run on one file reads only modules
it imports, never the whole project).  Summaries live in an in-process memo keyed by the
module's path, size and mtime, so a module imported by many checked files is read once
per run, and an edited module is read again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from pglint.config import find_root

_MAX_BYTES = 1 << 20  # a module larger than this is not summarised
_MEMO: dict[tuple, dict] = {}  # (path, size, mtime_ns) -> {function name: Summary | None}
# (path, size, mtime_ns) of every module the current file's check read (the result cache
# keeps a result only while they are unchanged); reset by the engine for each file
DEPENDS: list = []


@dataclass(frozen=True)
class Summary:
    params: tuple  # positional parameter names, in order
    consumes: frozenset  # names iterated to the end on every path
    twice: frozenset  # names iterated twice


def module_file(importer: str | None, dotted: str) -> Path | None:
    """The project file of module ``dotted``: beside the importing file, else under the
    project root (the nearest pyproject.toml or .git)."""
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


def summary(importer: str | None, qualname: str) -> Summary | None:
    """The summary of ``qualname`` (``utils.get_groups``) if it is a module-level function
    of a project module, else None."""
    mod, _, name = qualname.rpartition(".")
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
    from pglint.static.values import OneShot

    try:
        sub = Interpreter(ctx, Facts(), report=False, helper_stack=(fn,),
                          local_names=ctx.assigned[fn])
        sub.bind_parameters(fn)
        params = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
        probes = {}
        for p in params + [p.name.value for p in fn.params.kwonly_params]:
            probes[p] = OneShot(fn, p)
            sub.bind(p, probes[p])
        sub.reuse_sink = []
        sub.run_block(_block(fn.body))
    except Exception:  # RecursionError, or a shape the interpreter cannot read: no summary
        return None
    consumes = frozenset(p for p, it in probes.items() if it.id in sub.state.consumed) \
        if single_exit(fn) else frozenset()
    twice = frozenset(p for p, it in probes.items()
                      if any(r.it is it for r in sub.reuse_sink))
    return Summary(tuple(params), consumes, twice)
