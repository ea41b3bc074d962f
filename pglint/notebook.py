"""Jupyter notebooks (``.ipynb``): their code cells checked as one program.

The code cells are joined in order into one Python program, so a generator made in
cell 2 and used up in cell 5 is found.  IPython syntax keeps its line: a ``%%`` cell
magic whose body is not Python (``%%bash``, ``%%writefile``, ...) blanks the whole
cell; ``%%time``, ``%%timeit``, ``%%capture`` and ``%%prun`` keep their Python body;
``%time STMT`` (and ``%timeit``/``%prun``) keeps STMT; any other ``%`` or ``!`` line,
``obj?`` help and ``x = %magic`` / ``x = !cmd`` become ``pass`` / ``x = ...`` at the
same indentation.  ``LineMap`` maps each program line back to (cell, line, column
shift); findings, fixes and messages ("line 3 in cell 5") are reported in cell terms.

``--fix`` edits the original cell sources and replaces only the ``"source"`` values of
the cells it changed in the file's JSON text: every other byte stays as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from pglint.finding import Edit, Finding

SUFFIX = ".ipynb"
# cell magics whose body is Python run in the notebook's namespace
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
# line magics whose argument is a Python statement
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun"})
_ASSIGN_MAGIC = re.compile(r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")
_LINE_MAGIC = re.compile(r"^%(?P<name>\w+)(?P<sep>\s+)(?P<rest>\S.*)$", re.DOTALL)


def is_notebook(path: str) -> bool:
    return path.endswith(SUFFIX)


class NotebookError(ValueError):
    """Not valid JSON, or JSON that is not a notebook; ``at`` is (line, column) if known."""

    def __init__(self, message: str, at: tuple[int, int] | None = None):
        super().__init__(message)
        self.at = at


class CellLine(int):
    """A program line number that prints as "3 in cell 5" in rule messages (an int, so
    rules still compare and sort program lines)."""

    cell: int
    line: int

    def __new__(cls, program_line: int, cell: int, line: int):
        obj = super().__new__(cls, program_line)
        obj.cell, obj.line = cell, line
        return obj

    def __str__(self) -> str:
        return f"{self.line} in cell {self.cell}"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int.__format__(self, spec)

    def __reduce__(self):
        return CellLine, (int(self), self.cell, self.line)


@dataclass
class LineMap:
    """Program line i (1-based) comes from ``cells[i-1]``, line ``lines[i-1]`` of that
    cell, its columns shifted right by ``shifts[i-1]`` (``%time STMT`` lines), or from a
    line replaced because it is IPython syntax (``magic[i-1]``)."""

    cells: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    shifts: list = field(default_factory=list)
    magic: list = field(default_factory=list)

    def add(self, cell: int, line: int, shift: int = 0, magic: bool = False) -> None:
        self.cells.append(cell)
        self.lines.append(line)
        self.shifts.append(shift)
        self.magic.append(magic)

    def __len__(self) -> int:
        return len(self.cells)

    def at(self, line: int, column: int) -> tuple[int, int, int]:
        """(cell, line, column) for a program position (1-based line and column)."""
        i = min(max(line, 1), len(self)) - 1
        return self.cells[i], self.lines[i], column + self.shifts[i]

    def label(self, line: int) -> CellLine:
        i = min(max(line, 1), len(self)) - 1
        return CellLine(line, self.cells[i], self.lines[i])


@dataclass
class Notebook:
    text: str  # the file's JSON text
    doc: dict
    sources: dict  # cell number (1-based index in "cells") -> source text, code cells only

    @classmethod
    def parse(cls, data: bytes) -> Notebook:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise NotebookError(f"not a notebook: cannot decode it as utf-8: {e}") from e
        try:
            doc = json.loads(text.removeprefix("\ufeff"))
        except json.JSONDecodeError as e:
            raise NotebookError(f"not a notebook: invalid JSON at {e.lineno}:{e.colno}: "
                                f"{e.msg}", (e.lineno, e.colno)) from e
        except RecursionError as e:
            raise NotebookError("not a notebook: JSON nested too deeply") from e
        cells = doc.get("cells") if isinstance(doc, dict) else None
        if not isinstance(cells, list):
            raise NotebookError("not a notebook: no 'cells' list (nbformat 4 expected)")
        sources = {}
        for i, cell in enumerate(cells, 1):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            if isinstance(src, list) and all(isinstance(s, str) for s in src):
                src = "".join(src)
            if not isinstance(src, str):
                raise NotebookError(f"not a notebook: cell {i} has a 'source' that is not text")
            sources[i] = src
        return cls(text, doc, sources)

    def is_python(self) -> bool:
        """False when the notebook names another kernel language (R, Julia, ...)."""
        meta = self.doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        for table, key in (("language_info", "name"), ("kernelspec", "language")):
            lang = meta.get(table).get(key) if isinstance(meta.get(table), dict) else None
            if isinstance(lang, str) and lang.strip():
                return lang.strip().lower() == "python"
        return True

    def program(self, sources: dict | None = None) -> tuple[str, LineMap]:
        return build_program(self.sources if sources is None else sources)

    def with_sources(self, sources: dict) -> str:
        """The file's JSON text with the changed cells' "source" replaced, byte for byte
        the same elsewhere."""
        changed = {i for i, s in sources.items() if s != self.sources.get(i)}
        if not changed:
            return self.text
        spans = _source_spans(self.text)
        ascii_only = self.text.isascii()
        out, last = [], 0
        for i in sorted(changed):
            start, end = spans[i]
            out.append(self.text[last:start])
            out.append(_dump_source(sources[i], self.text[start:end], ascii_only))
            last = end
        out.append(self.text[last:])
        return "".join(out)


def build_program(sources: dict) -> tuple[str, LineMap]:
    out: list[str] = []
    lmap = LineMap()
    for cell, src in sources.items():
        lines = _split(src)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"
        python_body = True
        if lines and lines[0].startswith("%%"):
            m = re.match(r"%%(\w+)", lines[0])
            python_body = m is not None and m.group(1) in PYTHON_CELL_MAGICS
        for n, (line, kind, shift) in enumerate(_transform(lines, python_body), 1):
            out.append(line)
            lmap.add(cell, n, shift, kind)
    return "".join(out), lmap


def _transform(lines: list[str], python_body: bool):
    """(program line, is IPython syntax, column shift) for each line of a cell."""
    if not python_body:  # a %%bash, %%writefile, ... cell: nothing here is Python
        for _ in lines:
            yield "\n", True, 0
        return
    depth, continued, in_string, in_magic = 0, False, None, False
    for n, line in enumerate(lines):
        body = line.rstrip("\r\n")
        ending = line[len(body):] or "\n"
        stripped = body.lstrip()
        indent = body[: len(body) - len(stripped)]
        if in_magic or (n == 0 and stripped.startswith("%%")):
            yield "\n", True, 0  # the cell magic's line, or a magic continued with '\'
            in_magic = body.endswith("\\")
            continue
        if depth or continued or in_string is not None or not _is_ipython(stripped):
            yield line, False, 0
            depth, continued, in_string = _scan(body, depth, in_string)
            continue
        m = _LINE_MAGIC.match(stripped)
        if m and m.group("name") in PYTHON_LINE_MAGICS and not m.group("rest").startswith("-"):
            # %time STMT: STMT runs here (with options, -n 1 ..., the line is skipped)
            cut = len(stripped) - len(m.group("rest"))
            new = indent + m.group("rest")
            yield new + ending, False, cut
            depth, continued, in_string = _scan(new, 0, None)
            continue
        a = _ASSIGN_MAGIC.match(stripped)
        yield (f"{indent}{a.group('target')} = ...{ending}" if a else f"{indent}pass{ending}",
               True, 0)
        in_magic = body.endswith("\\")


def _is_ipython(stripped: str) -> bool:
    if not stripped or stripped.startswith("#"):
        return False
    if stripped[0] in "%!?":
        return True
    if _ASSIGN_MAGIC.match(stripped):
        return True
    code = stripped.split("#", 1)[0].rstrip()
    return code.endswith("?") and re.fullmatch(r"[\w.\[\]()'\"]+\?\??", code) is not None


def _scan(line: str, depth: int, in_string: str | None) -> tuple[int, bool, str | None]:
    """Bracket depth, backslash continuation and open triple-quoted string after a line."""
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if line.startswith(in_string, i):
                i += len(in_string)
                in_string = None
                continue
            i += 1
            continue
        if ch == "#":
            break
        if ch in "\"'":
            q = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else ch
            in_string = q
            i += len(q)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    if in_string and len(in_string) == 1:  # an unterminated one-line string
        in_string = None
    continued = line.endswith("\\") and in_string is None
    return depth, continued, in_string


def check_bytes(data: bytes, path: str, options):
    from pglint.static import engine

    try:
        nb = Notebook.parse(data)
    except NotebookError as e:
        return engine.FileResult(path, error=str(e), error_at=e.at)
    if not nb.is_python():
        return engine.FileResult(path)
    program, lmap = nb.program()
    if len(program) > engine.MAX_BYTES:
        return engine.FileResult(path, error=f"the notebook's code is too large to check "
                                             f"({len(program):,} characters; the limit is "
                                             f"{engine.MAX_BYTES:,}): exclude it")
    if not engine.passes_prefilter(program.encode("utf-8", "replace"), options):
        return engine.FileResult(path)
    result = engine.check_source(program, path, options, line_label=lmap.label)
    return _to_cells(result, lmap, nb.sources)


def _to_cells(result, lmap: LineMap, sources: dict):
    """The result with program positions turned into (cell, line, column)."""
    if result.error:
        if result.error_at is not None:
            cell, line, col = lmap.at(*result.error_at)
            result.error = re.sub(r"^syntax error at \d+:\d+", f"syntax error in cell {cell} "
                                  f"at {line}:{col}", result.error)
            result.error_at = None
        return result
    starts = {c: _line_starts(s) for c, s in sources.items()}
    result.findings = [_finding(f, lmap, starts) for f in result.findings]
    result.pending = [replace(p, finding=_finding(p.finding, lmap, starts))
                      for p in result.pending]
    return result


def _finding(f: Finding, lmap: LineMap, starts: dict) -> Finding:
    cell, line, col = lmap.at(f.line, f.column)
    end_cell, end_line, end_col = lmap.at(f.end_line, f.end_column)
    if end_cell != cell:
        end_line, end_col = line, col
    fix = f.fix
    if fix is not None:
        edits = tuple(_edit(e, lmap, starts) for e in fix.edits)
        fix = None if any(e is None for e in edits) else replace(fix, edits=edits)
    return replace(f, cell=cell, line=line, column=col, end_line=end_line,
                   end_column=end_col, fix=fix)


def _edit(e: Edit, lmap: LineMap, starts: dict) -> Edit | None:
    """An edit in cell terms (offsets into the cell's source), or None when it touches
    IPython syntax or spans cells: such a fix is not offered."""
    if e.line is None or e.end_line is None:
        return None
    if any(lmap.magic[i - 1] for i in range(e.line, e.end_line + 1) if 1 <= i <= len(lmap)):
        return None
    cell, line, col = lmap.at(e.line, e.column)
    end_cell, end_line, end_col = lmap.at(e.end_line, e.end_column)
    if end_cell != cell:
        return None
    s = starts[cell]
    start = s[line - 1] + col - 1
    end = s[end_line - 1] + end_col - 1
    return Edit(start, end, e.text, line, col, end_line, end_col, cell)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _split(text: str) -> list[str]:
    """Lines as Python counts them (only \\n, \\r\\n and \\r end a line; not str.splitlines'
    form feeds or U+2028), with their endings."""
    return _LINE.findall(text)


def _line_starts(text: str) -> list[int]:
    out, acc = [], 0
    for ln in _split(text):
        out.append(acc)
        acc += len(ln)
    out.append(acc)
    return out


def fix(path: str, data: bytes, options, is_read, unsafe: bool, max_passes: int,
        fixable: set):
    """Apply the fixes of findings whose code is in ``fixable`` (what the run reported
    for this file, after per-file-ignores) to the cells of the notebook ``data`` (the
    bytes of ``path``): (new file text or None, fixes applied, the old and new code-cell
    sources)."""
    from pglint.static import engine
    from pglint.static.check import apply_edits

    try:
        nb = Notebook.parse(data)
    except NotebookError:
        return None, 0, {}, {}
    sources = dict(nb.sources)
    total = 0
    for _ in range(max_passes):
        program, lmap = nb.program(sources)
        result = engine.check_source(program, path, options, line_label=lmap.label)
        if result.error:  # a fix must never break the notebook: keep the original
            return None, 0, {}, {}
        engine.resolve_pending([result], is_read)
        result = _to_cells(result, lmap, sources)
        by_cell: dict = {}
        for f in result.findings:
            if f.fix is None or not (f.fix.safe or unsafe) or f.code not in fixable:
                continue
            cells = {e.cell for e in f.fix.edits}
            if len(cells) == 1:
                by_cell.setdefault(cells.pop(), []).append(f)
        applied = 0
        for cell, fs in by_cell.items():
            new, n = apply_edits(sources[cell], fs, unsafe)
            if n and new != sources[cell]:
                sources[cell] = new
                applied += n
        if not applied:
            break
        total += applied
    if total:
        program, lmap = nb.program(sources)
        if engine.check_source(program, path, options).error:
            return None, 0, {}, {}
    if not total:
        return None, 0, {}, {}
    try:
        return nb.with_sources(sources), total, nb.sources, sources
    except (RecursionError, KeyError, IndexError):  # JSON too deep to walk: leave it
        return None, 0, {}, {}


def python_text(path: Path, data: bytes) -> str:
    """What PG004's project scan reads of a file: a notebook's code cells joined."""
    if is_notebook(str(path)):
        try:
            nb = Notebook.parse(data)
        except NotebookError:
            return ""
        return nb.program()[0] if nb.is_python() else ""
    return data.decode("utf-8", "replace")


# --- the "source" values of the cells, located in the JSON text -----------------------

_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


def _source_spans(text: str) -> dict:
    """cell number -> (start, end) of its "source" value in the notebook's JSON text
    (already known to be valid JSON)."""
    i = _WS.match(text, 1 if text.startswith("\ufeff") else 0).end()
    spans: dict = {}
    for key, start, _ in _object(text, i)[0]:
        if key == "cells" and text[start] == "[":
            for n, (cell, _) in enumerate(_array(text, start)[0], 1):
                if text[cell] == "{":
                    spans.update((n, (s, e)) for k, s, e in _object(text, cell)[0]
                                 if k == "source")
    return spans


def _object(text: str, i: int) -> tuple[list, int]:
    """The members (key, value start, value end) of the object at text[i], and its end."""
    members = []
    j = _WS.match(text, i + 1).end()
    while text[j] != "}":
        key, j = json.decoder.scanstring(text, j + 1)
        j = _WS.match(text, _WS.match(text, j).end() + 1).end()  # past the ':'
        end = _skip(text, j)
        members.append((key, j, end))
        j = _WS.match(text, end).end()
        if text[j] == ",":
            j = _WS.match(text, j + 1).end()
    return members, j + 1


def _array(text: str, i: int) -> tuple[list, int]:
    """The items (start, end) of the array at text[i], and its end."""
    items = []
    j = _WS.match(text, i + 1).end()
    while text[j] != "]":
        end = _skip(text, j)
        items.append((j, end))
        j = _WS.match(text, end).end()
        if text[j] == ",":
            j = _WS.match(text, j + 1).end()
    return items, j + 1


def _skip(text: str, i: int) -> int:
    """The end of the JSON value starting at text[i]."""
    ch = text[i]
    if ch == '"':
        return json.decoder.scanstring(text, i + 1)[1]
    if ch == "{":
        return _object(text, i)[1]
    if ch == "[":
        return _array(text, i)[1]
    return _decoder.raw_decode(text, i)[1]


def _dump_source(source: str, old: str, ascii_only: bool) -> str:
    """``source`` as JSON in the layout of the value it replaces (a list of lines one per
    line at the old indentation, as nbformat writes, or a single string)."""
    if old.startswith('"'):
        return json.dumps(source, ensure_ascii=ascii_only)
    items = [json.dumps(s, ensure_ascii=ascii_only) for s in source.splitlines(keepends=True)]
    m = re.match(r"\[(\r?\n)([ \t]*)", old)
    if m is None or not items:
        return "[" + ", ".join(items) + "]"
    newline, indent = m.group(1), m.group(2)
    close = re.search(r"\n([ \t]*)\]$", old)
    return ("[" + newline + indent + ("," + newline + indent).join(items) + newline
            + (close.group(1) if close else "") + "]")
