"""Which files a check reads: the given files, and the .py and .ipynb files under given
directories.

Directories skip version-control folders, virtualenvs, caches and build output, the
project's ``exclude`` patterns, and whatever ``.gitignore`` ignores (asked of git
itself, ``git ls-files --others --exclude-standard``, so its rules are git's own).
"""

from __future__ import annotations

import os
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


def _skip_dir(d: Path, name: str) -> bool:
    return (name in SKIP_DIRS or name.endswith(".egg-info")
            or (d / name / "pyvenv.cfg").exists())


def _git_files(directory: Path) -> list[Path] | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", "."],
            capture_output=True, timeout=60, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = []
    for raw in out.split(b"\0"):
        if raw.endswith((b".py", b".ipynb")):
            p = directory / os.fsdecode(raw)
            if p.is_file():
                files.append(p)
    return files


def _walk(directory: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(directory):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if not _skip_dir(d, n))
        files.extend(d / f for f in sorted(filenames) if f.endswith((".py", ".ipynb")))
    return files


def python_files(directory: Path, root: Path, exclude: list[str]) -> list[Path]:
    directory = directory.resolve()
    root = root.resolve()
    in_git = (root / ".git").exists() or _in_git(directory)
    # a directory the user names is checked even when git ignores it as a whole
    found = _git_files(directory) if in_git and not _git_ignored(directory) else None
    if found is None:
        found = _walk(directory)
    out = []
    skip_cache: dict = {}
    for f in found:
        parts = _rel(f, directory).split("/")[:-1]
        d, skip = directory, False
        for part in parts:
            key = (d, part)
            if key not in skip_cache:
                skip_cache[key] = _skip_dir(d, part)
            if skip_cache[key]:
                skip = True
                break
            d = d / part
        if skip:
            continue
        if excluded(_rel(f, root), exclude):
            continue
        out.append(f)
    return sorted(set(out))


def _git_ignored(directory: Path) -> bool:
    try:
        return subprocess.run(["git", "-C", str(directory), "check-ignore", "-q", "."],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _in_git(directory: Path) -> bool:
    return any((d / ".git").exists() for d in (directory, *directory.parents))


def _rel(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
