"""``pglint check``: discover files, check them, resolve PG004 against the project, fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pglint import codes, notebook
from pglint import config as config_mod
from pglint.files import force_excluded, python_files
from pglint.finding import Finding
from pglint.static import engine, keyreads

MAX_FIX_PASSES = 5


@dataclass
class CheckRun:
    results: list = field(default_factory=list)  # FileResult, one per checked file
    fixed: int = 0
    diffs: list = field(default_factory=list)  # unified diffs (--diff)
    fixed_text: dict = field(default_factory=dict)  # stdin name -> its fixed source (--fix)

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


def discover(paths: list[str], cfg: config_mod.Config,
             force_exclude=None) -> tuple[list[Path], list[str]]:
    """Files to check, and messages for paths that do not exist.

    ``force_exclude(path)``, when given, drops files named on the command line that the
    configuration excludes (``--force-exclude``, as pre-commit names every file)."""
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(python_files(path, cfg.root, cfg.exclude))
        elif path.is_file():
            if force_exclude is None or not force_exclude(path):
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

    def __init__(self, roots: dict, cfg_for, texts: dict | None = None):
        self.roots = roots  # display path -> project root
        self.cfg_for = cfg_for
        self._scanned: dict = {name: keyreads.scan(text, name)
                               for name, text in (texts or {}).items()}  # stdin

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


STDIN = "-"


@dataclass
class Plan:
    """What a check reads: the files, their configurations, and stdin's name."""

    cfg: config_mod.Config  # the first path's configuration (or --config's)
    files: list  # Path of every file on disk to check
    missing: list  # paths that do not exist
    roots: dict  # display name -> project root
    per_file_cfg: dict  # display name -> Config
    configs: dict  # project root -> Config
    stdin: str | None = None  # display name of the source read from stdin ("-" alone)
    stdin_excluded: bool = False  # --force-exclude dropped --stdin-filename


def plan(paths: list[str], *, config_path=None, force_exclude: bool = False,
         stdin_filename: str | None = None, extend_ignore=(), per_file_ignores=None) -> Plan:
    """Resolve paths and configurations.  ``-`` (alone) is stdin, named ``stdin_filename``
    for configuration discovery, per-file-ignores, --force-exclude and output.

    Raises ConfigError for a broken configuration.
    """
    paths = list(paths) or ([STDIN] if stdin_filename else ["."])
    use_stdin = paths == [STDIN]
    first = Path(stdin_filename or ".") if use_stdin else Path(paths[0])
    root = config_mod.find_root(first) or (first.resolve() if first.is_dir()
                                          else first.resolve().parent)

    def load(r: Path, explicit: Path | None = None) -> config_mod.Config:
        c = config_mod.load(r, explicit)
        # command-line additions: --extend-ignore, --per-file-ignores PATTERN:CODES
        c.ignore = list(c.ignore) + list(extend_ignore)
        for pattern, pcodes in (per_file_ignores or {}).items():
            c.per_file_ignores[pattern] = list(c.per_file_ignores.get(pattern, [])) + pcodes
        return c

    cfg = load(root, Path(config_path) if config_path else None)
    configs = {root: cfg}

    def cfg_for(r: Path) -> config_mod.Config:
        if config_path is not None:
            return cfg
        if r not in configs:
            configs[r] = load(r)
        return configs[r]

    def root_of(f: Path) -> Path:
        return config_mod.find_root(f) or f.resolve().parent

    def forced_out(f: Path) -> bool:
        r = root_of(f)
        return force_excluded(f, r, cfg_for(r).exclude)

    out = Plan(cfg, [], [], {}, {}, configs)
    if use_stdin:
        name = _display(Path(stdin_filename)) if stdin_filename else STDIN
        r = root_of(Path(stdin_filename)) if stdin_filename else Path.cwd().resolve()
        if force_exclude and stdin_filename and forced_out(Path(stdin_filename)):
            out.stdin_excluded = True
        else:
            out.stdin, out.roots[name], out.per_file_cfg[name] = name, r, cfg_for(r)
        return out
    out.files, out.missing = discover(paths, cfg, forced_out if force_exclude else None)
    for f in out.files:
        r = root_of(f)
        out.roots[_display(f)] = r
        out.per_file_cfg[_display(f)] = cfg_for(r)
    return out


def run(paths: list[str], *, select=None, extend_select=(), ignore=None, extra_keys=(),
        config_path=None, fix: bool = False, diff: bool = False, unsafe_fixes: bool = False,
        jobs: int | None = None, stdin: bytes | None = None, the_plan: Plan | None = None,
        **plan_args) -> tuple[CheckRun, list[str]]:
    """Check ``paths``; returns the run and messages about paths that do not exist.

    ``fix`` writes fixed files (stdin's fixed source goes to ``CheckRun.fixed_text``);
    ``diff`` collects diffs and never writes, with or without ``fix``.
    Raises ConfigError for a broken configuration.
    """
    pl = the_plan or plan(paths, config_path=config_path, **plan_args)
    files = [_display(f) for f in pl.files]
    # one Options per configuration; CLI flags override the file's configuration
    def options(c: config_mod.Config) -> engine.Options:
        # --select replaces the configured selection; --extend-select adds to either
        sel = (list(select) if select else list(c.select)) + list(extend_select)
        ign = list(c.ignore) + list(ignore or [])
        return engine.Options(tuple(sel), tuple(ign), frozenset(c.extra_keys) | frozenset(extra_keys))

    by_opts: dict = {}
    for name in files:
        by_opts.setdefault(options(pl.per_file_cfg[name]), []).append(name)
    results = {}
    for o, names in by_opts.items():
        for r in engine.check_files(names, o, jobs):
            results[r.path] = r
    ordered = [results[name] for name in files]
    sources: dict = {}
    if pl.stdin is not None:
        o = options(pl.per_file_cfg[pl.stdin])
        by_opts.setdefault(o, []).append(pl.stdin)
        sources[pl.stdin] = stdin or b""
        ordered.append(engine.check_bytes(sources[pl.stdin], pl.stdin, o))
    texts = {}
    for name, data in sources.items():
        try:
            texts[name] = engine.decode(data)
        except ValueError:
            texts[name] = ""
    keys = ProjectKeys(pl.roots, lambda r: pl.configs.get(r) or pl.cfg, texts)
    engine.resolve_pending(ordered, keys.is_read)
    for r in ordered:
        c = pl.per_file_cfg[r.path]
        rel = _rel_to(r.path, pl.roots[r.path])
        r.findings = [f for f in r.findings if not c.ignored_in_file(f.code, rel)]
    run_ = CheckRun(ordered)
    if fix or diff:
        _fix(run_, by_opts, keys, unsafe_fixes, write=fix and not diff, collect_diff=diff,
             sources=sources)
    return run_, pl.missing


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
    applied = 0
    for fx in fixes:
        if any(not (e.end <= s or e.start >= t) for e in fx.edits for s, t in taken):
            continue  # overlaps a fix already taken; the next pass picks it up
        taken.extend((e.start, e.end) for e in fx.edits)
        applied += 1
    edits = sorted((e for fx in fixes for e in fx.edits
                    if (e.start, e.end) in {(s, t) for s, t in taken}),
                   key=lambda e: e.start, reverse=True)
    for e in edits:
        text = text[: e.start] + e.text + text[e.end:]
    return text, applied


def _fix(run_: CheckRun, by_opts: dict, keys: ProjectKeys, unsafe: bool, write: bool,
         collect_diff: bool, sources: dict | None = None) -> None:
    """``sources``: name -> bytes of sources not on disk (stdin): their fixed text goes to
    ``run_.fixed_text`` instead of a file."""
    sources = sources or {}
    opts_of = {name: o for o, names in by_opts.items() for name in names}
    for i, r in enumerate(run_.results):
        if r.error or not any(f.fix for f in r.findings):
            continue
        if notebook.is_notebook(r.path):
            if r.path in sources:  # a notebook read from stdin is checked, not fixed
                continue
            _fix_notebook(run_, i, opts_of[r.path], keys, unsafe, write, collect_diff)
            continue
        path = Path(r.path)
        original = sources[r.path] if r.path in sources else path.read_bytes()
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
        if total == 0:
            continue
        run_.fixed += total
        if collect_diff:
            run_.diffs.append("".join(difflib.unified_diff(
                text.splitlines(keepends=True), current.splitlines(keepends=True),
                fromfile=f"a/{r.path}", tofile=f"b/{r.path}")))
        if write:
            if r.path in sources:
                run_.fixed_text[r.path] = current
            else:
                encoding = _encoding_of(original)
                path.write_bytes(current.encode(encoding))
            run_.results[i] = result


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
