"""Rule docs: every code has its page under the six headings; the static examples work.

For each code the static pass reports ("static" or "both"), the Example must make the
static checker report that code and Use instead must not.  Runtime-only codes
(PG101-PG108) have their examples run by tests/test_runtime_docs.py; here only their
headings are checked.  docs/rules.md must be what scripts/gen_docs.py generates.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pglint import codes, docs
from pglint.static import engine

ROOT = Path(__file__).resolve().parent.parent
# PG000 is no rule: its Example is a file that does not parse (test_unreadable_doc_page)
STATIC = sorted(c.code for c in codes.CODES.values()
                if c.scope in ("static", "both") and c.code != codes.UNREADABLE)
RUNTIME = sorted(c.code for c in codes.CODES.values() if c.scope == "runtime")
HEADINGS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options"]


def headings(code: str) -> list[str]:
    return re.findall(r"^## (.+?)\s*$", docs.text(code), flags=re.MULTILINE)


def reported(source: str) -> set[str]:
    """Codes the static checker reports for a snippet; pending PG004 findings count."""
    result = engine.check_source(source, "example.py", engine.Options())
    assert result.error is None, result.error
    return {f.code for f in result.findings} | {p.finding.code for p in result.pending}


def check_page(code: str) -> None:
    text = docs.text(code)
    first = text.splitlines()[0]
    assert first == f"# {code} {codes.get(code).name}"
    assert headings(code) == HEADINGS
    for name, body in docs.sections(code).items():
        assert body.strip(), f"{code}: section '{name}' is empty"


@pytest.mark.parametrize("code", STATIC)
def test_static_doc_page(code: str):
    check_page(code)


@pytest.mark.parametrize("code", STATIC)
def test_static_doc_example_triggers(code: str):
    example = docs.example(code, "Example")
    assert "import torch" in example
    got = reported(example)
    assert code in got, f"{code}: Example reports {sorted(got)}"


@pytest.mark.parametrize("code", STATIC)
def test_static_doc_use_instead_is_clean(code: str):
    fixed = docs.example(code, "Use instead")
    assert "import torch" in fixed
    got = reported(fixed)
    assert code not in got, f"{code}: Use instead still reports {sorted(got)}"
    assert not got, f"{code}: Use instead reports other codes {sorted(got)}"


@pytest.mark.parametrize("code", STATIC)
def test_fix_safety_matches_code_table(code: str):
    c = codes.get(code)
    fix_text = docs.sections(code)["Fix safety"]
    if c.fix == "none":
        assert fix_text.startswith("No fix")
    else:
        assert fix_text.lower().startswith(f"{c.fix} fix"), fix_text


def test_unreadable_doc_page():
    code = codes.UNREADABLE
    check_page(code)
    broken = engine.check_source(docs.example(code, "Example"), "example.py", engine.Options())
    assert broken.error and broken.error.startswith("syntax error at 5:")
    assert reported(docs.example(code, "Use instead")) == set()
    assert docs.sections(code)["Fix safety"].startswith("No fix")


@pytest.mark.parametrize("code", RUNTIME)
def test_runtime_doc_page_headings(code: str):
    if not (docs.DOCS_DIR / f"{code}.md").is_file():
        pytest.skip(f"{code}.md not written yet")
    check_page(code)


def test_docs_rules_md_is_generated():
    missing = [c for c in codes.CODES if not (docs.DOCS_DIR / f"{c}.md").is_file()]
    assert not missing, f"rule docs missing: {missing}"
    path = ROOT / "docs" / "rules.md"
    assert path.is_file(), "run python scripts/gen_docs.py"
    assert path.read_text(encoding="utf-8") == docs.render_all(), (
        "docs/rules.md is stale: run python scripts/gen_docs.py")


def test_gen_docs_check_mode():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
