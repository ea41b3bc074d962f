"""Rule docs: one markdown file per code in ``pglint/rule_docs``, the single source for
``pglint explain``, ``pglint rules`` and the generated ``docs/rules.md``."""

from __future__ import annotations

import re
from pathlib import Path

from pglint import codes

DOCS_DIR = Path(__file__).with_name("rule_docs")
# the generated docs/rules.md as users browse it; anchor(code) names a rule's heading there
RULES_URL = "https://github.com/pglint/pglint/blob/main/docs/rules.md"
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options")
_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def text(code: str) -> str:
    return (DOCS_DIR / f"{code}.md").read_text(encoding="utf-8")


def sections(code: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current = None
    for line in text(code).splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = ""
        elif current is not None:
            out[current] += line + "\n"
    return {k: v.strip() for k, v in out.items()}


def example(code: str, section: str) -> str:
    """The python code block of the Example or Use instead section."""
    m = _FENCE.search(sections(code)[section])
    if m is None:
        raise ValueError(f"{code}: '{section}' has no ```python block")
    return m.group(1)


def anchor(code: str) -> str:
    """The anchor of a code's heading ``# PG002 one-shot-iterable-reused`` in docs/rules.md
    (GitHub's slug: lowercase, spaces to hyphens)."""
    return f"{code.lower()}-{codes.get(code).name}"


def url(code: str) -> str:
    return f"{RULES_URL}#{anchor(code)}"


def render_all() -> str:
    head = ["# pglint rules", "",
            "Generated from `pglint/rule_docs/` by `python scripts/gen_docs.py`; "
            "`pglint explain CODE` prints the same text.", "",
            "| code | name | severity | where | fix | summary |",
            "|---|---|---|---|---|---|"]
    for c in codes.CODES.values():
        head.append(f"| [{c.code}](#{anchor(c.code)}) | {c.name} | {c.severity} | "
                    f"{c.scope} | {c.fix} | {c.summary} |")
    body = [text(c).rstrip() + "\n" for c in codes.CODES]
    return "\n".join(head) + "\n\n" + "\n".join(body)
