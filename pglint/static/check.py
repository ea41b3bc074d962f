"""``pglint check``: discover files, check them, resolve PG004 against the project, fix."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pglint import codes, notebook
from pglint import config as config_mod
from pglint.files import (
    force_excluded,
    python_files,
    relative_posix,
    resolved_cwd,
    resolving_once,
    safe_resolve,
    seed_resolved,
)
from pglint.finding import Finding
from pglint.static import engine, keyreads
from pglint.static.lines import split_lines

MAX_FIX_PASSES = 5


@dataclass
class CheckRun:
    results: list = field(default_factory=list)  # FileResult, one per checked file
    fixed: int = 0
    diffs: list = field(default_factory=list)  # unified diffs (--diff)
    fixed_text: dict = field(default_factory=dict)  # stdin name -> its fixed source (--fix)
    notes: list = field(default_factory=list)  # fixes not applied, skipped files, and why

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
             force_exclude=None, skipped: list | None = None) -> tuple[list[Path], list[str]]:
    """Files to check, and messages for paths that do not exist.

    ``force_exclude(path)``, when given, drops files named on the command line that the
    configuration excludes (``--force-exclude``, as pre-commit names every file).
    A named path that exists but is not a directory (a file, a FIFO, a symlink loop) is
    returned: reading it reports why it cannot be checked.  Non-regular ``.py`` entries
    under directories go to ``skipped``."""
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(python_files(path, cfg.root, cfg.exclude, skipped))
        elif os.path.lexists(path):
            if force_exclude is None or not force_exclude(path):
                files.append(path)
        else:
            missing.append(p)
    seen, out = set(), []
    for f in files:
        key = safe_resolve(f)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out, missing


def _display(path: Path) -> str:
    real = safe_resolve(path)
    name = relative_posix(real, resolved_cwd()) or path.as_posix()
    seed_resolved(name, real)  # the name, read from here, is the same file
    return name


class ProjectKeys:
    """Group keys read anywhere in the project(s) of the checked files, scanned lazily."""

    def __init__(self, roots: dict, cfg_for, texts: dict | None = None,
                 caches: dict | None = None):
        self.roots = roots  # display path -> project root
        self.cfg_for = cfg_for
        self.caches = caches  # project root -> cache.Cache; None: no cache
        self._scanned: dict = {name: keyreads.scan(text, name)
                               for name, text in (texts or {}).items()}  # stdin

    def reads(self, root: Path) -> keyreads.KeyReads:
        got = self._scanned.get(root)
        if got is None:
            got = keyreads.KeyReads()
            store = None
            if self.caches is not None:
                from pglint.cache import Cache

                store = self.caches.get(root) or self.caches.setdefault(root, Cache(root))
            old = store.load_index() if store is not None else {}
            index = {}
            for f in python_files(root, root, self.cfg_for(root).exclude):
                shown = _display(f)
                try:
                    st = f.stat()
                    seen = old.get(shown)
                    if seen is not None and seen[:2] == (st.st_size, st.st_mtime_ns):
                        found = seen[2]  # unchanged since the last run: its reads as then
                    else:
                        found = keyreads.scan(
                            notebook.python_text(f, engine.read_source(str(f))), shown)
                except (OSError, ValueError):
                    continue
                index[shown] = (st.st_size, st.st_mtime_ns, found)
                got.update(found)
            if store is not None and index != old:
                store.save_index(index)
            self._scanned[root] = got
        return got

    def own(self, filename: str) -> keyreads.KeyReads:
        """The checked file's own reads: they count even when the project scan skips the
        file (git-ignored, excluded, or outside the project)."""
        got = self._scanned.get(filename)
        if got is None:
            try:
                text = notebook.python_text(Path(filename), engine.read_source(filename))
            except (OSError, ValueError):
                text = ""
            got = self._scanned[filename] = keyreads.scan(text, filename)
        return got

    def is_read(self, key: str, filename: str, classes: tuple) -> bool:
        if self.own(filename).is_read(key, filename, classes):
            return True
        root = self.roots.get(filename)
        return root is not None and self.reads(root).is_read(key, filename, classes)


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
    skipped: list = field(default_factory=list)  # .py entries that are not regular files


@resolving_once()
def plan(paths: list[str], *, config_path=None, force_exclude: bool = False,
         stdin_filename: str | None = None, extend_ignore=(), per_file_ignores=None) -> Plan:
    """Resolve paths and configurations.  ``-`` (alone) is stdin, named ``stdin_filename``
    for configuration discovery, per-file-ignores, --force-exclude and output.

    Raises ConfigError for a broken configuration.
    """
    paths = list(paths) or ([STDIN] if stdin_filename else ["."])
    use_stdin = paths == [STDIN]
    first = Path(stdin_filename or ".") if use_stdin else Path(paths[0])
    root = config_mod.find_root(first) or (safe_resolve(first) if first.is_dir()
                                          else safe_resolve(first).parent)

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

    roots_by_dir: dict = {}

    def root_of(f: Path) -> Path:
        real = safe_resolve(f)
        if not os.path.isfile(real):
            return config_mod.find_root(f) or real.parent
        got = roots_by_dir.get(real.parent)
        if got is None:
            got = roots_by_dir[real.parent] = config_mod.find_root(real.parent) or real.parent
        return got

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
    out.files, out.missing = discover(paths, cfg, forced_out if force_exclude else None,
                                      out.skipped)
    for f in out.files:
        r, name = root_of(f), _display(f)
        out.roots[name] = r
        out.per_file_cfg[name] = cfg_for(r)
    return out


@resolving_once()
def run(paths: list[str], *, select=None, extend_select=(), ignore=None, extra_keys=(),
        config_path=None, fix: bool = False, diff: bool = False, unsafe_fixes: bool = False,
        jobs: int | None = None, stdin: bytes | None = None, the_plan: Plan | None = None,
        cache: bool = True, **plan_args) -> tuple[CheckRun, list[str]]:
    """Check ``paths``; returns the run and messages about paths that do not exist.

    ``fix`` writes fixed files (stdin's fixed source goes to ``CheckRun.fixed_text``);
    ``diff`` collects diffs and never writes, with or without ``fix``.
    ``cache``: reuse and store results in ``.pglint_cache/`` (off when the environment
    sets ``PGLINT_NO_CACHE``).
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
    caches = None
    if cache:
        from pglint import cache as cache_mod

        caches = None if cache_mod.disabled_by_env() else {}
    for o, names in by_opts.items():
        if caches is None:
            checked = engine.check_files(names, o, jobs)
        else:
            checked = cache_mod.check_files(names, o, jobs, pl.roots.__getitem__, caches)
        for r in checked:
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
    keys = ProjectKeys(pl.roots, lambda r: pl.configs.get(r) or pl.cfg, texts, caches)
    engine.resolve_pending(ordered, keys.is_read)
    for r in ordered:
        c = pl.per_file_cfg[r.path]
        rel = _rel_to(r.path, pl.roots[r.path])
        r.findings = [f for f in r.findings if not c.ignored_in_file(f.code, rel)]
    run_ = CheckRun(ordered)
    run_.notes.extend(f"{_display(p)}: not a regular file (or a broken link); skipped"
                      for p in pl.skipped)
    if fix or diff:
        _fix(run_, by_opts, keys, unsafe_fixes, write=fix and not diff, collect_diff=diff,
             sources=sources)
    return run_, pl.missing


def _rel_to(display: str, root: Path) -> str:
    return relative_posix(safe_resolve(display), root) or display


class FixError(Exception):
    """A fix that cannot be applied as computed (its edits are inconsistent)."""


def _where(f: Finding) -> str:
    return f"{f.code} at {f.filename}:{f.line}"


def plan_fixes(text: str, findings: list[Finding], unsafe: bool) -> tuple[list, list, list]:
    """Choose the fixes one pass applies: (taken, deferred, bad).

    ``taken``: (finding, fix) pairs whose edits do not overlap; findings whose fix is
    identical to a taken one (the same edits) count as fixed with it.  ``deferred``:
    findings whose fix overlaps a taken one (the next pass, on the fixed text, redoes
    them).  ``bad``: (finding, reason) for fixes whose edits are out of range or overlap
    each other.
    """
    taken, deferred, bad = [], [], []
    spans: list = []
    by_edits: dict = {}
    cands = [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)]
    cands.sort(key=lambda f: (min((e.start for e in f.fix.edits), default=0), f.line or 0))
    for f in cands:
        edits = tuple(sorted(f.fix.edits, key=lambda e: (e.start, e.end)))
        if not edits or any(not (0 <= e.start <= e.end <= len(text)) for e in edits) \
                or any(a.end > b.start for a, b in zip(edits, edits[1:])):
            bad.append((f, "its edits are out of range or overlap each other"))
            continue
        if edits in by_edits:
            taken.append((f, None))  # the same edits as a fix already taken: fixed with it
            continue
        if any(e.start < t and s < e.end or e.start == e.end == s == t
               for e in edits for s, t in spans):
            deferred.append(f)
            continue
        by_edits[edits] = f
        spans.extend((e.start, e.end) for e in edits)
        taken.append((f, edits))
    return taken, deferred, bad


def apply_edits(text: str, findings: list[Finding], unsafe: bool) -> tuple[str, int]:
    """Apply the non-overlapping fixes of ``findings``; returns (text, findings fixed)."""
    taken, _, _ = plan_fixes(text, findings, unsafe)
    edits = [e for _, es in taken if es for e in es]
    return splice(text, edits), len(taken)


def splice(text: str, edits: list) -> str:
    """``text`` with non-overlapping ``edits`` applied; raises FixError unless every
    character outside the edited ranges is provably unchanged and in order."""
    edits = sorted(edits, key=lambda e: (e.start, e.end))
    parts, keep, pos = [], [], 0
    for e in edits:
        if e.start < pos:
            raise FixError("overlapping edits")
        parts.append(text[pos:e.start])
        keep.append((pos, e.start))
        parts.append(e.text)
        pos = e.end
    parts.append(text[pos:])
    keep.append((pos, len(text)))
    new = "".join(parts)
    # the proof: walk the new text; each kept range must reappear verbatim, in order,
    # separated by exactly the replacement texts
    at = 0
    for (a, b), rep in zip(keep, [e.text for e in edits] + [""]):
        if new[at:at + (b - a)] != text[a:b]:
            raise FixError("text outside the edited ranges would change")
        at += (b - a) + len(rep)
    if at != len(new):
        raise FixError("the fixed text has an unexpected length")
    return new


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
        try:
            original = sources[r.path] if r.path in sources else engine.read_source(r.path)
        except (OSError, ValueError) as e:
            run_.notes.append(f"fixes for {r.path} skipped: cannot read it again "
                              f"({getattr(e, 'strerror', None) or e})")
            continue
        if r.digest is not None and hashlib.sha256(original).hexdigest() != r.digest:
            run_.notes.append(f"fixes for {r.path} skipped: the file changed after it was "
                              f"checked; run pglint again")
            continue
        try:
            text = engine.decode(original)
        except ValueError:
            continue
        current, result, total = text, r, 0
        stuck: set = set()  # (code, message) of fixes that did not remove their finding
        for _ in range(MAX_FIX_PASSES):
            todo = [f for f in result.findings if (f.code, f.message) not in stuck]
            taken, deferred, bad = plan_fixes(current, todo, unsafe)
            for f, why in bad:
                run_.notes.append(f"fix for {_where(f)} skipped: {why}")
            if not any(es for _, es in taken):
                break
            try:
                new = splice(current, [e for _, es in taken if es for e in es])
            except FixError as e:
                run_.notes.extend(f"fix for {_where(f)} skipped: {e}" for f, _ in taken)
                break
            if new == current:
                run_.notes.extend(f"fix for {_where(f)} skipped: it changes nothing"
                                  for f, _ in taken)
                break
            checked = engine.check_source(new, r.path, opts_of[r.path])
            if not checked.error and _compiles(current, r.path) and not _compiles(new, r.path):
                # libcst accepts what the compiler refuses (a repeated keyword argument)
                checked.error = "it would not compile"
            if checked.error:  # a fix must never break the file: keep the last good text
                run_.notes.extend(f"fix for {_where(f)} skipped: the fixed file would not "
                                  f"be checkable ({checked.error})" for f, _ in taken)
                break
            total += len(taken)
            current, result = new, checked
            engine.resolve_pending([result], keys.is_read)
            left = {(f.code, f.message) for f in result.findings if f.fix is not None}
            for f, _ in taken:
                if (f.code, f.message) in left and (f.code, f.message) not in stuck:
                    stuck.add((f.code, f.message))
                    total -= 1
                    run_.notes.append(f"fix for {_where(f)} did not remove the finding; "
                                      f"not applied again")
            # loop until stable: the next pass redoes deferred (overlapping) fixes
        else:
            left = [f for f in result.findings if f.fix is not None and (f.fix.safe or unsafe)
                    and (f.code, f.message) not in stuck]
            run_.notes.extend(f"fix for {_where(f)} not applied after {MAX_FIX_PASSES} passes "
                              f"(fixes overlap); run pglint --fix again" for f in left)
        if total == 0 or current == text:
            continue
        encoding = _encoding_of(original)
        try:
            data = current.encode(encoding)
        except (UnicodeEncodeError, LookupError) as e:
            run_.notes.append(f"fixes for {r.path} skipped: the fixed text cannot be encoded "
                              f"as {encoding} ({e})")
            continue
        if write and r.path in sources:
            run_.fixed_text[r.path] = current
        elif write:
            why = _write_if_unchanged(path, original, data)
            if why is not None:
                run_.notes.append(f"fixes for {r.path} skipped: {why}")
                continue
        run_.fixed += total
        if collect_diff:
            run_.diffs.append(unified_diff(text, current, r.path))
        if write:
            result.digest = hashlib.sha256(data).hexdigest()
            run_.results[i] = result


def _compiles(text: str, name: str) -> bool:
    """Whether CPython compiles ``text`` (to bytecode, never run)."""
    try:
        compile(text, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def unified_diff(old: str, new: str, name: str) -> str:
    """A patch ``git apply`` accepts: Python's line ends, and the no-newline marker."""
    out = []
    for line in difflib.unified_diff(split_lines(old, keepends=True),
                                     split_lines(new, keepends=True),
                                     fromfile=f"a/{name}", tofile=f"b/{name}"):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _write_if_unchanged(path: Path, original: bytes, data: bytes) -> str | None:
    """Replace ``path`` with ``data`` atomically, only if it still holds ``original``.

    The comparison and the replacement happen under an exclusive lock on the file (other
    pglint runs take it too), the new bytes go to a temporary file in the same directory
    (same mode) and ``os.replace`` puts them in place: a reader sees the old file or the
    new one, never a mix.  Returns why nothing was written, or None.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return f"cannot open it again ({e.strerror or e})"
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        try:
            now = engine.read_source(str(path))
            same_file = os.path.samestat(os.fstat(fd), os.stat(path))
        except (OSError, ValueError) as e:
            return f"cannot read it again ({getattr(e, 'strerror', None) or e})"
        if now != original or not same_file:
            return "the file changed while pglint ran; run pglint again"
        mode = os.fstat(fd).st_mode & 0o7777
        tmp = None
        try:
            tfd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=".pglint-tmp")
            with os.fdopen(tfd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
            tmp = None
        except OSError as e:
            return f"cannot write it ({e.strerror or e})"
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return None
    finally:
        os.close(fd)


def _fix_notebook(run_: CheckRun, i: int, opts, keys: ProjectKeys, unsafe: bool, write: bool,
                  collect_diff: bool) -> None:
    r = run_.results[i]
    path = Path(r.path)
    try:
        original = engine.read_source(r.path)
    except OSError as e:
        run_.notes.append(f"fixes for {r.path} skipped: cannot read it again ({e.strerror or e})")
        return
    if r.digest is not None and hashlib.sha256(original).hexdigest() != r.digest:
        run_.notes.append(f"fixes for {r.path} skipped: the file changed after it was "
                          f"checked; run pglint again")
        return
    new_text, total, old, new = notebook.fix(r.path, original, opts, keys.is_read, unsafe,
                                             MAX_FIX_PASSES, {f.code for f in r.findings})
    if not total:
        return
    if write:
        why = _write_if_unchanged(path, original, new_text.encode("utf-8"))
        if why is not None:
            run_.notes.append(f"fixes for {r.path} skipped: {why}")
            return
    run_.fixed += total
    if collect_diff:
        for cell in sorted(c for c in new if new[c] != old[c]):
            run_.diffs.append("".join(difflib.unified_diff(
                _lines(old[cell]), _lines(new[cell]),
                fromfile=f"a/{r.path}:cell {cell}", tofile=f"b/{r.path}:cell {cell}")))
    if write:
        run_.results[i] = engine.check_file(r.path, opts)
        engine.resolve_pending([run_.results[i]], keys.is_read)


def _lines(source: str) -> list[str]:
    """A cell's lines for a diff (nbformat drops the last line's newline)."""
    return split_lines(source if source.endswith("\n") or not source else source + "\n", True)


def _encoding_of(data: bytes) -> str:
    import tokenize
    from io import BytesIO

    enc, _ = tokenize.detect_encoding(BytesIO(data).readline)
    return "utf-8-sig" if enc == "utf-8-sig" else enc
