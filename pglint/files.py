"""Which files a check reads: the given files, and the .py and .ipynb files under given
directories.

Directories skip version-control folders, virtualenvs, caches and build output, the
project's ``exclude`` patterns, and whatever ``.gitignore`` ignores (asked of git
itself, ``git ls-files --others --exclude-standard``, so its rules are git's own).

Only regular files are returned (a FIFO named ``x.py`` would block a read); symlinked
directories are not followed (a link into the tree or a loop is never walked twice), and
a path that cannot be resolved (a symlink loop) never raises.  Every git call runs with
``core.fsmonitor`` and hooks switched off: the checked repository's ``.git/config``
must not make ``pglint check`` run a command.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from fnmatch import fnmatch
from pathlib import Path

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
     ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", "build", "dist",
     ".eggs", ".ipynb_checkpoints"}
)


def excluded(rel: str, patterns: list[str]) -> bool:
    """gitignore-like: 'build/' matches a directory anywhere on the path, globs match the
    relative path or any of its components."""
    parts = rel.split("/")
    for pat in patterns:
        p = pat.strip().rstrip("/")
        if not p:
            continue
        if "/" in p.strip("/"):
            p = p.lstrip("/")
            if fnmatch(rel, p) or fnmatch(rel, p + "/*"):
                return True
        elif any(fnmatch(part, p.lstrip("/")) for part in parts):
            return True
    return False


def force_excluded(path: Path, root: Path, patterns: list[str]) -> bool:
    """--force-exclude: a file named on the command line (or --stdin-filename) that a
    directory walk from ``root`` would skip: an ``exclude`` pattern or a skipped folder."""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # outside the project: its patterns do not apply
        return False
    return excluded(rel, patterns) or any(
        part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.split("/")[:-1])


def _skip_dir(d, name: str) -> bool:
    return (name in SKIP_DIRS or name.endswith(".egg-info")
            or os.path.exists(os.path.join(d, name, "pyvenv.cfg")))


# a repository's config may name commands git runs (core.fsmonitor, hooks): never here
GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


# path -> its resolved form, while a run holds `resolving_once()` (None: not cached)
_resolved: dict | None = None


@contextlib.contextmanager
def resolving_once():
    """Within the block, each path (and each file's directory) is resolved once: a
    whole-tree run resolves thousands of files, each several times, in a few directories.
    Outside it (the language server, which lives while files move) every call asks the
    file system."""
    global _resolved
    outer = _resolved
    if outer is None:
        _resolved = {}
    try:
        yield
    finally:
        _resolved = outer


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or its absolute form when it cannot be resolved (a loop)."""
    cache = _resolved
    if cache is None:
        return _resolve(path)
    key = os.fspath(path)
    got = cache.get(key)
    if got is None:
        got = cache[key] = _resolve(path, cache)
    return got


def resolved_cwd() -> Path:
    """The working directory, resolved (once per run while ``resolving_once()`` holds)."""
    cache = _resolved
    if cache is None:
        return _resolve(Path.cwd())
    got = cache.get(("cwd",))
    if got is None:
        got = cache[("cwd",)] = _resolve(Path.cwd())
    return got


def seed_resolved(name: str, real: Path) -> None:
    """Record that ``name`` resolves to ``real`` (a name derived from ``real``, such as its
    path relative to the resolved working directory), while ``resolving_once()`` holds."""
    if _resolved is not None:
        _resolved.setdefault(name, real)


def _resolve(path: Path, dirs: dict | None = None) -> Path:
    try:
        if dirs is not None:
            # a file that is no link resolves to its resolved directory plus its name
            # (not so across "..", which resolve() takes after the links before it)
            s = os.fspath(path)
            full = os.path.abspath(s)
            if ".." not in s.split(os.sep) and not os.path.islink(full):
                head, tail = os.path.split(full)
                if tail:
                    real = dirs.get((head,))
                    if real is None:
                        real = dirs[(head,)] = os.path.realpath(head)
                    return Path(real, tail)
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def _regular(p, skipped: list | None, *parts: str) -> bool:
    """A regular file (never opened here); others are noted in ``skipped`` (as
    ``Path(*parts)`` when given, else ``p``)."""
    try:
        if stat.S_ISREG(os.stat(p).st_mode):
            return True
    except (OSError, ValueError):
        pass
    if skipped is not None:
        skipped.append(Path(*parts) if parts else p)
    return False


def _git_files(directory: Path, skipped: list | None = None) -> list[Path] | None:
    try:
        out = subprocess.run(
            [*GIT, "-C", str(directory), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", "."],
            capture_output=True, timeout=60, check=True, stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = []
    for raw in out.split(b"\0"):
        if raw.endswith((b".py", b".ipynb")):
            p = directory / os.fsdecode(raw)
            if _regular(p, skipped):
                files.append(p)
    return files


def _walk(directory: Path, skipped: list | None = None) -> list[Path]:
    files = []
    # followlinks=False: a symlinked directory (a loop, or a link into the tree) is not
    # descended, so every directory is visited once
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames[:] = sorted(n for n in dirnames if not _skip_dir(dirpath, n))
        files.extend(Path(dirpath, f) for f in sorted(filenames)
                     if f.endswith((".py", ".ipynb"))
                     and _regular(os.path.join(dirpath, f), skipped, dirpath, f))
    return files


def python_files(directory: Path, root: Path, exclude: list[str],
                 skipped: list | None = None) -> list[Path]:
    """``.py`` regular files under ``directory``; other ``.py`` entries (FIFOs, sockets,
    broken links) go to ``skipped`` when it is given."""
    directory = safe_resolve(directory)
    root = safe_resolve(root)
    in_git = (root / ".git").exists() or _in_git(directory)
    # a directory the user names is checked even when git ignores it as a whole
    found = _git_files(directory, skipped) if in_git and not _git_ignored(directory) else None
    if found is None:
        found = _walk(directory, skipped)
    out = []
    skip_cache: dict = {}
    for f in found:
        parts = _rel(f, directory).split("/")[:-1]
        d, skip = os.fspath(directory), False
        for part in parts:
            key = (d, part)
            if key not in skip_cache:
                skip_cache[key] = _skip_dir(d, part)
            if skip_cache[key]:
                skip = True
                break
            d = os.path.join(d, part)
        if skip:
            continue
        if excluded(_rel(f, root), exclude):
            continue
        out.append(f)
    return sorted(set(out))


def _git_ignored(directory: Path) -> bool:
    try:
        return subprocess.run([*GIT, "-C", str(directory), "check-ignore", "-q", "."],
                              capture_output=True, timeout=30,
                              stdin=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _in_git(directory: Path) -> bool:
    return any((d / ".git").exists() for d in (directory, *directory.parents))


def _rel(path: Path, base: Path) -> str:
    return relative_posix(safe_resolve(path), base) or path.as_posix()


def relative_posix(real: Path, base: Path) -> str | None:
    """``real.relative_to(base).as_posix()``, or None when ``real`` is not under ``base``.

    Both are resolved paths; the common case is a prefix of the string (a whole-tree run
    asks it several times per file, and pathlib's parsing is most of planning's time)."""
    r, b = os.fspath(real), os.fspath(base)
    if r == b:
        return "."
    head = b if b.endswith(os.sep) else b + os.sep
    if r.startswith(head):
        rest = r[len(head):]
        return rest.replace(os.sep, "/") if os.sep != "/" else rest
    try:
        return real.relative_to(base).as_posix()
    except ValueError:
        return None
