"""PG003 agrees with torch: within one optimizer what it reports makes torch raise; across
optimizers torch is silent, which is why PG003 reports it (when both are stepped).

Runs every PG003 fixture that needs nothing but torch.
"""

from __future__ import annotations

import ast
import runpy
import warnings
from pathlib import Path

import pytest

from pglint.static import check

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "PG003"


def _torch_only(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
            for a in n.names}
    mods |= {n.module.split(".")[0] for n in ast.walk(tree)
             if isinstance(n, ast.ImportFrom) and n.module}
    return mods <= {"torch", "itertools", "copy", "collections", "functools"}


RUNNABLE = [p for p in sorted(FIXTURES.glob("*.py")) if _torch_only(p)]


def _findings(path: Path) -> list:
    run, _ = check.run([str(path)])
    return [f for f in run.findings if f.code == "PG003"]


def test_enough_runnable_fixtures():
    within = [p for p in RUNNABLE if any("repeats parameters of group" in f.message
                                         for f in _findings(p))]
    across = [p for p in RUNNABLE if any("updated twice per step" in f.message
                                         for f in _findings(p))]
    assert len(within) >= 3 and len(across) >= 2


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
def test_pg003_fixture_matches_what_torch_does(path: Path):
    found = _findings(path)
    within = [f for f in found if "repeats parameters of group" in f.message]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if within:
            with pytest.raises(ValueError, match="more than one parameter group"):
                runpy.run_path(str(path), run_name="pg003_fixture")
        else:
            # two optimizers over one parameter, or a good fixture: torch builds it silently
            runpy.run_path(str(path), run_name="pg003_fixture")
