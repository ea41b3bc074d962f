"""PG004 and the classes that read group keys (pglint/static/keyreads.py): a key read in
the methods of an optimizer class counts for that class and for its subclasses in the
file, never for an unrelated optimizer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pglint.static import check

CLASSES = """\
import torch
from torch.optim import Optimizer


class Reading(Optimizer):
    def clip(self):
        for group in self.param_groups:
            if (cap := group.get("grad_cap")) is not None:
                torch.nn.utils.clip_grad_norm_(group["params"], cap)


class Mid(Reading):
    pass


class Leaf(torch.optim.AdamW, Mid):
    pass


class Other(torch.optim.AdamW):
    pass


class Loop(torch.optim.SGD, Loop2):  # noqa: F821  (bases that name each other)
    pass


class Loop2(Loop):
    pass
"""


def _pg004(tmp_path: Path, built: str) -> list:
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    f = tmp_path / "train.py"
    f.write_text(CLASSES + textwrap.dedent(f"""
        model = torch.nn.Linear(2, 2)
        opt = {built}([{{"params": model.parameters(), "grad_cap": 1.0}}], lr=0.1)
        """))
    run, _ = check.run([str(f)], cache=False)
    return [x.message for x in run.findings if x.code == "PG004"]


@pytest.mark.parametrize("built", ["Leaf", "Mid"])
def test_a_key_read_by_a_base_class_is_read_by_its_subclasses(tmp_path, built):
    assert _pg004(tmp_path, built) == []


@pytest.mark.parametrize("built", ["Other", "torch.optim.AdamW", "Loop"])
def test_a_key_read_by_an_unrelated_class_is_not_read(tmp_path, built):
    assert [m.split(" is never")[0] for m in _pg004(tmp_path, built)] == ["group key 'grad_cap'"]
