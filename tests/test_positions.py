"""The engine's node positions equal libcst's PositionProvider for every node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from pglint.static import positions

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "pglint").rglob("*.py"))
ODD = [
    "",
    "# only a comment",
    "x = 1",  # no final newline
    "x = 1\r\ny = [\r\n  2,\r\n]\r\n",
    "x = 1\ry = 2\r",
    "if x:\n\tif y:\n\t\tz = 'é𝄞'; w = 2  # tabs, astral\n",
    "@dec\n@dec2(a,\n      b)\nclass A(B, metaclass=M):\n    '''doc'''\n\n\n    def f(self, *a, **k) -> int: return (yield)\n",
    "a = b \\\n    + c\nf(x for x in y)\nlambda: (await z)\n",
    "with (open(a) as f, open(b) as g):\n    pass\nmatch p:\n    case {'k': [1, *r]}: pass\n",
    "s = f'{x!r:>{w}} {y=}'\nt = rb'\\d' b'x'\n",
]


def _compare(text: str) -> int:
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = positions.resolve(module)
    assert isinstance(got, positions._Positions)  # not the fallback
    for node, rng in expected.items():
        assert got[node] == rng, (type(node).__name__, rng, got[node])
    return len(expected)


@pytest.mark.parametrize("text", ODD)
def test_odd_sources(text):
    _compare(text)


def test_every_fixture_and_pglint_module():
    nodes = sum(_compare(p.read_text(encoding="utf-8")) for p in SOURCES)
    assert len(SOURCES) > 100 and nodes > 10_000
