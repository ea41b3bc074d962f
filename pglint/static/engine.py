"""The static engine: read, pre-filter, parse once, interpret once, run every rule.

Per file: a text pre-filter skips files that cannot build an optimizer; the rest are
parsed once with libcst (positions are resolved, in one pass, only when a file has
findings: ``positions``), interpreted once by the shared dataflow layer, and
handed to every rule.  Many files are checked in parallel processes.
"""

from __future__ import annotations

import os
import re
import tokenize
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO

import libcst as cst

from pglint import codes
from pglint.finding import Edit, Finding
from pglint.static.context import build_context
from pglint.static.dataflow import analyze
from pglint.static.filters import code as node_code
from pglint.static.positions import resolve as resolve_positions
from pglint.static.rules import RuleContext, all_rules

MAX_BYTES = 5_000_000
# a file that mentions none of these cannot build an optimizer or touch parameters
PREFILTER = re.compile(rb"optim|Optim|Adam|SGD|Lion|Lamb|param|require_grad|clip_grad")
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
# file-level suppression (as ruff's own file-level directive): a comment line of its own
_FILE_NOQA = re.compile(r"#\s*pglint:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
                        r"\s*$", re.IGNORECASE)
PARALLEL_MIN_FILES = 24


@dataclass(frozen=True)
class Pending:
    """A PG004 finding that stands only if no project file reads ``key`` as a group key."""

    finding: Finding
    key: str
    cls: str | None


@dataclass
class FileResult:
    path: str
    findings: list = field(default_factory=list)
    pending: list = field(default_factory=list)
    error: str | None = None
    error_at: tuple[int, int] | None = None  # (line, column) of a syntax error


@dataclass(frozen=True)
class Options:
    select: tuple = ("PG",)
    ignore: tuple = ()
    extra_keys: frozenset = frozenset()


def decode(data: bytes) -> str:
    """Decode Python source like the interpreter does (PEP 263 cookie, BOM, utf-8)."""
    if b"\0" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
    except SyntaxError as e:
        raise ValueError(f"cannot detect its encoding: {e}") from e
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise ValueError(f"cannot decode it as {encoding}: {e}") from e
    return text.removeprefix("\ufeff")


def check_file(path: str, options: Options) -> FileResult:
    try:
        size = os.path.getsize(path)
        limit = MAX_BYTES * 10 if path.endswith(".ipynb") else MAX_BYTES  # outputs, images
        if size > limit:
            return FileResult(path, error=f"file is too large to check ({size:,} bytes; "
                                          f"the limit is {limit:,}): exclude it")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return FileResult(path, error=f"cannot read file: {e.strerror or e}")
    return check_bytes(data, path, options)


def check_bytes(data: bytes, path: str, options: Options) -> FileResult:
    if path.endswith(".ipynb"):
        from pglint import notebook

        return notebook.check_bytes(data, path, options)
    if not PREFILTER.search(data):
        return FileResult(path)  # the pre-filter: nothing here can build an optimizer
    try:
        text = decode(data)
    except ValueError as e:
        return FileResult(path, error=str(e))
    return check_source(text, path, options)


def check_source(text: str, path: str, options: Options, line_label=None) -> FileResult:
    """``line_label(line)``, when given, is what rule messages print for a line (a
    notebook's "3 in cell 2")."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        message, at = _syntax_error(text, path, e)
        return FileResult(path, error=message, error_at=at)
    except (RecursionError, MemoryError):
        return FileResult(path, error="file is too deeply nested to parse")
    except Exception as e:  # libcst raises a few other errors on odd input
        return FileResult(path, error=f"cannot parse file: {e}")
    try:
        return _run_rules(module, text, path, options, line_label)
    except RecursionError:
        return FileResult(path, error="file is too deeply nested to analyse")
    except Exception as e:  # never let one file take the run down
        return FileResult(path, error=f"internal error while checking it ({type(e).__name__}: "
                                      f"{e}); please report this with the file")


def _syntax_error(text: str, path: str, e: cst.ParserSyntaxError) -> tuple[str, tuple[int, int]]:
    """Python's own wording and position for the error (only computed on failure)."""
    try:
        compile(text, path, "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
    except SyntaxError as py:
        if py.lineno:
            at = (py.lineno, py.offset or 1)
            return f"syntax error at {at[0]}:{at[1]}: {py.msg}", at
    except (ValueError, RecursionError, MemoryError):
        pass
    at = (e.raw_line, e.raw_column + 1)
    return f"syntax error at {at[0]}:{at[1]}: {e.message}", at


def _run_rules(module: cst.Module, text: str, path: str, options: Options,
               line_label=None) -> FileResult:
    ctx = build_context(module)
    ctx.path = path  # helpers imported from the project are found from here (project.py)
    facts = analyze(ctx)
    positions = None
    line_starts: list[int] = []

    def pos(node):
        nonlocal positions
        if positions is None:
            positions = resolve_positions(module)
        return positions[node]

    def offsets(node):
        if not line_starts:
            acc = 0
            for ln in text.splitlines(keepends=True):
                line_starts.append(acc)
                acc += len(ln)
            line_starts.append(acc)
        r = pos(node)
        return (line_starts[r.start.line - 1] + r.start.column,
                line_starts[r.end.line - 1] + r.end.column)

    def edit(node, new_text: str) -> Edit:
        start, end = offsets(node)
        r = pos(node)
        return Edit(start, end, new_text, r.start.line, r.start.column + 1, r.end.line,
                    r.end.column + 1)

    label = line_label or (lambda line: line)
    rc = RuleContext(line=lambda n: label(pos(n).start.line), code=node_code, edit=edit,
                     extra_keys=options.extra_keys)
    result = FileResult(path)
    noqa = None
    for rule in all_rules():
        if not codes.selected(rule.CODE, options.select, options.ignore):
            continue
        for rep in rule.check(facts, rc):
            r = pos(rep.node)
            if noqa is None:
                noqa = _noqa_lines(text)
            if _suppressed(noqa, r.start.line, rep.code):
                continue
            f = Finding(
                code=rep.code, message=rep.message, severity=rep.severity, help=rep.help,
                filename=path, line=r.start.line, column=r.start.column + 1,
                end_line=r.end.line, end_column=r.end.column + 1, fix=rep.fix,
            )
            if rep.unless_read is not None:
                result.pending.append(Pending(f, *rep.unless_read))
            else:
                result.findings.append(f)
    return result


def _noqa_codes(m: re.Match) -> set | None:
    c = m.group("codes")
    return None if c is None else {x.upper() for x in re.split(r"[\s,]+", c) if x}


def _noqa_lines(text: str) -> dict:
    """line -> codes silenced on it (None: all); key 0 holds the file-level codes."""
    out: dict = {}
    if "noqa" not in text.lower():
        return out
    for i, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        m = _NOQA.search(line)
        if m is not None:
            out[i] = _noqa_codes(m)
    if "pglint" in text.lower():
        _file_noqa(text, out)
    return out


def _file_noqa(text: str, out: dict) -> None:
    """`# pglint: noqa` / `# pglint: noqa: PG004` on a comment line of its own (a real
    comment token, not text inside a string)."""
    try:
        tokens = list(tokenize.generate_tokens(iter(text.splitlines(keepends=True)).__next__))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return
    for tok in tokens:
        if tok.type != tokenize.COMMENT or tok.line[: tok.start[1]].strip():
            continue
        m = _FILE_NOQA.fullmatch(tok.string)
        if m is None:
            continue
        got = _noqa_codes(m)
        if got is None or out.get(0, set()) is None:
            out[0] = None
        else:
            out[0] = out.get(0, set()) | got


def _suppressed(noqa: dict, line: int, code: str) -> bool:
    return any(key in noqa and (noqa[key] is None or code in noqa[key]) for key in (0, line))


def _check_chunk(args) -> list:
    paths, options = args
    return [check_file(p, options) for p in paths]


def check_files(paths: list[str], options: Options, jobs: int | None = None) -> list:
    """Check files, in parallel processes when there are many; results in input order."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < PARALLEL_MIN_FILES:
        return [check_file(p, options) for p in paths]
    n = min(jobs, (len(paths) + PARALLEL_MIN_FILES // 2 - 1) // (PARALLEL_MIN_FILES // 2))
    chunks = [paths[i::n * 4] for i in range(n * 4)]
    by_path = {}
    with ProcessPoolExecutor(max_workers=n) as pool:
        for results in pool.map(_check_chunk, [(c, options) for c in chunks if c]):
            for r in results:
                by_path[r.path] = r
    return [by_path[p] for p in paths]


def resolve_pending(results: Iterable[FileResult], is_read) -> None:
    """Keep a PG004 finding only when its key is not read as a group key anywhere."""
    for r in results:
        for p in r.pending:
            if not is_read(p.key, p.finding.filename, p.cls):
                r.findings.append(p.finding)
        r.pending = []
