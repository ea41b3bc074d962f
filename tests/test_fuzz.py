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
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fuzzing

REGRESSIONS = Path(__file__).parent / "data" / "fuzz_regressions"


# no shrinking: a failing program is printed whole; `scripts/fuzz.py --minimize FILE`
# reduces it far faster than shrinking the random draws behind it
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(rng=st.randoms(use_true_random=False), unsafe=st.booleans())
def test_generated_programs_keep_every_property(rng, unsafe):
    source = fuzzing.program(rng)
    assert fuzzing.compiles(source), "the grammar wrote invalid Python:\n" + source
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


def test_grammar_reaches_every_fixable_rule():
    """The generator is worth running only if its programs hit the rules that fix things."""
    seen = set()
    for seed in range(150):
        source = fuzzing.program(random.Random(seed))
        result = fuzzing.check_text(source)
        seen |= {f.code for f in result.findings if f.fix is not None}
    assert {"PG001", "PG002", "PG004", "PG007", "PG010"} <= seen, seen


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.py")), ids=lambda p: p.name)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fuzz_regression(path, unsafe, tmp_path):
    source = path.read_bytes().decode("utf-8")
    assert fuzzing.problems(source, tmp_path, unsafe=unsafe) == []
