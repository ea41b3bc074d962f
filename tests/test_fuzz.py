"""Property-based fuzzing of the static pass and its fixes (a small, derandomised budget).

Programs come from the grammar in ``tests/fuzzing.py``; the properties are listed in its
docstring.  ``scripts/fuzz.py --minutes 30`` runs the same check for as long as asked;
every program it ever found failing is kept in ``tests/data/fuzz_regressions/``.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
import fuzzing
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

REGRESSIONS = Path(__file__).parent / "data" / "fuzz_regressions"


# no shrinking: a failing program is printed whole; `scripts/fuzz.py --minimize FILE`
# reduces it far faster than shrinking the random draws behind it
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(rng=st.randoms(use_true_random=False), unsafe=st.booleans())
def test_generated_programs_keep_every_property(rng, unsafe):
    source = fuzzing.program(rng)
    with tempfile.TemporaryDirectory() as d:
        assert fuzzing.problems(source, Path(d), unsafe=unsafe) == [], source


FIXTURES = sorted((Path(__file__).parents[1] / "fixtures").rglob("*.py"))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(rng=st.randoms(use_true_random=False), which=st.integers(0, len(FIXTURES) - 1),
       unsafe=st.booleans())
def test_mutated_fixtures_keep_every_property(rng, which, unsafe):
    source = fuzzing.mutant(rng, FIXTURES[which].read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as d:
        assert fuzzing.problems(source, Path(d), unsafe=unsafe) == [], source


def test_grammar_writes_python_and_reaches_every_fixable_rule():
    """The generator is worth running only if its programs are Python and hit the rules
    that fix things."""
    seen = set()
    for seed in range(150):
        source = fuzzing.program(random.Random(seed))
        try:  # valid Python, but for integer literals over Python's digit limit
            compile(source, "<fuzz>", "exec", dont_inherit=True)
        except SyntaxError as e:
            assert "Exceeds the limit" in str(e), (e, source)
        result = fuzzing.check_text(source)
        seen |= {f.code for f in result.findings if f.fix is not None}
    assert {"PG001", "PG002", "PG004", "PG007", "PG010"} <= seen, seen


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.py")), ids=lambda p: p.name)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fuzz_regression(path, unsafe, tmp_path):
    source = path.read_bytes().decode("utf-8")
    assert fuzzing.problems(source, tmp_path, unsafe=unsafe) == []


def test_fix_python_refuses_is_not_written(project, run_cli, monkeypatch):
    """The re-check parses with libcst, which accepts what Python refuses (a repeated
    keyword argument); a fixed text that no longer compiles is never written."""
    from pglint.static import check

    src = ("import torch\nmodel = torch.nn.Linear(2, 2)\n"
           "model.weight.require_grad = False\nf(a=1, b=2)\n")
    f = project("train.py", src)
    real = check.splice

    def repeated_keyword(text, edits):
        return real(text, edits).replace("f(a=1, b=2)", "f(a=1, a=2)")

    monkeypatch.setattr(check, "splice", repeated_keyword)
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "train.py",
                                cwd=project.root)
    assert f.read_text() == src and "Fixed" not in err and "PG010" in out
    monkeypatch.setattr(check, "splice", real)
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "train.py",
                                cwd=project.root)
    assert "requires_grad = False" in f.read_text() and "Fixed 1 finding" in err


def test_form_feed_and_line_separators_keep_noqa_on_its_line():
    source = (REGRESSIONS / "form_feed_line_start.py").read_text(encoding="utf-8")
    found = [(f.code, f.line) for f in fuzzing.check_text(source).findings]
    assert ("PG010", 8) not in found  # its own noqa, after a line holding U+2028
    assert ("PG010", 9) in found



DEEP = ("import torch\nx = " + "(" * 150 + "1" + ")" * 150
        + "\nm = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(m.parameters, lr=1)\n")


def _check_in_daemon(path, queue):
    from pglint.static import engine

    r = engine.check_file(path, engine.Options())
    queue.put((r.error, [f.code for f in r.findings]))


def test_a_deep_file_checked_inside_a_daemonic_process(tmp_path):
    """A file deep enough for a child process, checked where no child may start (a
    multiprocessing pool worker): checked in-process, not an AssertionError."""
    import multiprocessing as mp

    from pglint.static import engine

    assert engine._suspicious(DEEP.encode())  # the file does take the child-process path
    path = tmp_path / "deep.py"
    path.write_text(DEEP)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_check_in_daemon, args=(str(path), queue), daemon=True)
    proc.start()
    error, found = queue.get(timeout=120)
    proc.join(30)
    assert error is None and found == ["PG007"]


def test_form_feed_in_nested_indentation_is_checked_not_declined():
    source = (REGRESSIONS / "form_feed_nested_indent.py").read_text(encoding="utf-8")
    result = fuzzing.check_text(source)
    assert result.error is None
    assert sorted((f.code, f.line, f.fix is not None) for f in result.findings) == [
        ("PG007", 12, True), ("PG010", 9, True)]
