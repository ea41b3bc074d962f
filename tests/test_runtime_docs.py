"""Every runtime-only code's docs: the Example reports the code, Use instead does not."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from pglint import codes

DOCS = Path(__file__).resolve().parents[1] / "pglint" / "rule_docs"
# runtime-only codes that pglint.audit reports (a cross-rank code needs several processes)
AUDITED = {f"PG10{i}" for i in range(1, 9)}
# PG105 is "both": the static pass reports it too (tests/test_docs.py), the audit here
RUNTIME = sorted(c.code for c in codes.CODES.values()
                 if c.scope in ("runtime", "both") and c.code in AUDITED)
# codes only pglint.watch reports: the snippet trains a few steps under `watch = pglint.watch(...)`
WATCHED = ["PG110"]
HEADINGS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options"]


def sections(code: str) -> dict[str, str]:
    text = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    assert first == f"# {code} {codes.get(code).name}"
    parts = re.split(r"^## (.+)$", rest, flags=re.MULTILINE)
    found = dict(zip(parts[1::2], parts[2::2]))
    assert list(found) == HEADINGS
    return found


def snippet(body: str) -> str:
    blocks = re.findall(r"^```python\n(.*?)^```$", body, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, body
    return blocks[0]


def run(code_text: str):
    from pglint import audit

    ns: dict = {"__name__": "pglint_doc_example", "print": lambda *a, **k: None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code_text, "<doc>", "exec"), ns)  # noqa: S102 (the docs' own snippets)
    if "watch" in ns:
        return ns["watch"].report()
    optimizers = ns["optimizers"] if "optimizers" in ns else ns["optimizer"]
    return audit(ns["model"], optimizers)


def test_runtime_codes_have_docs():
    assert [f"PG10{i}" for i in range(1, 9)] == RUNTIME
    assert all(codes.get(c).scope == "runtime" for c in WATCHED)
    for code in RUNTIME + WATCHED:
        s = sections(code)
        assert s["What it does"].strip() and s["Why is this bad?"].strip()
        assert s["Fix safety"].strip().startswith("No fix")


@pytest.mark.parametrize("code", RUNTIME + WATCHED)
def test_doc_examples(code):
    pytest.importorskip("torch")
    s = sections(code)
    bad = run(snippet(s["Example"]))
    assert code in [f.code for f in bad.findings], f"{code} Example:\n{bad}"
    good = run(snippet(s["Use instead"]))
    assert code not in [f.code for f in good.findings], f"{code} Use instead:\n{good}"
