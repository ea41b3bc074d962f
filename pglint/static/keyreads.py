"""Which group keys a project reads: ``group["lr_scale"]``, ``g.get("name")``.

A text scan, no parse: it runs over every file of the project (not only the files a
pre-commit run passes) so PG004's answer does not depend on which files were given.
A read inside an Optimizer subclass counts for that class only.

Every file of a project passes through here, so the scan is linear on any input: lines
are pre-checked for cheap substrings, the key-read pattern starts only where a name
starts (no quadratic retries inside a long dotted name), and loop targets are paired
with their ``in`` by a token scan, not a backtracking pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pglint.static.lines import split_lines

_READ = re.compile(
    r"""(?<![\w.\]])(?P<base>[A-Za-z_][\w.]*(?:\[[^\[\]\n]*\])*)\s*"""
    r"""(?:\[\s*(?P<q>['"])(?P<k1>\w+)(?P=q)\s*\](?!\s*=(?!=))"""
    r"""|\.(?:get|pop|setdefault)\(\s*['"](?P<k2>\w+)['"])"""
)
_FOR_IN = re.compile(r"\b(?:for|in)\b")
_TARGET = re.compile(r"[\w\s,()]+")
_CLASS = re.compile(r"^(?P<indent>[ \t]*)class\s+(?P<name>\w+)\s*(?:\((?P<bases>[^)]*)\))?\s*:")
_GROUPISH = re.compile(r"(?i)group|^(g|pg|grp|gp)$")
_OPT_BASE = re.compile(r"Optim|\b(Adam\w*|SGD|RMSprop|Adagrad|Adadelta|Adamax|NAdam|RAdam|"
                       r"Rprop|ASGD|LBFGS|SparseAdam|Adafactor|Muon)\b")


@dataclass
class KeyReads:
    anywhere: set = field(default_factory=set)  # keys read outside Optimizer subclasses
    by_class: dict = field(default_factory=dict)  # (file, class) -> keys read in its methods

    def update(self, other: KeyReads) -> None:
        self.anywhere |= other.anywhere
        for k, v in other.by_class.items():
            self.by_class.setdefault(k, set()).update(v)

    def is_read(self, key: str, file: str | None = None, classes: tuple = ()) -> bool:
        """Read anywhere, or in the methods of one of ``classes`` (of ``file``)."""
        if key in self.anywhere:
            return True
        return any(key in self.by_class.get((file, c), ()) for c in classes)


def _groupish(base: str, loop_vars: set) -> bool:
    if "param_groups[" in base:
        return True
    last = re.sub(r"\[.*", "", base).split(".")[-1]
    return bool(_GROUPISH.search(last)) or last in loop_vars


def _loop_vars(lines: list[str]) -> set:
    """Names bound by ``for TARGET in ...param_groups...`` (target and iterable on one line)."""
    out: set = set()
    for line in lines:
        if "param_groups" not in line or "for" not in line:
            continue
        last = line.rfind("param_groups")
        start = None
        for m in _FOR_IN.finditer(line):
            if m.group() == "for":
                start = m.end()
            elif start is not None:
                target = line[start:m.start()]
                if last > m.end() and _TARGET.fullmatch(target):
                    out.update(re.findall(r"\w+", target))
                start = None
    return out


def scan(text: str, file: str) -> KeyReads:
    out = KeyReads()
    if "[" not in text and ".get(" not in text and ".pop(" not in text \
            and ".setdefault(" not in text:
        return out
    lines = split_lines(text)
    loop_vars = _loop_vars(lines)
    opt_classes: set[str] = set()
    stack: list[tuple[int, str | None]] = []  # (indent, optimizer class name or None)
    for line in lines:
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        while stack and indent <= stack[-1][0]:
            stack.pop()
        m = _CLASS.match(line) if "class" in line else None
        if m is not None:
            bases = m.group("bases") or ""
            is_opt = bool(_OPT_BASE.search(bases)) or any(
                re.search(rf"\b{re.escape(c)}\b", bases) for c in opt_classes)
            if is_opt:
                opt_classes.add(m.group("name"))
            stack.append((indent, m.group("name") if is_opt else None))
            continue
        if ("[" not in stripped and "." not in stripped
                or "'" not in stripped and '"' not in stripped):
            continue  # a key read needs a subscript or a method call, and a quoted key
        owner = next((c for _, c in reversed(stack) if c is not None), None)
        for r in _READ.finditer(stripped):
            key = r.group("k1") or r.group("k2")
            if owner is not None:
                out.by_class.setdefault((file, owner), set()).add(key)
            elif _groupish(r.group("base"), loop_vars):
                out.anywhere.add(key)
    return out
