"""The static engine: read, pre-filter, parse once, interpret once, run every rule.

Per file: a text pre-filter skips files that cannot build an optimizer; the rest are
parsed once with libcst (positions are resolved, in one pass, only when a file has
findings: ``positions``), interpreted once by the shared dataflow layer, and
handed to every rule.  Many files are checked in parallel processes.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import tempfile
import threading
import time
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from pglint import codes
from pglint.finding import Edit, Finding
from pglint.static import prefilter
from pglint.static.lines import line_starts, split_lines

if TYPE_CHECKING:
    import libcst as cst

# libcst, the analysis and the process pool are imported when a file first needs them:
# a run whose files all fail the pre-filter (or hit the cache) never loads them

MAX_BYTES = 5_000_000
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
# file-level suppression (as ruff's own file-level directive): a comment line of its own
_FILE_NOQA = re.compile(r"#\s*pglint:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
                        r"\s*$", re.IGNORECASE)
PARALLEL_MIN_FILES = 24
PARALLEL_MIN_BYTES = 400_000  # per worker: about a second of parsing

# Deep syntax: libcst's native parser and its (recursive) visitors run on a thread with a
# big stack and a raised recursion limit, so long chains (`a + a + ...`, `elif` ladders,
# attribute chains) are analysed, not refused.  Files whose bytes look deeper than that
# stack is known to hold (see _suspicious) are parsed in a child process, where a crash
# or a stall cannot take the run down.
STACK_BYTES = 512 * 1024 * 1024
# a child process checks a suspicious file with a modest stack: input deep enough to
# need more is reported at once as a parser crash rather than parsed for minutes
CHILD_STACK_BYTES = 16 * 1024 * 1024
_stack_bytes = STACK_BYTES
RECURSION_LIMIT = 30_000
# per-file budgets: the analysis of one file (in-process) and a whole isolated check
ANALYSIS_BUDGET_S = 20.0
CHILD_BUDGET_S = 20.0
# cheap byte measures of nesting; files over any of them are checked in a child process
MAX_BRACKET_DEPTH = 100
MAX_LINE_BYTES = 2_000
MAX_BRACKET_SPAN = 10_000
MAX_INDENT = 400
MAX_CONTINUATIONS = 2_000
MAX_ELIF = 2_000
PARSER_CRASHED = "could not be parsed (the parser crashed)"


@dataclass(frozen=True)
class Pending:
    """A PG004 finding that stands only if no project file reads ``key`` as a group key."""

    finding: Finding
    key: str
    classes: tuple  # the custom optimizer class and its bases in the file (reads there count)


@dataclass
class FileResult:
    path: str
    findings: list = field(default_factory=list)
    pending: list = field(default_factory=list)
    error: str | None = None
    digest: str | None = None  # sha256 of the bytes checked: --fix edits only those bytes
    error_at: tuple[int, int] | None = None  # (line, column) of a syntax error
    depends: tuple = ()  # (path, size, mtime_ns) of the project modules the check read


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


def max_bytes(path: str) -> int:
    return MAX_BYTES * 10 if path.endswith(".ipynb") else MAX_BYTES  # outputs, images


def needs_check(data: bytes, path: str, options: Options | None = None) -> bool:
    """False when the pre-filter proves no rule can fire in the file (a notebook's code
    is pre-filtered once it is read out of the JSON)."""
    return path.endswith(".ipynb") or passes_prefilter(data, options)


def passes_prefilter(data: bytes, options: Options | None = None) -> bool:
    """The same for every selection: whether a file gets a PG000 entry when it cannot be
    read must not depend on --select (PG000 is never selected away)."""
    return prefilter.passes(data)


def read_source(path: str) -> bytes:
    """The bytes of a regular file; raises OSError (``strerror`` says why) otherwise.

    Never blocks: the type is checked with ``os.stat`` before opening (a FIFO would
    block ``open``), and the file is opened with O_NONBLOCK as a belt.
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise OSError(0, f"not a regular file ({kind}); skipped")
    limit = max_bytes(path)
    if st.st_size > limit:
        raise OSError(0, f"file is too large to check ({st.st_size:,} bytes; "
                         f"the limit is {limit:,}): exclude it")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
            raise OSError(0, "not a regular file; skipped")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)


def check_file(path: str, options: Options, isolate: bool = True,
               before_parse=None) -> FileResult:
    """``before_parse(path)``, when given, is called once the file is read and passes the
    pre-filter: only then can the native parser (or the analysis's stack) kill the
    process."""
    try:
        data = read_source(path)
    except OSError as e:
        why = e.strerror or str(e)
        return FileResult(path, error=why if "skipped" in why or "too large" in why
                          else f"cannot read file: {why}")
    except ValueError as e:  # an unencodable path
        return FileResult(path, error=f"cannot read file: {e}")
    if len(data) > max_bytes(path):
        return FileResult(path, error=f"file is too large to check (it grew over the limit, "
                                      f"{max_bytes(path):,} bytes): exclude it")
    passed = path.endswith(".ipynb") or passes_prefilter(data)
    if passed and before_parse is not None:
        before_parse(path)
    if isolate and passed and _suspicious(data):
        return check_isolated(data, path, options)
    return check_bytes(data, path, options, passed)


def _suspicious(data: bytes) -> str | None:
    """Why ``data`` may nest deeper than the parser's stack holds (None: it cannot).

    Linear, on the bytes (brackets inside strings count too: a false positive only costs
    a child process).  Syntax depth needs either brackets, long lines, backslash
    continuations, elif ladders or indentation; each is bounded here.
    """
    if max(map(len, data.split(b"\n")), default=0) > MAX_LINE_BYTES:
        return "a very long line"
    if data.count(b"\\\n") > MAX_CONTINUATIONS or data.count(b"elif") > MAX_ELIF:
        return "a very long statement"
    if re.search(rb"^[ \t]{%d}" % MAX_INDENT, data, re.M):
        return "very deep indentation"
    depth, opened = 0, 0
    for m in _BRACKETS.finditer(data):
        if m.group() in b"([{":
            if depth == 0:
                opened = m.start()
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                return "deeply nested brackets"
        elif depth:
            depth -= 1
            if depth == 0 and m.start() - opened > MAX_BRACKET_SPAN:
                return "a very long bracketed expression"
    if depth and len(data) - opened > MAX_BRACKET_SPAN:
        return "a very long bracketed expression"
    return None


_BRACKETS = re.compile(rb"[][(){}]")


def check_isolated(data: bytes, path: str, options: Options) -> FileResult:
    """Check in a child process: a parser crash or a stall is reported, not fatal."""
    import multiprocessing

    try:
        mp = multiprocessing.get_context("fork")
    except ValueError:  # no fork (Windows): check in-process
        return check_bytes(data, path, options)
    parent, child = mp.Pipe(duplex=False)
    proc = mp.Process(target=_isolated_main, args=(child, data, path, options), daemon=True)
    try:
        proc.start()
    except (OSError, AssertionError):  # AssertionError: pglint runs in a daemonic process
        parent.close()
        child.close()
        return check_bytes(data, path, options)
    child.close()
    try:
        if parent.poll(CHILD_BUDGET_S):
            try:
                return parent.recv()
            except (EOFError, OSError):
                proc.join(5)
                return FileResult(path, error=PARSER_CRASHED)
        return FileResult(path, error=f"file is too complex to analyse (its check took over "
                                      f"{CHILD_BUDGET_S:g} s): exclude it")
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)


def _isolated_main(conn, data: bytes, path: str, options: Options) -> None:
    global _stack_bytes
    _stack_bytes = CHILD_STACK_BYTES
    conn.send(check_bytes(data, path, options))
    conn.close()


def check_bytes(data: bytes, path: str, options: Options,
                passed: bool | None = None) -> FileResult:
    """``passed``: what passes_prefilter(data) said, when the caller already asked."""
    result = _check_bytes(data, path, options, passed)
    result.digest = hashlib.sha256(data).hexdigest()
    return result


def _check_bytes(data: bytes, path: str, options: Options, passed: bool | None) -> FileResult:
    if path.endswith(".ipynb"):
        from pglint import notebook

        return notebook.check_bytes(data, path, options)
    if passed is None:
        passed = passes_prefilter(data, options)
    if not passed:
        return FileResult(path)  # the pre-filter: no rule can fire here
    try:
        text = decode(data)
    except ValueError as e:
        return FileResult(path, error=str(e))
    return check_source(text, path, options)


def check_source(text: str, path: str, options: Options, line_label=None) -> FileResult:
    """Parse and check ``text`` on a big-stack thread (see STACK_BYTES).

    ``line_label(line)``, when given, is what rule messages print for a line (a
    notebook's "3 in cell 2")."""
    return _on_big_stack(_check_source, text, path, options, line_label)


def _on_big_stack(fn, *args):
    out: list = []

    def target():
        try:
            out.append((True, fn(*args)))
        except BaseException as e:  # re-raised in the caller's thread
            out.append((False, e))

    old_limit = sys.getrecursionlimit()
    try:
        old_size = threading.stack_size(_stack_bytes)
    except (ValueError, RuntimeError):  # platform without a settable stack size
        return fn(*args)
    try:
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        t = threading.Thread(target=target, name="pglint-check")
        t.start()
    finally:
        threading.stack_size(old_size)
    t.join()
    sys.setrecursionlimit(old_limit)
    ok, value = out[0]
    if not ok:
        raise value
    return value


def _check_source(text: str, path: str, options: Options, line_label=None) -> FileResult:
    import libcst as cst

    from pglint.static.dataflow import TooComplex

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        module = _parse_without_indent_form_feeds(text)
        if module is None:
            message, at = _syntax_error(text, path, e)
            return FileResult(path, error=message, error_at=at)
    except RecursionError:
        return FileResult(path, error=f"file is too deeply nested to parse (over Python's "
                                      f"recursion limit, {sys.getrecursionlimit():,})")
    except MemoryError:
        return FileResult(path, error="file is too large or deep to parse (out of memory)")
    except Exception as e:  # libcst raises a few other errors on odd input
        return FileResult(path, error=f"cannot parse file: {e}")
    try:
        return _run_rules(module, text, path, options, line_label)
    except RecursionError:
        return FileResult(path, error=f"file is too deeply nested to analyse (over Python's "
                                      f"recursion limit, {sys.getrecursionlimit():,})")
    except TooComplex as e:
        return FileResult(path, error=str(e))
    except MemoryError:
        return FileResult(path, error="file is too large or deep to analyse (out of memory)")
    except ValueError as e:
        if "digits" in str(e) and "limit" in str(e):  # int(...) over sys.int_info digits
            return FileResult(path, error=f"file has an integer literal over Python's limit on "
                                          f"integer digits ({e})")
        return _internal(path, e)
    except Exception as e:  # never let one file take the run down
        return _internal(path, e)


def _internal(path: str, e: Exception) -> FileResult:
    return FileResult(path, error=f"internal error while checking it ({type(e).__name__}: "
                                  f"{e}); please report this with the file")


def _syntax_error(text: str, path: str, e: cst.ParserSyntaxError) -> tuple[str, tuple[int, int]]:
    """Python's own wording and position for the error (only computed on failure).

    Valid Python that libcst's tokenizer refuses (some tab/space indentation CPython
    accepts) is reported as a file pglint cannot analyse, not as a syntax error; pglint
    does not rewrite the indentation to get past it (changing whitespace inside strings
    or continuation lines would move every offset a fix relies on).
    """
    try:
        compile(text, path, "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
    except SyntaxError as py:
        if py.lineno:
            at = (py.lineno, py.offset or 1)
            return f"syntax error at {at[0]}:{at[1]}: {py.msg}", at
    except (ValueError, RecursionError, MemoryError):
        pass
    else:
        at = (e.raw_line, e.raw_column + 1)
        return (f"cannot be analysed: libcst rejects this valid Python at {at[0]}:{at[1]} "
                f"({e.message.splitlines()[0] if e.message else 'parse error'}); often "
                f"tab/space indentation: re-indent with spaces"), at
    at = (e.raw_line, e.raw_column + 1)
    return f"syntax error at {at[0]}:{at[1]}: {e.message}", at


def _run_rules(module: cst.Module, text: str, path: str, options: Options,
               line_label=None) -> FileResult:
    from pglint.static import project
    from pglint.static.context import build_context
    from pglint.static.dataflow import analyze
    from pglint.static.filters import code as node_code
    from pglint.static.positions import resolve as resolve_positions
    from pglint.static.rules import RuleContext, all_rules

    project.DEPENDS = []
    ctx = build_context(module)
    ctx.path = path  # helpers imported from the project are found from here (project.py)
    facts = analyze(ctx, deadline=time.monotonic() + ANALYSIS_BUDGET_S)
    positions = None
    starts: list[int] = []
    to_text: list = []  # [None] or [map]: where each character of module.code is in text

    def pos(node):
        nonlocal positions
        if positions is None:
            positions = resolve_positions(module)
        return positions[node]

    def offsets(node):
        pos(node)
        # positions.py's offsets are into libcst's generated code, which equals the text
        # except that libcst drops a form feed that starts a top-level line (and see
        # _parse_without_indent_form_feeds) while it counts one in a block's indentation
        # as a column: with a form feed about, offsets come from the code and map back
        spans = getattr(positions, "_spans", None) if "\x0c" not in text else None
        if spans is not None:
            return spans[node]
        if not starts:
            code = module.code
            to_text.append(None if code == text else _code_to_text(code, text))
            starts.extend(line_starts(code))
        r = pos(node)
        start = starts[r.start.line - 1] + r.start.column
        end = starts[r.end.line - 1] + r.end.column
        if to_text[0] is not None:
            m = to_text[0]
            at, to = m[start], (m[end - 1] + 1 if end > start else m[start])
            if at < 0 or to - at != end - start:  # the node's text lost characters
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
    result = FileResult(path, depends=tuple(project.DEPENDS))
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
                fix=None if _unplaceable(rep.fix, text) else rep.fix,
            )
            if rep.unless_read is not None:
                result.pending.append(Pending(f, *rep.unless_read))
            else:
                result.findings.append(f)
    return result


def _code_to_text(code: str, text: str) -> list[int]:
    """For each offset in ``code`` (``text`` with some characters dropped), its offset in
    ``text``, plus one for the end; all -1 when ``code`` is not such a text."""
    out = []
    i, n = 0, len(text)
    for ch in code:
        while i < n and text[i] != ch:
            i += 1
        if i == n:
            return [-1] * (len(code) + 1)
        out.append(i)
        i += 1
    out.append(n)
    return out


def _unplaceable(fix, text: str) -> bool:
    """A fix that is not offered: an edit that could not be placed, or edits that all
    write back what is there (a rename that found no spelling of the key to rename, e.g.
    an escaped 'params\\x0c': it would report itself applied and leave the finding)."""
    return fix is not None and (
        any(not 0 <= e.start <= e.end <= len(text) for e in fix.edits)
        or all(text[e.start:e.end] == e.text for e in fix.edits))


_INDENT_FORM_FEED = re.compile(r"^[ \t\x0c]*\x0c", re.MULTILINE)


def _parse_without_indent_form_feeds(text: str) -> cst.Module | None:
    """libcst refuses a form feed in a nested block's indentation, which CPython accepts
    (its tokenizer restarts the column at it): parse the text without each line's leading
    whitespace up to its last form feed.  Offsets map back to the text as for any
    character libcst drops; no fix is placed on a node whose text lost one."""
    if "\x0c" not in text:
        return None
    stripped = _INDENT_FORM_FEED.sub("", text)
    if stripped == text:
        return None
    import libcst as cst

    try:
        return cst.parse_module(stripped)
    except Exception:
        return None


def _noqa_codes(m: re.Match) -> set | None:
    c = m.group("codes")
    return None if c is None else {x.upper() for x in re.split(r"[\s,]+", c) if x}


def _noqa_lines(text: str) -> dict:
    """line -> codes silenced on it (None: all); key 0 holds the file-level codes."""
    out: dict = {}
    if "noqa" not in text.lower():
        return out
    for i, line in enumerate(split_lines(text), 1):
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
        tokens = list(tokenize.generate_tokens(iter(split_lines(text, keepends=True)).__next__))
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


def cores() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except (OSError, ValueError):
        return 0


def plan_chunks(paths: list[str], workers: int) -> list[list[str]]:
    """Chunks for the pool, biggest files first: the first chunks hold one big file each,
    later ones gather small files up to the same share of bytes, so the workers, taking
    chunks in order, finish together."""
    sized = sorted(((_size(p), p) for p in paths), reverse=True)
    share = max(1, sum(s for s, _ in sized) // (workers * 32))
    chunks: list[list[str]] = []
    current: list[str] = []
    acc = 0
    for size, p in sized:
        current.append(p)
        acc += size
        if acc >= share:
            chunks.append(current)
            current, acc = [], 0
    if current:
        chunks.append(current)
    return chunks


def _check_chunk(args) -> list:
    paths, options, marks = args
    fd = os.open(os.path.join(marks, str(os.getpid())), os.O_WRONLY | os.O_CREAT, 0o600)

    def hold(p: str) -> None:  # the file this worker parses, should it die on it
        data = os.fsencode(p)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.ftruncate(fd, len(data))

    try:
        return [check_file(p, options, before_parse=hold) for p in paths]
    finally:
        os.close(fd)


def check_files(paths: list[str], options: Options, jobs: int | None = None) -> list:
    """Check files, in parallel processes when there are many; results in input order.

    A worker that dies (the native parser crashing on a file) does not lose the run:
    the results already in are kept, the file it held is checked again alone in a child
    process (reported as PARSER_CRASHED if it crashes again), and the rest are re-run.
    """
    jobs = jobs or cores()
    if jobs <= 1 or len(paths) < PARALLEL_MIN_FILES:
        return [check_file(p, options) for p in paths]
    # a handful of files, or few bytes: starting workers (each imports libcst) costs more
    jobs = min(jobs, max(1, sum(_size(p) for p in paths) // PARALLEL_MIN_BYTES))
    if jobs <= 1:
        return [check_file(p, options) for p in paths]
    by_path: dict = {}
    todo = list(paths)
    for _ in range(8):  # each round either finishes or sets aside at least one file
        if not todo:
            break
        held = _pool_round(todo, options, jobs, by_path)
        todo = [p for p in todo if p not in by_path]
        for p in held:
            if p in by_path or p not in todo:
                continue
            by_path[p] = _recheck_alone(p, options)
        todo = [p for p in todo if p not in by_path]
        if len(todo) < PARALLEL_MIN_FILES:
            break
    for p in todo:
        by_path[p] = _recheck_alone(p, options) if p not in by_path else by_path[p]
    return [by_path[p] for p in paths]


def _pool_round(paths: list, options: Options, jobs: int, by_path: dict) -> list:
    """One parallel pass; fills ``by_path``; returns the files dead workers held."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    n = min(jobs, (len(paths) + PARALLEL_MIN_FILES // 2 - 1) // (PARALLEL_MIN_FILES // 2))
    chunks = plan_chunks(paths, n)
    with tempfile.TemporaryDirectory(prefix="pglint-") as marks:
        try:
            with ProcessPoolExecutor(max_workers=n) as pool:
                futures = [pool.submit(_check_chunk, (c, options, marks)) for c in chunks if c]
                for fut in futures:
                    try:
                        for r in fut.result():
                            by_path[r.path] = r
                    except BrokenProcessPool:
                        continue
        except BrokenProcessPool:
            pass
        held = []
        for name in os.listdir(marks):
            try:
                with open(os.path.join(marks, name), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if data:  # empty: the worker parsed nothing
                held.append(os.fsdecode(data))
        return held


def _recheck_alone(path: str, options: Options) -> FileResult:
    """A file a dead worker held: check it in a child process of its own."""
    try:
        data = read_source(path)
    except (OSError, ValueError):
        return check_file(path, options)  # reports why it cannot be read
    return check_isolated(data, path, options)


def resolve_pending(results: Iterable[FileResult], is_read) -> None:
    """Keep a PG004 finding only when its key is not read as a group key anywhere."""
    for r in results:
        for p in r.pending:
            if not is_read(p.key, p.finding.filename, p.classes):
                r.findings.append(p.finding)
        r.pending = []
