"""``pglint check``: discover files, check them, resolve PG004 against the project, fix."""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pglint import codes, notebook
from pglint import config as config_mod
from pglint.files import python_files, safe_resolve
from pglint.finding import Finding
from pglint.static import engine, keyreads
from pglint.static.lines import split_lines

MAX_FIX_PASSES = 5


@dataclass
class CheckRun:
    results: list = field(default_factory=list)  # FileResult, one per checked file
    fixed: int = 0
    diffs: list = field(default_factory=list)  # unified diffs (--diff)
    notes: list = field(default_factory=list)  # fixes not applied, and why (stderr)

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
             skipped: list | None = None) -> tuple[list[Path], list[str]]:
    """Files to check, and messages for paths that do not exist.

    A named path that exists but is not a directory (a file, a FIFO, a symlink loop) is
    returned: reading it reports why it cannot be checked.  Non-regular ``.py`` entries
    under directories go to ``skipped``.
    """
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(python_files(path, cfg.root, cfg.exclude, skipped))
        elif os.path.lexists(path):
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
    try:
        return safe_resolve(path).relative_to(Path.cwd().resolve()).as_posix()
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
                    text = notebook.python_text(f, engine.read_source(str(f)))
                except (OSError, ValueError):
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
                text = notebook.python_text(Path(filename), engine.read_source(filename))
            except (OSError, ValueError):
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
    root = config_mod.find_root(first) or (safe_resolve(first) if first.is_dir()
                                          else safe_resolve(first).parent)
    cfg = config_mod.load(root, Path(config_path) if config_path else None)
    configs = {root: cfg}

    def cfg_for(r: Path) -> config_mod.Config:
        if r not in configs:
            configs[r] = config_mod.load(r)
        return configs[r]

    skipped: list = []
    files, missing = discover(paths or ["."], cfg, skipped)
    roots: dict = {}
    per_file_cfg: dict = {}
    for f in files:
        r = config_mod.find_root(f) or safe_resolve(f).parent
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
    run_.notes.extend(f"{_display(p)}: not a regular file (or a broken link); skipped"
                      for p in skipped)
    if fix or diff:
        _fix(run_, by_opts, keys, unsafe_fixes, write=fix, collect_diff=diff)
    return run_, missing


def _rel_to(display: str, root: Path) -> str:
    try:
        return safe_resolve(Path(display)).relative_to(root).as_posix()
    except ValueError:
        return display


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
         collect_diff: bool) -> None:
    opts_of = {name: o for o, names in by_opts.items() for name in names}
    for i, r in enumerate(run_.results):
        if r.error or not any(f.fix for f in r.findings):
            continue
        if notebook.is_notebook(r.path):
            _fix_notebook(run_, i, opts_of[r.path], keys, unsafe, write, collect_diff)
            continue
        path = Path(r.path)
        try:
            original = engine.read_source(r.path)
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
        for _ in range(MAX_FIX_PASSES):
            taken, deferred, bad = plan_fixes(current, result.findings, unsafe)
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
            # loop until stable: the next pass redoes deferred (overlapping) fixes
        else:
            left = [f for f in result.findings if f.fix is not None and (f.fix.safe or unsafe)]
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
        if write:
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
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        return None
    finally:
        os.close(fd)


def _encoding_of(data: bytes) -> str:
    import tokenize
    from io import BytesIO

    enc, _ = tokenize.detect_encoding(BytesIO(data).readline)
    return "utf-8-sig" if enc == "utf-8-sig" else enc
