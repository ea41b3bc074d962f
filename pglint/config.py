"""``[tool.pglint]`` in the project's pyproject.toml.

    [tool.pglint]
    select = ["PG"]            # codes or prefixes
    ignore = ["PG004"]
    extend-select = []
    exclude = ["build/", "legacy/*.py"]   # glob patterns, relative to the project root
    extend-exclude = []
    extra-keys = ["lr_scale"]  # group keys your code or a framework reads (PG004)
    per-file-ignores = { "tests/*" = ["PG003"] }

Every value has a checked type: the lists are lists of strings (a bare string is an
error, never split into characters), ``per-file-ignores`` is a table of lists.  A wrong
type or an unknown key is a one-line ``ConfigError`` naming the key (exit 2).

``--config FILE`` reads either a ``[tool.pglint]`` table (a file with a ``[tool]`` table)
or, in any other file, the top-level table itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pglint import codes

ROOT_MARKERS = ("pyproject.toml", ".git")
_KNOWN = {"select", "ignore", "extend-select", "exclude", "extend-exclude", "extra-keys",
          "per-file-ignores"}


class ConfigError(Exception):
    pass


@dataclass
class Config:
    root: Path
    select: list = field(default_factory=lambda: ["PG"])
    ignore: list = field(default_factory=list)
    exclude: list = field(default_factory=list)
    extra_keys: frozenset = field(default_factory=frozenset)
    per_file_ignores: dict = field(default_factory=dict)
    source: Path | None = None
    table: str | None = None  # which table of ``source`` was read

    def ignored_in_file(self, code: str, relpath: str) -> bool:
        """per-file-ignores: patterns are globs on the path relative to the project root."""
        from fnmatch import fnmatch

        return any(fnmatch(relpath, pattern) and codes.matches(code, ignored)
                   for pattern, ignored in self.per_file_ignores.items())


def find_root(path: Path) -> Path | None:
    """The nearest directory at or above ``path`` holding a pyproject.toml or .git."""
    from pglint.files import safe_resolve

    p = safe_resolve(path)
    if not p.is_dir():
        p = p.parent
    for d in (p, *p.parents):
        if any((d / m).exists() for m in ROOT_MARKERS):
            return d
    return None


def _type_name(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "float", list: "array",
            dict: "table"}.get(type(v), type(v).__name__)


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (for messages)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return path


def load(root: Path, explicit: Path | None = None) -> Config:
    cfg = Config(root=root)
    path = _shown(explicit or root / "pyproject.toml")
    if not path.is_file():
        if explicit is not None:
            raise ConfigError(f"{path}: no such config file")
        return cfg
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    if "tool" in data or path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("pglint") if isinstance(tool, dict) else None
        where = "[tool.pglint]"
    else:  # --config other.toml holding the settings at top level
        table, where = data, "top-level table"
    if table is None:
        return cfg
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pglint] must be a table, got {_type_name(table)}")
    cfg.source, cfg.table = path, where
    if not table:
        return cfg
    unknown = set(table) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown {where} option(s): {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KNOWN))})")

    def strings(name, value=None, key=None):
        v = table.get(name, []) if key is None else value
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            label = name if key is None else f'{name}."{key}"'
            got = _type_name(v) if not isinstance(v, list) else "array with " + ", ".join(
                sorted({_type_name(x) for x in v if not isinstance(x, str)})) + " item(s)"
            hint = f' (write ["{v}"])' if isinstance(v, str) else ""
            raise ConfigError(f"{path}: {where} {label} must be an array of strings, "
                              f"got {got}{hint}")
        return v

    if "select" in table:
        cfg.select = strings("select")
    cfg.select = cfg.select + strings("extend-select")
    cfg.ignore = strings("ignore")
    cfg.exclude = strings("exclude") + strings("extend-exclude")
    cfg.extra_keys = frozenset(strings("extra-keys"))
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{path}: {where} per-file-ignores must be a table of "
                          f"pattern = [codes], got {_type_name(pfi)}")
    cfg.per_file_ignores = {k: list(strings("per-file-ignores", v, k)) for k, v in pfi.items()}
    bad = codes.unknown_patterns(cfg.select + cfg.ignore
                                 + [c for v in cfg.per_file_ignores.values() for c in v])
    if bad:
        raise ConfigError(f"{path}: unknown code(s) in {where}: {', '.join(bad)}")
    return cfg
