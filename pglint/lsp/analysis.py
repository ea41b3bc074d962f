"""What the language server knows, without pygls: settings, key reads, findings, edits.

Settings are resolved as ``pglint check`` resolves them for a file: the nearest
``pyproject.toml`` (or ``.git``) above it is the project root, its ``[tool.pglint]`` table
gives select / ignore / extra-keys / per-file-ignores / exclude.  Like ruff's server,
an excluded file (or one under a virtualenv, cache or build directory) gets no
findings: the editor sees what ``pglint check --force-exclude`` (the pre-commit hook)
reports.  PG004's project-wide key reads are the same text scan ``pglint check`` runs
(``keyreads.scan`` over the project's files), cached per root and kept per file, so a
saved file replaces only its own entry and an open buffer counts with its unsaved text.
"""

from __future__ import annotations

import bisect
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from pglint import config as config_mod
from pglint import files, notebook
from pglint.finding import Edit, Finding
from pglint.lsp.incremental import Incremental, check_or_none
from pglint.static import check, engine, keyreads

_LINE_END = re.compile(r"\r\n|\r|\n")
SOURCE_SUFFIXES = (".py", notebook.SUFFIX)  # what the project scan reads


@dataclass
class Analysis:
    """Findings for one text of one document; ``error`` when it could not be checked."""

    text: str
    findings: list = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None  # "syntax" | "config" | "internal" | "unreadable"
    skipped: str | None = None  # why the file is not checked at all (excluded)
    _index: LineIndex | None = field(default=None, repr=False)
    _comment_rows: set | None = field(default=None, repr=False)

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index


class LineIndex:
    """Offsets <-> (0-based line, code-point column), lines split as LSP does."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def line(self, line: int) -> str:
        """The text of a 0-based line, without its line ending."""
        if line >= len(self.starts):
            return ""
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line]:end].rstrip("\r\n")

    def line_end(self, line: int) -> int:
        return self.starts[line] + len(self.line(line))


class Project:
    """One project root: its configuration and (lazily) every file's group-key reads."""

    def __init__(self, root: Path):
        self.root = root
        self.error: str | None = None
        try:
            self.config = config_mod.load(root)
        except config_mod.ConfigError as e:
            self.config, self.error = config_mod.Config(root=root), str(e)
        c = self.config
        self.options = engine.Options(tuple(c.select), tuple(c.ignore), frozenset(c.extra_keys))
        self._reads: dict[str, keyreads.KeyReads] | None = None

    def rel(self, path: Path) -> str:
        return check._rel_to(str(path), self.root)

    def excluded(self, path: Path) -> bool:
        """As ``pglint check --force-exclude`` (what pre-commit runs) decides it."""
        return files.force_excluded(path, self.root, self.config.exclude)

    def reads(self) -> dict[str, keyreads.KeyReads]:
        """Group-key reads per file of the project, scanned as ``pglint check`` scans them."""
        if self._reads is None:
            self._reads = {}
            for f in files.python_files(self.root, self.root, self.config.exclude):
                self._scan_file(f)
        return self._reads

    def _scan_file(self, f: Path) -> None:
        try:
            text = notebook.python_text(f, f.read_bytes())
        except OSError:
            self._reads.pop(str(f.resolve()), None)
            return
        name = str(f.resolve())
        self._reads[name] = keyreads.scan(text, name)

    def file_changed(self, path: Path) -> bool:
        """A project file was saved, created or deleted: rescan that file only.
        True when the project's key reads changed (open documents need a new look)."""
        if self._reads is None or path.suffix not in SOURCE_SUFFIXES:
            return False
        name = str(path.resolve())
        before = self._reads.get(name)
        if path.is_file() and not self.excluded(path):
            self._scan_file(path)
        else:
            self._reads.pop(name, None)
        return self._reads.get(name) != before

    def read_elsewhere(self, key: str, name: str) -> bool:
        return any(key in r.anywhere for f, r in self.reads().items() if f != name)


class Projects:
    """Projects by root, created on first use and dropped when a pyproject.toml changes."""

    def __init__(self, fallback_root: Path | None = None):
        self.fallback_root = fallback_root
        self._by_root: dict[Path, Project] = {}

    def root_of(self, path: Path | None) -> Path:
        if path is None:
            return (self.fallback_root or Path.cwd()).resolve()
        return config_mod.find_root(path) or path.resolve().parent

    def for_path(self, path: Path | None) -> Project:
        root = self.root_of(path)
        project = self._by_root.get(root)
        if project is None:
            project = self._by_root[root] = Project(root)
        return project

    def config_changed(self) -> None:
        """A pyproject.toml (or .git) appeared, changed or went: re-read everything lazily."""
        self._by_root.clear()

    def file_changed(self, path: Path) -> bool:
        changed = False
        for project in self._by_root.values():
            if path.resolve().is_relative_to(project.root):
                changed = project.file_changed(path) or changed
        return changed


def analyse(text: str, path: Path | None, projects: Projects,
            incremental: Incremental | None = None) -> Analysis:
    """Findings for ``text`` as the contents of ``path``, exactly as ``pglint check`` would
    report them for that file (noqa, select/ignore, PG004 project reads, per-file-ignores).
    ``incremental``: the document's state; only what changed since its last text is
    re-analysed (see incremental.py), with the same findings."""
    return _analyse(text, path, projects, incremental=incremental)


def analyse_notebook(sources: dict[int, str], path: Path | None,
                     projects: Projects) -> dict[int, Analysis]:
    """A notebook's code cells (1-based cell number -> source) checked as one program, as
    ``pglint check`` checks an .ipynb; one Analysis per cell, in that cell's terms."""
    program, lmap = notebook.build_program(sources)
    whole = _analyse(program, path, projects, lmap, sources)
    return {cell: Analysis(src, [f for f in whole.findings if f.cell == cell], whole.error,
                           whole.error_kind, whole.skipped)
            for cell, src in sources.items()}


def _analyse(text: str, path: Path | None, projects: Projects, lmap=None,
             sources=None, incremental: Incremental | None = None) -> Analysis:
    project = projects.for_path(path)
    if project.error:
        return Analysis(text, error=project.error, error_kind="config")
    if path is not None and project.excluded(path):
        return Analysis(text, skipped="excluded by the project's configuration")
    if not engine.passes_prefilter(text.encode("utf-8", "surrogatepass")):
        return Analysis(text)
    name = str(path.resolve()) if path is not None else "<untitled>"
    result = None
    if incremental is not None and lmap is None:
        result = check_or_none(incremental, text, name, project.options)
    if result is None:
        result = engine.check_source(text, name, project.options,
                                     line_label=lmap.label if lmap is not None else None)
    if result.error:
        kind = ("syntax" if result.error.startswith("syntax error")
                else "internal" if result.error.startswith("internal error") else "unreadable")
        return Analysis(text, error=result.error, error_kind=kind)
    own = keyreads.scan(text, name)  # the unsaved buffer's reads count, not the file on disk
    engine.resolve_pending([result], lambda key, file, classes: own.is_read(key, file, classes)
                           or project.read_elsewhere(key, name))
    if lmap is not None:
        result = notebook._to_cells(result, lmap, sources)
    found = result.findings
    if path is not None:
        rel = project.rel(path)
        found = [f for f in found if not project.config.ignored_in_file(f.code, rel)]
    return Analysis(text, sorted(found, key=Finding.sort_key))


def fix_all(analysis: Analysis, path: Path | None, projects: Projects,
            unsafe: bool = False) -> str | None:
    """The text with every (safe) fix applied, re-checking between passes as
    ``pglint check --fix`` does; None when nothing changes or a fix would break the file."""
    current, now, total = analysis.text, analysis, 0
    for _ in range(check.MAX_FIX_PASSES):
        new, n = check.apply_edits(current, now.findings, unsafe)
        if n == 0 or new == current:
            break
        now = analyse(new, path, projects)
        if now.error:  # a fix must never break the file
            return None
        current, total = new, total + n
    return current if total else None


def noqa_edit(analysis: Analysis, finding: Finding) -> Edit | None:
    """The edit that silences ``finding`` on its line: extend an existing
    ``# noqa: PGxxx`` or append one; None where a comment cannot go (the line ends
    inside a string or with a backslash) or a bare ``# noqa`` already covers it."""
    line = finding.line - 1
    text = analysis.index.line(line)
    start = analysis.index.starts[line]
    m = engine._NOQA.search(text) if "#" in text else None
    if m is not None:
        if m.group("codes") is None:
            return None
        at = start + m.end("codes")
        return Edit(at, at, f", {finding.code}")
    if line + 1 not in _comment_rows(analysis):
        return None
    body = text.rstrip()
    return Edit(start + len(body), start + len(text), f"  # noqa: {finding.code}")


def _comment_rows(analysis: Analysis) -> set:
    """1-based lines whose end is outside any string or continuation: a comment may go there."""
    if analysis._comment_rows is None:
        rows: set = set()
        ends = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT)
        try:
            for tok in tokenize.generate_tokens(io.StringIO(analysis.text, newline=None).readline):
                if tok.type in ends:
                    rows.add(tok.start[0])
        except (tokenize.TokenError, SyntaxError):
            pass  # the lines before the error stand
        analysis._comment_rows = rows
    return analysis._comment_rows
