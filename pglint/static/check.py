"""``pglint check``: discover files, check them, resolve PG004 against the project, fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pglint import codes, notebook
from pglint import config as config_mod
from pglint.files import python_files
from pglint.finding import Finding
from pglint.static import engine, keyreads

MAX_FIX_PASSES = 5


@dataclass
class CheckRun:
    results: list = field(default_factory=list)  # FileResult, one per checked file
    fixed: int = 0
    diffs: list = field(default_factory=list)  # unified diffs (--diff)

    @property
    def findings(self) -> list[Finding]:
        """Every finding, and a PG000 entry for each file that could not be checked."""
        out = [f for r in self.results for f in r.findings]
        out += [unreadable(r) for r in self.results if r.error]
        return sorted(out, key=Finding.sort_key)

    @property
    def errors(self) -> list:
        return [r for r in self.results if r.error]


def unreadable(result: engine.FileResult) -> Finding:
    """The finding-like entry for a file that could not be read or parsed: at the syntax
    error's position, else at 1:1 (as ruff places its io errors)."""
    line, column = result.error_at or (1, 1)
    return Finding(codes.UNREADABLE, result.error, help="the file was not checked: fix it, "
                   "or exclude it", filename=result.path, line=line, column=column,
                   end_line=line, end_column=column)


def discover(paths: list[str], cfg: config_mod.Config) -> tuple[list[Path], list[str]]:
    """Files to check, and messages for paths that do not exist."""
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(python_files(path, cfg.root, cfg.exclude))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(p)
    seen, out = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out, missing


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


class ProjectKeys:
    """Group keys read anywhere in the project(s) of the checked files, scanned lazily."""

    def __init__(self, roots: dict, cfg_for):
        self.roots = roots  # display path -> project root
        self.cfg_for = cfg_for
        self._scanned: dict = {}

    def reads(self, root: Path) -> keyreads.KeyReads:
        got = self._scanned.get(root)
        if got is None:
            got = keyreads.KeyReads()
            for f in python_files(root, root, self.cfg_for(root).exclude):
                try:
                    text = notebook.python_text(f, f.read_bytes())
                except OSError:
                    continue
                got.update(keyreads.scan(text, _display(f)))
            self._scanned[root] = got
        return got

    def own(self, filename: str) -> keyreads.KeyReads:
        """The checked file's own reads: they count even when the project scan skips the
        file (git-ignored, excluded, or outside the project)."""
        got = self._scanned.get(filename)
        if got is None:
            try:
                text = notebook.python_text(Path(filename), Path(filename).read_bytes())
            except OSError:
                text = ""
            got = self._scanned[filename] = keyreads.scan(text, filename)
        return got

    def is_read(self, key: str, filename: str, cls: str | None) -> bool:
        if self.own(filename).is_read(key, filename, cls):
            return True
        root = self.roots.get(filename)
        return root is not None and self.reads(root).is_read(key, filename, cls)


def run(paths: list[str], *, select=None, extend_select=(), ignore=None, extra_keys=(), config_path=None,
        fix: bool = False, diff: bool = False, unsafe_fixes: bool = False,
        jobs: int | None = None) -> tuple[CheckRun, list[str]]:
    """Check ``paths``; returns the run and messages about paths that do not exist.

    Raises ConfigError for a broken configuration.
    """
    first = Path(paths[0]) if paths else Path(".")
    root = config_mod.find_root(first) or (first.resolve() if first.is_dir()
                                          else first.resolve().parent)
    cfg = config_mod.load(root, Path(config_path) if config_path else None)
    configs = {root: cfg}

    def cfg_for(r: Path) -> config_mod.Config:
        if r not in configs:
            configs[r] = config_mod.load(r)
        return configs[r]

    files, missing = discover(paths or ["."], cfg)
    roots: dict = {}
    per_file_cfg: dict = {}
    for f in files:
        r = config_mod.find_root(f) or f.resolve().parent
        roots[_display(f)] = r
        per_file_cfg[_display(f)] = cfg if config_path is not None else cfg_for(r)
    # one Options per configuration; CLI flags override the file's configuration
    def options(c: config_mod.Config) -> engine.Options:
        # --select replaces the configured selection; --extend-select adds to either
        sel = (list(select) if select else list(c.select)) + list(extend_select)
        ign = list(c.ignore) + list(ignore or [])
        return engine.Options(tuple(sel), tuple(ign), frozenset(c.extra_keys) | frozenset(extra_keys))

    by_opts: dict = {}
    for f in files:
        o = options(per_file_cfg[_display(f)])
        by_opts.setdefault(o, []).append(_display(f))
    results = {}
    for o, names in by_opts.items():
        for r in engine.check_files(names, o, jobs):
            results[r.path] = r
    ordered = [results[_display(f)] for f in files]
    keys = ProjectKeys(roots, cfg_for)
    engine.resolve_pending(ordered, keys.is_read)
    for r in ordered:
        c = per_file_cfg[r.path]
        rel = _rel_to(r.path, roots[r.path])
        r.findings = [f for f in r.findings if not c.ignored_in_file(f.code, rel)]
    run_ = CheckRun(ordered)
    if fix or diff:
        _fix(run_, by_opts, keys, unsafe_fixes, write=fix, collect_diff=diff)
    return run_, missing


def _rel_to(display: str, root: Path) -> str:
    try:
        return Path(display).resolve().relative_to(root).as_posix()
    except ValueError:
        return display


def apply_edits(text: str, findings: list[Finding], unsafe: bool) -> tuple[str, int]:
    """Apply the non-overlapping fixes of ``findings``; returns (text, fixes applied)."""
    fixes = [f.fix for f in findings if f.fix is not None and (f.fix.safe or unsafe)]
    fixes.sort(key=lambda fx: min(e.start for e in fx.edits))
    taken: list = []
    chosen: set = set()
    applied = 0
    for fx in fixes:
        if set(fx.edits) <= chosen:
            applied += 1  # the same edits as a fix already taken (two findings, one cause)
            continue
        if any(not (e.end <= s or e.start >= t) for e in fx.edits for s, t in taken):
            continue  # overlaps a fix already taken; the next pass picks it up
        taken.extend((e.start, e.end) for e in fx.edits)
        chosen.update(fx.edits)
        applied += 1
    edits = sorted(chosen, key=lambda e: e.start, reverse=True)
    for e in edits:
        text = text[: e.start] + e.text + text[e.end:]
    return text, applied


def _fix(run_: CheckRun, by_opts: dict, keys: ProjectKeys, unsafe: bool, write: bool,
         collect_diff: bool) -> None:
    opts_of = {name: o for o, names in by_opts.items() for name in names}
    for i, r in enumerate(run_.results):
        if r.error or not any(f.fix for f in r.findings):
            continue
        if notebook.is_notebook(r.path):
            _fix_notebook(run_, i, opts_of[r.path], keys, unsafe, write, collect_diff)
            continue
        path = Path(r.path)
        original = path.read_bytes()
        try:
            text = engine.decode(original)
        except ValueError:
            continue
        current, result, total = text, r, 0
        for _ in range(MAX_FIX_PASSES):
            new, n = apply_edits(current, result.findings, unsafe)
            if n == 0 or new == current:
                break
            total += n
            current = new
            result = engine.check_source(current, r.path, opts_of[r.path])
            if result.error:  # a fix must never break the file: keep the original
                current, total = text, 0
                result = r
                break
            engine.resolve_pending([result], keys.is_read)
        if total and not _python_accepts(current, r.path) and _python_accepts(text, r.path):
            total = 0  # libcst parses what Python refuses (e.g. a repeated keyword argument)
        if total == 0:
            continue
        run_.fixed += total
        if collect_diff:
            run_.diffs.append("".join(difflib.unified_diff(
                text.splitlines(keepends=True), current.splitlines(keepends=True),
                fromfile=f"a/{r.path}", tofile=f"b/{r.path}")))
        if write:
            encoding = _encoding_of(original)
            path.write_bytes(current.encode(encoding))
            run_.results[i] = result


def _python_accepts(text: str, path: str) -> bool:
    """Python compiles ``text`` (compiled only, never run)."""
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _fix_notebook(run_: CheckRun, i: int, opts, keys: ProjectKeys, unsafe: bool, write: bool,
                  collect_diff: bool) -> None:
    r = run_.results[i]
    new_text, total, old, new = notebook.fix(r.path, opts, keys.is_read, unsafe, MAX_FIX_PASSES,
                                             {f.code for f in r.findings})
    if not total:
        return
    run_.fixed += total
    if collect_diff:
        for cell in sorted(c for c in new if new[c] != old[c]):
            run_.diffs.append("".join(difflib.unified_diff(
                _lines(old[cell]), _lines(new[cell]),
                fromfile=f"a/{r.path}:cell {cell}", tofile=f"b/{r.path}:cell {cell}")))
    if write:
        Path(r.path).write_text(new_text, encoding="utf-8", newline="")
        run_.results[i] = engine.check_file(r.path, opts)
        engine.resolve_pending([run_.results[i]], keys.is_read)


def _lines(source: str) -> list[str]:
    """A cell's lines for a diff (nbformat drops the last line's newline)."""
    return (source if source.endswith("\n") or not source else source + "\n").splitlines(True)


def _encoding_of(data: bytes) -> str:
    import tokenize
    from io import BytesIO

    enc, _ = tokenize.detect_encoding(BytesIO(data).readline)
    return "utf-8-sig" if enc == "utf-8-sig" else enc
