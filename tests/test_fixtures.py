"""Every fixture's findings equal the ``# expect: PGxxx`` markers written in it.

``fixtures/<code>/bad_*.py`` mark each expected finding on the reported line;
``good_*.py`` (and ``fixtures/textbook/``) carry no markers and must stay silent for
every rule.  ``fixtures/`` is its own project (``fixtures/pyproject.toml``), so PG004
resolves group-key reads across the fixtures only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pglint import codes
from pglint.static import check

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>PG\d{3}(?:\s*,\s*PG\d{3})*)")
# PG000 (a file that cannot be parsed) has no fixtures: tests/test_report.py covers it
STATIC_CODES = sorted(c.code for c in codes.CODES.values()
                      if c.scope in ("static", "both") and c.code != codes.UNREADABLE)
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


def expected(path: Path) -> set[tuple[int, str]]:
    out = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _EXPECT.search(line)
        if m is not None:
            out.update((lineno, c.strip()) for c in m.group("codes").split(","))
    return out


def _id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def test_fixtures_exist():
    assert (FIXTURES / "pyproject.toml").is_file()
    assert FIXTURE_FILES


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_id)
def test_fixture(path: Path):
    want = expected(path)
    if path.name.startswith("bad_"):
        assert want, f"{_id(path)}: a bad fixture must mark at least one '# expect: PGxxx'"
    if path.name.startswith("good_"):
        assert not want, f"{_id(path)}: a good fixture must not carry '# expect:' markers"
    run, missing = check.run([str(path)])
    assert not missing
    assert not run.errors, [r.error for r in run.errors]
    got = {(f.line, f.code) for f in run.findings}
    messages = "\n".join(f"  {f.line}: {f.code} {f.message}" for f in run.findings)
    assert got == want, (
        f"{_id(path)}\n  missing: {sorted(want - got)}\n  unexpected: {sorted(got - want)}\n"
        f"pglint printed:\n{messages}"
    )


@pytest.mark.parametrize("code", STATIC_CODES)
def test_every_static_code_has_bad_and_good_fixtures(code: str):
    folder = FIXTURES / code
    bad = sorted(folder.glob("bad_*.py"))
    good = sorted(folder.glob("good_*.py"))
    assert bad, f"no fixtures/{code}/bad_*.py"
    assert good, f"no fixtures/{code}/good_*.py"
    assert any(code in {c for _, c in expected(p)} for p in bad), (
        f"no bad fixture of {code} expects {code}")


def test_textbook_examples_present():
    names = {p.name for p in (FIXTURES / "textbook").glob("good_*.py")}
    assert {"good_two_linear_lrs.py", "good_conv_linear_weight_decay.py",
            "good_embedding_lstm_optimizer_per_group.py"} <= names


def test_whole_fixtures_folder_matches_markers():
    """Checking the folder at once (one project, shared PG004 key reads) gives the same."""
    want = {(_id(p), line, c) for p in FIXTURE_FILES for line, c in expected(p)}
    run, missing = check.run([str(FIXTURES)])
    assert not missing
    got = {(_id(Path(f.filename).resolve()), f.line, f.code) for f in run.findings}
    assert got == want, (f"missing: {sorted(want - got)}\nunexpected: {sorted(got - want)}")


def test_extra_keys_allow_list_silences_pg004(tmp_path: Path):
    """An allow-listed key (extra-keys in [tool.pglint]) is not reported."""
    (tmp_path / "pyproject.toml").write_text('[tool.pglint]\nextra-keys = ["ema_decay"]\n')
    src = (
        "import torch\n"
        "model = torch.nn.Linear(4, 4)\n"
        "opt = torch.optim.AdamW([{'params': model.parameters(), 'ema_decay': 0.99}])\n"
    )
    (tmp_path / "train.py").write_text(src)
    run, _ = check.run([str(tmp_path / "train.py")])
    assert [f.code for f in run.findings] == []
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\nextra-keys = []\n")
    run, _ = check.run([str(tmp_path / "train.py")])
    assert [(f.line, f.code) for f in run.findings] == [(3, "PG004")]
