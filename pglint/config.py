"""``[tool.pglint]`` in the project's pyproject.toml.

    [tool.pglint]
    select = ["PG"]            # codes or prefixes
    ignore = ["PG004"]
    extend-select = []
    exclude = ["build/", "legacy/*.py"]   # glob patterns, relative to the project root
    extend-exclude = []
    extra-keys = ["lr_scale"]  # group keys your code or a framework reads (PG004)
    per-file-ignores = { "tests/*" = ["PG003"] }
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


def load(root: Path, explicit: Path | None = None) -> Config:
    cfg = Config(root=root)
    path = explicit or root / "pyproject.toml"
    if not path.is_file():
        if explicit is not None:
            raise ConfigError(f"{path}: no such config file")
        return cfg
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    table = data.get("tool", {}).get("pglint") if path.name == "pyproject.toml" else data
    if not table:
        return cfg
    unknown = set(table) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown [tool.pglint] option(s): {', '.join(sorted(unknown))}")
    cfg.source = path

    def strings(name):
        v = table.get(name, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{path}: [tool.pglint] {name} must be a list of strings")
        return v

    if "select" in table:
        cfg.select = strings("select")
    cfg.select = cfg.select + strings("extend-select")
    cfg.ignore = strings("ignore")
    cfg.exclude = strings("exclude") + strings("extend-exclude")
    cfg.extra_keys = frozenset(strings("extra-keys"))
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{path}: [tool.pglint] per-file-ignores must be a table")
    # a string value is one pattern, never its characters ({"*" = "P"} is not P, G, ...)
    cfg.per_file_ignores = {k: [v] if isinstance(v, str) else list(v) for k, v in pfi.items()}
    bad = codes.unknown_patterns(cfg.select + cfg.ignore
                                 + [c for v in cfg.per_file_ignores.values() for c in v])
    if bad:
        raise ConfigError(f"{path}: unknown code(s) in [tool.pglint]: {', '.join(bad)}")
    return cfg
