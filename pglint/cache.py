"""The result cache: a file whose bytes, pglint and settings are unchanged is not checked again.

Stored like ruff's: ``.pglint_cache/`` at the project root, git-ignored by its own
``.gitignore`` (``*``).  Each checked file's result is one small file named by a key
hashed from the file's bytes, its kind (``.py`` / ``.ipynb``), pglint's version and code,
and every setting the per-file check reads (``engine.Options``).  What is decided later
from project-wide knowledge (PG004's "is this key read anywhere", per-file-ignores) is
applied after the cache, so a cached result holds PG004 findings still pending.  Cached
findings keep their fixes' edits: the key covers the exact bytes the offsets point into.

PG004's project scan is cached too: one index per project of each file's key reads,
reused while the file's size and modification time are unchanged, so a pre-commit run on
one file does not re-read the project.

Entries are pickles read back by an unpickler that accepts only pglint's own result
classes (``_ALLOWED``): a crafted file in a checked repository's ``.pglint_cache/`` cannot
make pglint call anything.  Concurrent runs are safe: every entry is written to a temporary file and moved into
place with ``os.replace``; readers see a whole entry or none.  Anything unreadable or
corrupt is a miss, never an error; a cache that cannot be written is silently skipped.
``--no-cache`` or ``PGLINT_NO_CACHE=1`` turn it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import fields, replace
from pathlib import Path

DIRNAME = ".pglint_cache"
_fingerprint: str | None = None
# the only globals an entry may name: the result values pglint itself writes
_ALLOWED = frozenset({
    ("pglint.static.engine", "FileResult"), ("pglint.static.engine", "Pending"),
    ("pglint.finding", "Finding"), ("pglint.finding", "Fix"), ("pglint.finding", "Edit"),
    ("pglint.static.keyreads", "KeyReads"),
    ("pglint.static.project", "Summary"), ("pglint.static.project", "Returned"),
    ("pglint.static.project", "GroupShape"), ("pglint.static.project", "NOT_LITERAL"),
    ("builtins", "set"), ("builtins", "frozenset"),
})


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a pglint result")
        return super().find_class(module, name)


def _load(f):
    return _Unpickler(f).load()


def disabled_by_env() -> bool:
    return os.environ.get("PGLINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def fingerprint() -> str:
    """pglint's version and the size and mtime of its own modules: an edited pglint (a
    development install) never reads results an older one wrote."""
    global _fingerprint
    if _fingerprint is None:
        import pglint

        h = hashlib.blake2b(pglint.__version__.encode(), digest_size=16)
        base = Path(pglint.__file__).parent
        for p in sorted(base.rglob("*.py")) + sorted(base.rglob("*.json")):
            try:
                st = p.stat()
            except OSError:
                continue
            h.update(f"{p.relative_to(base)}:{st.st_size}:{st.st_mtime_ns};".encode())
        _fingerprint = pglint.__version__ + "-" + h.hexdigest()[:16]
    return _fingerprint


def settings_key(options) -> str:
    """Every field of ``options``, in a stable spelling (sets sorted)."""
    from pglint.static import prefilter

    parts = [f"prefilter={not prefilter.disabled()}"]
    for f in fields(options):
        v = getattr(options, f.name)
        if isinstance(v, (set, frozenset)):
            v = sorted(v)
        parts.append(f"{f.name}={v!r}")
    return ";".join(parts)


class Cache:
    """The cache of one project root."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.dir = self.root / DIRNAME
        self.entries = self.dir / fingerprint()
        self._ready: bool | None = None
        self.hits = self.misses = 0

    def _prepare(self) -> bool:
        if self._ready is None:
            try:
                self.entries.mkdir(parents=True, exist_ok=True)
                ignore = self.dir / ".gitignore"
                if not ignore.exists():
                    _write_atomic(ignore, b"# Automatically created by pglint.\n*\n")
                self._ready = True
            except OSError:
                self._ready = False
        return self._ready

    # -- per-file results -------------------------------------------------------------
    @staticmethod
    def key(data: bytes, path: str, settings: str) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{Path(path).suffix}\0{settings}\0".encode())
        h.update(data)
        return h.hexdigest()

    def get(self, key: str, path: str):
        """The cached FileResult for ``key`` (with ``path`` as its file name), or None."""
        try:
            with open(self.entries / key, "rb") as f:
                result = _load(f)
            if type(result).__name__ != "FileResult":
                raise TypeError("not a result")
            for dep, size, mtime in getattr(result, "depends", ()):
                st = os.stat(dep)  # a project module the check read: unchanged?
                if (st.st_size, st.st_mtime_ns) != (size, mtime):
                    raise ValueError("a module it read has changed")
            if result.path != path:
                result = _renamed(result, path)
        except Exception:  # missing, truncated, from another pglint: a miss
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result) -> None:
        if not self._prepare():
            return
        with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
            _write_atomic(self.entries / key, pickle.dumps(result, pickle.HIGHEST_PROTOCOL))

    # -- PG004's project scan -----------------------------------------------------------
    def load_index(self, name: str = "keyreads") -> dict:
        """An index from the last run: for "keyreads", display path -> (size, mtime_ns,
        scan of that file); for "files-*", absolute path -> ((size, mtime_ns), key)."""
        try:
            with open(self.entries / name, "rb") as f:
                index = _load(f)
            return index if isinstance(index, dict) else {}
        except Exception:
            return {}

    def save_index(self, index: dict, name: str = "keyreads") -> None:
        if not self._prepare():
            return
        with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
            _write_atomic(self.entries / name, pickle.dumps(index, pickle.HIGHEST_PROTOCOL))


def _renamed(result, path: str):
    """A cached result written under another display path (another working directory)."""
    result.findings = [replace(f, filename=path) for f in result.findings]
    result.pending = [replace(p, finding=replace(p.finding, filename=path))
                      for p in result.pending]
    result.path = path
    return result


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cacheable(result) -> bool:
    """Results that depend only on the bytes: clean ones and syntax errors (not read
    failures or internal errors, which may pass)."""
    return result.error is None or result.error.startswith("syntax error")


def check_files(names: list[str], options, jobs, root_of, caches: dict) -> list:
    """``engine.check_files`` with the cache in front: results in input order.

    A file whose size and mtime are what the last run recorded (and older than a couple
    of seconds, so an edit within the clock's resolution cannot hide) is not even read:
    its recorded key, or its recorded "fails the pre-filter", is used.  Other files are
    read here once and hashed; a file that fails the pre-filter needs no entry; only
    misses go to the engine.
    """
    import stat
    import time

    from pglint.static import engine

    settings = settings_key(options)
    index_name = "files-" + hashlib.blake2b(settings.encode(), digest_size=8).hexdigest()
    indexes: dict = {}  # Cache -> (old index, new index)
    trusted = time.time_ns() - 2_000_000_000
    out: dict = {}
    todo: list = []  # (name, cache, key, (size, mtime_ns)) of each miss
    for name in names:
        try:
            st = os.stat(name)
            if not stat.S_ISREG(st.st_mode) or st.st_size > engine.max_bytes(name):
                todo.append((name, None, None, None))  # the engine says what is wrong
                continue
        except (OSError, ValueError):
            todo.append((name, None, None, None))
            continue
        root = root_of(name)
        c = caches.get(root)
        if c is None:
            c = caches[root] = Cache(root)
        if c not in indexes:
            indexes[c] = (c.load_index(index_name), {})
        old, new = indexes[c]
        where = os.path.abspath(name)
        seen = old.get(where)
        stamp = (st.st_size, st.st_mtime_ns)
        if isinstance(seen, tuple) and len(seen) == 2 and seen[0] == stamp:
            if seen[1] is None:  # failed the pre-filter, unchanged since
                new[where] = seen
                out[name] = engine.FileResult(name)
                continue
            hit = c.get(seen[1], name)
            if hit is not None:
                new[where] = seen
                out[name] = hit
                continue
        try:
            data = engine.read_source(name)
        except (OSError, ValueError):
            todo.append((name, None, None, None))  # the engine says what is wrong
            continue
        key = None
        if engine.needs_check(data, name, options):
            key = Cache.key(data, name, settings)
        if st.st_mtime_ns < trusted:
            new[where] = (stamp, key)
        if key is None:
            out[name] = engine.FileResult(name)
            continue
        hit = c.get(key, name)
        if hit is not None:
            out[name] = hit
            continue
        todo.append((name, c, key, stamp))
    from pglint.static import project

    project.STORE = True  # imported helpers' summaries are kept beside the results
    try:
        checked = engine.check_files([t[0] for t in todo], options, jobs) if todo else []
    finally:
        project.STORE = False
    for (name, c, key, before), r in zip(todo, checked):
        if c is not None and cacheable(r) and _unchanged(name, before):
            c.put(key, r)
        elif c is not None:
            indexes[c][1].pop(os.path.abspath(name), None)  # not stored: read it next time
        out[name] = r
    for c, (old, new) in indexes.items():
        merged = {**old, **new}
        if merged != old:
            c.save_index(merged, index_name)
    return [out[n] for n in names]


def _unchanged(name: str, before) -> bool:
    """The file was not rewritten while it was being checked (else the entry could pair
    the old bytes' key with the new bytes' result)."""
    try:
        st = os.stat(name)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == before
