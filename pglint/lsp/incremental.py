"""Incremental checking of an open document: only what an edit can change is re-analysed.

The file's top-level statements are cut into *chunks* (a statement with the comment and
blank lines above it; CPython's ``ast`` gives the boundaries).  Chunks are grouped into
*components* that the static pass cannot tell apart from the whole file:

- a *header* chunk (imports, string statements: no facts, no bindings at module level)
  goes into every component;
- every other module-level statement (the *spine*: assignments, ``if __name__ ...``)
  is one component, since the module scope is interpreted in one go;
- two chunks are in one component when one mentions (any identifier-like word of its
  text, comments and strings included) a name the other *defines* for the whole file:
  a def or class not nested in another (``ctx.functions`` / ``ctx.classes``), an import
  alias anywhere (``ctx.imports`` is file-wide), an attribute name it stores
  (``ctx.stored_attrs``), or, for the spine, any name bound at module level (a global an
  optimizer is stored in and stepped from a function: PG003's handles).

Each component is checked as a small module of its own: the header, its chunks, and (for
the spine only) a one-line stub statement in place of each other chunk, so the module
scope still sees a statement that is not inert between a binding and its use (PG002's
fix).  The component's text alone is the cache key: its findings are kept in its own
coordinates (lines in messages as placeholders) and placed into the file's lines and
offsets when the file is put together, so an edit above a function does not re-check it.
noqa comments, PG004's project reads and per-file-ignores are applied to the whole text
afterwards, exactly as the full check applies them.

Anything unusual (a syntax error, a component that does not parse or fails, a lone
``\\r`` line end, form feeds, tab indentation) falls back to the full check of the text.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, replace

from pglint.finding import Edit, Finding, Fix
from pglint.static import engine
from pglint.static.lines import line_starts

STUB = "import _pglint_stub_\n"  # stands for a chunk outside the spine's component
_L0, _L1 = "\ue000", "\ue001"  # around a line number in a message: placed at assembly
_LABEL = re.compile(f"{_L0}(\\d+){_L1}")
_WORD = re.compile(r"\w+")
_UNSUPPORTED = re.compile(r"\r(?!\n)|[\x0c\ue000\ue001]|^[ ]*\t|_pglint_stub_", re.M)
MAX_CACHE = 4096  # component results kept per document


class Fallback(Exception):
    """The text is checked as a whole instead."""


@dataclass
class Chunk:
    text: str
    first_line: int  # 1-based line of the file where the chunk starts
    lines: int
    kind: str  # "header" | "spine" | "def"
    defines: frozenset
    words: frozenset


@dataclass
class Segment:
    """A piece of a component's text: a chunk (``chunk`` index) or a stub for one."""

    chunk: int
    stub: bool


@dataclass
class Checked:
    """One component's findings in its own coordinates."""

    findings: list
    pending: list
    depends: tuple


def _label(line: int) -> str:
    return f"{_L0}{line}{_L1}"


# -------------------------------------------------------------------- chunks
def chunk_text(text: str, summaries: dict) -> list[Chunk]:
    """The file's chunks; ``summaries`` caches (kind, defines, words) by chunk text."""
    if _UNSUPPORTED.search(text):
        raise Fallback("unsupported characters")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise Fallback("does not parse") from e
    if not tree.body:
        raise Fallback("empty")
    lines = text.split("\n")  # the last element: text after the last newline
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    starts.append(len(text))
    n_lines = len(lines)
    groups: list[list] = []  # [[stmts], end line]
    for stmt in tree.body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
        if groups and first <= groups[-1][1]:  # `a = 1; b = 2` on one line
            groups[-1][0].append(stmt)
            groups[-1][1] = max(groups[-1][1], stmt.end_lineno)
        else:
            groups.append([[stmt], stmt.end_lineno])
    out: list[Chunk] = []
    prev_end = 0  # last line (1-based) of the previous chunk
    for i, (stmts, end) in enumerate(groups):
        if i == len(groups) - 1:
            end = n_lines  # trailing comments and blank lines go with the last chunk
        a, b = starts[prev_end], starts[end] if end < len(starts) else len(text)
        piece = text[a:b]
        summary = summaries.get(piece)
        if summary is None:
            summary = summaries[piece] = _summarise(stmts, piece)
        kind, defines, words = summary
        out.append(Chunk(piece, prev_end + 1, end - prev_end, kind, defines, words))
        prev_end = end
    if "".join(c.text for c in out) != text:
        raise Fallback("chunks do not add up")
    return out


def _summarise(stmts: list, piece: str) -> tuple:
    if all(isinstance(s, (ast.Import, ast.ImportFrom)) or _is_string(s) for s in stmts):
        kind = "header"
    elif len(stmts) == 1 and isinstance(stmts[0], (ast.FunctionDef, ast.AsyncFunctionDef,
                                                   ast.ClassDef)):
        kind = "def"
    else:
        kind = "spine"
    defines: set[str] = set()
    for s in stmts:
        _defines(s, defines, kind == "spine", outer=True, class_body=False)
    return kind, frozenset(defines), frozenset(_WORD.findall(piece))


def _is_string(s) -> bool:
    return (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
            and isinstance(s.value.value, (str, bytes)))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _defines(node, out: set, spine: bool, outer: bool, class_body: bool) -> None:
    """Names ``node`` defines for the whole file (see the module docstring); ``outer``:
    not inside a def or class; ``class_body``: directly in a class body (not in a def)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if outer:
            out.add(node.name)
        if class_body:
            out.add(node.name)  # a (decorated) method: a stored attribute
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            out.add((alias.asname or alias.name).split(".")[0])
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        out.add(node.attr)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        if class_body or (spine and outer):
            out.add(node.id)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
          and node.func.id == "setattr" and len(node.args) >= 2
          and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        out.add(node.args[1].value)
    elif isinstance(node, (ast.Global, ast.Nonlocal)) and spine:
        out.update(node.names)
    is_class = isinstance(node, ast.ClassDef)
    is_scope = isinstance(node, _SCOPES)
    for child in ast.iter_child_nodes(node):
        if is_class:
            # the class's own name, bases, keywords and decorators are outside its body
            inside = child in node.body
            _defines(child, out, spine, outer and not inside, inside)
        elif is_scope:
            _defines(child, out, spine, False, False)
        else:
            _defines(child, out, spine, outer, class_body)


# -------------------------------------------------------------------- components
def components(chunks: list[Chunk]) -> list[list[int]]:
    """Indexes of the non-header chunks, grouped (see the module docstring); in order."""
    parent = list(range(len(chunks)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    by_name: dict[str, list[int]] = {}
    spine = None
    for i, c in enumerate(chunks):
        if c.kind == "header":
            continue
        if c.kind == "spine":
            spine = i if spine is None else (union(spine, i) or spine)
        for name in c.defines:
            by_name.setdefault(name, []).append(i)
    for i, c in enumerate(chunks):
        if c.kind == "header":
            continue
        small, big = (c.words, by_name) if len(c.words) < len(by_name) else (by_name, c.words)
        for w in small:
            if w in big:
                for j in by_name[w]:
                    union(i, j)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(chunks):
        if c.kind != "header":
            groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def segments(chunks: list[Chunk], members: list[int]) -> list[Segment]:
    mine = set(members)
    spine = any(chunks[i].kind == "spine" for i in members)
    out = []
    for i, c in enumerate(chunks):
        if c.kind == "header" or i in mine:
            out.append(Segment(i, False))
        elif spine:
            out.append(Segment(i, True))
    return out


# -------------------------------------------------------------------- checking
class Incremental:
    """Per open document: component results by component text (dropped on close)."""

    def __init__(self) -> None:
        self.summaries: dict[str, tuple] = {}  # chunk text -> (kind, defines, words)
        self.checked: dict[tuple, Checked] = {}  # (name, options, texts) -> Checked
        self.last_used: set = set()

    def clear(self) -> None:
        self.summaries.clear()
        self.checked.clear()

    def check(self, text: str, name: str, options: engine.Options) -> engine.FileResult:
        """What ``engine.check_source(text, name, options)`` gives, pending PG004 findings
        included; raises Fallback when the text is to be checked whole."""
        chunks = chunk_text(text, self.summaries)
        full_starts = line_starts(text)
        result = engine.FileResult(name)
        depends: list = []
        used: set = set()
        groups = components(chunks)
        if not groups:
            raise Fallback("imports only")  # small: the whole text is checked
        for members in groups:
            segs = segments(chunks, members)
            texts = tuple(STUB if s.stub else chunks[s.chunk].text for s in segs)
            key = (name, options, texts)
            got = self.checked.get(key)
            if got is not None and not _fresh(got.depends):
                got = None
            if got is None:
                got = self.checked[key] = _check_component("".join(texts), name, options)
            used.add(key)
            depends.extend(got.depends)
            place = _placer(chunks, segs, texts, full_starts)
            result.findings.extend(place(f) for f in got.findings)
            result.pending.extend(replace(p, finding=place(p.finding)) for p in got.pending)
        result.depends = tuple(dict.fromkeys(depends))
        noqa = engine._noqa_lines(text)
        if noqa:
            result.findings = [f for f in result.findings
                               if not engine._suppressed(noqa, f.line, f.code)]
            result.pending = [p for p in result.pending
                              if not engine._suppressed(noqa, p.finding.line, p.finding.code)]
        self._trim(used)
        self.summaries = {c.text: self.summaries[c.text] for c in chunks}
        return result

    def _trim(self, used: set) -> None:
        """Keep the results of the latest text, and of earlier ones up to MAX_CACHE (an
        undo brings a component back)."""
        if len(self.checked) > MAX_CACHE:
            for key in [k for k in self.checked if k not in used][: len(self.checked) // 2]:
                del self.checked[key]
        self.last_used = used


def _fresh(depends: tuple) -> bool:
    """The project modules a component's check read are unchanged on disk."""
    for path, size, mtime in depends:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != (size, mtime):
            return False
    return True


def _check_component(source: str, name: str, options: engine.Options) -> Checked:
    r = engine.check_source(source, name, options, line_label=_label)
    if r.error:
        raise Fallback(r.error)
    return Checked(list(r.findings), list(r.pending), r.depends)


def _placer(chunks, segs, texts, full_starts: list[int]):
    """Maps a component's finding into the file: lines, columns, offsets, labels."""
    to_line: list[int | None] = [None]  # component line (1-based) -> file line
    for s, t in zip(segs, texts):
        n = t.count("\n") + (0 if t.endswith("\n") else 1)
        if s.stub:
            to_line.extend([None] * n)
        else:
            first = chunks[s.chunk].first_line
            to_line.extend(range(first, first + n))
    bounds = []  # (start in the component, end, start in the file) per real chunk
    at = 0
    for s, t in zip(segs, texts):
        if not s.stub:
            bounds.append((at, at + len(t), full_starts[chunks[s.chunk].first_line - 1]))
        at += len(t)

    def line(n: int) -> int:
        if n is None:
            return None
        if not 0 < n < len(to_line) or to_line[n] is None:
            raise Fallback("a finding outside its component's chunks")
        return to_line[n]

    def offset(o: int, end: bool) -> int:
        """A node's start (``end`` False) or end offset: at a boundary of two chunks, a
        start is in the later one and an end in the earlier one."""
        for a, b, full in bounds:
            if (a < o <= b) if end else (a <= o < b):
                return full + (o - a)
        raise Fallback("an edit outside its component's chunks")

    def label(s):
        return _LABEL.sub(lambda m: str(line(int(m.group(1)))), s) if s and _L0 in s else s

    def edit(e: Edit) -> Edit:
        return replace(e, start=offset(e.start, False), end=offset(e.end, e.end > e.start),
                       text=label(e.text), line=line(e.line), end_line=line(e.end_line))

    def place(f: Finding) -> Finding:
        fix = f.fix
        if fix is not None:
            fix = Fix(label(fix.title), tuple(edit(e) for e in fix.edits), fix.safe)
        return replace(f, message=label(f.message), help=label(f.help), line=line(f.line),
                       end_line=line(f.end_line), fix=fix)

    return place


def check_or_none(inc: Incremental, text: str, name: str,
                  options: engine.Options) -> engine.FileResult | None:
    """``inc.check``, or None where the text must be checked whole (also on any error of
    the incremental machinery itself: deep input over this thread's recursion limit, or a
    bug; the full check is always right)."""
    try:  # on the engine's big stack: a deep expression is cut here as in the full check
        return engine._on_big_stack(inc.check, text, name, options)
    except Exception:
        return None
