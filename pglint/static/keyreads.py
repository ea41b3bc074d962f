"""Which group keys a project reads: ``group["lr_scale"]``, ``g.get("name")``.

A text scan, no parse: it runs over every file of the project (not only the files a
pre-commit run passes) so PG004's answer does not depend on which files were given.
A read inside an Optimizer subclass counts for that class only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_READ = re.compile(
    r"""(?P<base>[A-Za-z_][\w.]*(?:\[[^\[\]\n]*\])*)\s*"""
    r"""(?:\[\s*(?P<q>['"])(?P<k1>\w+)(?P=q)\s*\](?!\s*=(?!=))"""
    r"""|\.(?:get|pop|setdefault)\(\s*['"](?P<k2>\w+)['"])"""
)
_LOOP = re.compile(r"\bfor\s+([\w\s,()]+?)\s+in\s+[^\n]*param_groups")
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

    def is_read(self, key: str, file: str | None = None, cls: str | None = None) -> bool:
        if key in self.anywhere:
            return True
        return cls is not None and key in self.by_class.get((file, cls), ())


def _groupish(base: str, loop_vars: set) -> bool:
    if "param_groups[" in base:
        return True
    last = re.sub(r"\[.*", "", base).split(".")[-1]
    return bool(_GROUPISH.search(last)) or last in loop_vars


def scan(text: str, file: str) -> KeyReads:
    out = KeyReads()
    if "[" not in text and ".get(" not in text:
        return out
    loop_vars = {n for target in _LOOP.findall(text) for n in re.findall(r"\w+", target)}
    opt_classes: set[str] = set()
    stack: list[tuple[int, str | None]] = []  # (indent, optimizer class name or None)
    for line in text.splitlines():
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        while stack and indent <= stack[-1][0]:
            stack.pop()
        m = _CLASS.match(line)
        if m is not None:
            bases = m.group("bases") or ""
            is_opt = bool(_OPT_BASE.search(bases)) or any(
                re.search(rf"\b{re.escape(c)}\b", bases) for c in opt_classes)
            if is_opt:
                opt_classes.add(m.group("name"))
            stack.append((indent, m.group("name") if is_opt else None))
            continue
        if ("'" not in stripped and '"' not in stripped) or (
                "[" not in stripped and "(" not in stripped):
            continue  # no quoted key can be read on this line: skip the regex
        owner = next((c for _, c in reversed(stack) if c is not None), None)
        for r in _READ.finditer(stripped):
            key = r.group("k1") or r.group("k2")
            if owner is not None:
                out.by_class.setdefault((file, owner), set()).add(key)
            elif _groupish(r.group("base"), loop_vars):
                out.anywhere.add(key)
    return out
