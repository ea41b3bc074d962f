"""The static engine: read, pre-filter, parse once, interpret once, run every rule.

Per file: a text pre-filter skips files that cannot build an optimizer; the rest are
parsed once with libcst, wrapped once in a MetadataWrapper (positions are resolved
only when a file has findings), interpreted once by the shared dataflow layer, and
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
from libcst.metadata import MetadataWrapper, PositionProvider

from pglint import codes
from pglint.finding import Edit, Finding
from pglint.static.context import build_context
from pglint.static.dataflow import analyze
from pglint.static.filters import code as node_code
from pglint.static.rules import RuleContext, all_rules

MAX_BYTES = 5_000_000
# a file that mentions none of these cannot build an optimizer or touch parameters
PREFILTER = re.compile(rb"optim|Optim|Adam|SGD|Lion|Lamb|param|require_grad|clip_grad")
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
PARALLEL_MIN_FILES = 24
_LINE_END = re.compile(r"\r\n|\r|\n")


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
        module = _parse_without_indent_form_feeds(text)
        if module is None:
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


_INDENT_FORM_FEED = re.compile(r"^[ \t\x0c]*\x0c", re.MULTILINE)


def _parse_without_indent_form_feeds(text: str) -> cst.Module | None:
    """libcst refuses a form feed in a nested block's indentation, which Python accepts
    (the tokenizer restarts the column count at it): parse the text without the leading
    whitespace up to each such form feed.  Positions map back to ``text`` as for any
    character libcst drops; a fix is placed only on a node whose text is unchanged."""
    if "\x0c" not in text:
        return None
    stripped = _INDENT_FORM_FEED.sub("", text)
    if stripped == text:
        return None
    try:
        return cst.parse_module(stripped)
    except Exception:
        return None


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
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = build_context(module)
    facts = analyze(ctx)
    positions = None
    line_starts: list[int] = []
    to_text: list = []  # [None] or [map]: where each character of module.code is in text

    def pos(node):
        nonlocal positions
        if positions is None:
            positions = wrapper.resolve(PositionProvider)
        return positions[node]

    def offsets(node):
        # positions are in libcst's regenerated code, which is the text itself except that
        # libcst drops a form feed that starts a statement line (and see
        # _parse_without_indent_form_feeds)
        if not line_starts:
            code = module.code
            to_text.append(None if code == text else _code_to_text(code, text))
            line_starts.append(0)  # lines as Python counts them (not str.splitlines)
            line_starts.extend(m.end() for m in _LINE_END.finditer(code))
            line_starts.append(len(code))
        r = pos(node)
        start = line_starts[r.start.line - 1] + r.start.column
        end = line_starts[r.end.line - 1] + r.end.column
        if to_text[0] is not None:
            m = to_text[0]
            at, to = m[start], (m[end - 1] + 1 if end > start else m[start])
            if at < 0 or to - at != end - start:  # characters dropped inside the node
                return -1, -1
            return at, to
        return start, end

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
                end_line=r.end.line, end_column=r.end.column + 1,
                fix=None if _does_nothing(rep.fix, text) else rep.fix,
            )
            if rep.unless_read is not None:
                result.pending.append(Pending(f, *rep.unless_read))
            else:
                result.findings.append(f)
    return result


def _code_to_text(code: str, text: str) -> list[int]:
    """For each offset in ``code`` (``text`` with some characters dropped), its offset in
    ``text``; one extra entry for the end.  Offsets that cannot be placed are -1."""
    out = []
    i, n = 0, len(text)
    for ch in code:
        while i < n and text[i] != ch:
            i += 1
        if i == n:  # not a subsequence: place nothing (the fixes are then not offered)
            return [-1] * (len(code) + 1)
        out.append(i)
        i += 1
    out.append(n)
    return out


def _does_nothing(fix, text: str) -> bool:
    """A fix whose every edit writes back what is there (a rename that found no spelling
    of the key to rename, e.g. an escaped 'params\\x0c') would report itself applied and
    leave the finding, and one whose edits could not be placed would write anywhere:
    neither is offered."""
    return fix is not None and (
        all(text[e.start:e.end] == e.text for e in fix.edits)
        or any(not 0 <= e.start <= e.end <= len(text) for e in fix.edits))


def _noqa_lines(text: str) -> dict:
    out: dict = {}
    if "noqa" not in text.lower():
        return out
    for i, line in enumerate(_LINE_END.split(text), 1):  # Python's lines, not splitlines'
        if "#" not in line:
            continue
        m = _NOQA.search(line)
        if m is not None:
            c = m.group("codes")
            out[i] = None if c is None else {x.upper() for x in re.split(r"[\s,]+", c) if x}
    return out


def _suppressed(noqa: dict, line: int, code: str) -> bool:
    if line not in noqa:
        return False
    allowed = noqa[line]
    return allowed is None or code in allowed


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
