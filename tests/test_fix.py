"""`pglint check --fix / --diff / --unsafe-fixes`: what changes, what does not, twice."""

from __future__ import annotations

import ast

import libcst as cst

MIXED = """\
import torch


def train(model, loader):
    head = torch.nn.Linear(4, 2)
    # a comment that must survive
    params = model.backbone.parameters()  # trailing comment
    for p in model.head.parameters():
        p.require_grad = False
    opt = torch.optim.SGD(params, lr=0.1)
    sched_opt = torch.optim.AdamW(head.parameters, lr=1e-3)
    groups = torch.optim.AdamW([{"params": model.body.parameters(), "learning_rate": 1e-3}])
    for batch in loader:
        torch.nn.utils.clip_grad_norm_(params, 1.0)
"""

FIXED = """\
import torch


def train(model, loader):
    head = torch.nn.Linear(4, 2)
    # a comment that must survive
    params = list(model.backbone.parameters())  # trailing comment
    for p in model.head.parameters():
        p.requires_grad = False
    opt = torch.optim.SGD(params, lr=0.1)
    sched_opt = torch.optim.AdamW(head.parameters(), lr=1e-3)
    groups = torch.optim.AdamW([{"params": model.body.parameters(), "learning_rate": 1e-3}])
    for batch in loader:
        torch.nn.utils.clip_grad_norm_(params, 1.0)
"""


def codes_of(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if line and not line.startswith(" ")]


def test_fix_mixed_file_safe_only(project, run_cli):
    f = project("train.py", MIXED)
    code, out, err = run_cli("check", "train.py", cwd=project.root)
    assert sorted(codes_of(out)) == ["PG002", "PG004", "PG007", "PG010"]
    code, out, err = run_cli("check", "--fix", "train.py")
    assert f.read_text() == FIXED
    assert codes_of(out) == ["PG004"]  # the unsafe rename is not applied without the flag
    assert code == 1 and "Fixed 3 findings" in err
    ast.parse(f.read_text())
    # idempotent: a second run changes nothing
    code, out, err = run_cli("check", "--fix", "train.py")
    assert f.read_text() == FIXED and "Fixed" not in err


def test_unsafe_fixes(project, run_cli):
    f = project("train.py", MIXED)
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "train.py", cwd=project.root)
    assert code == 0 and out == ""
    assert '"lr": 1e-3}' in f.read_text()
    assert f.read_text() == FIXED.replace('"learning_rate"', '"lr"')


def test_diff_writes_nothing(project, run_cli):
    f = project("train.py", MIXED)
    code, out, err = run_cli("check", "--diff", "train.py", cwd=project.root)
    assert f.read_text() == MIXED
    assert code == 1
    assert "-    params = model.backbone.parameters()  # trailing comment" in out
    assert "+    params = list(model.backbone.parameters())  # trailing comment" in out
    assert "+        p.requires_grad = False" in out


def test_pg002_fix_only_when_every_use_accepts_a_list(project, run_cli):
    src = """\
    import torch
    def f(model):
        params = model.parameters()
        first = next(params)
        opt = torch.optim.SGD(params, lr=0.1)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
    """
    f = project("t.py", src)
    before = f.read_text()
    code, out, _ = run_cli("check", "--fix", "t.py", cwd=project.root)
    assert f.read_text() == before  # next(params) needs an iterator: no fix offered
    assert codes_of(out) == ["PG002"] and "[*]" not in out


def test_fix_rechecks_clean_for_the_rule(project, run_cli):
    src = """\
    import torch
    import itertools
    def f(a, b):
        both = itertools.chain(a.parameters(), b.parameters())
        opt = torch.optim.Adam(both)
        total = sum(p.numel() for p in both)
        for p in a.parameters():
            p.requires_gradient = False
    """
    f = project("t.py", src)
    run_cli("check", "--fix", "t.py", cwd=project.root)
    text = f.read_text()
    cst.parse_module(text)
    assert "both = list(itertools.chain(a.parameters(), b.parameters()))" in text
    assert "p.requires_grad = False" in text
    assert run_cli("check", "t.py")[0] == 0


def test_pg001_rename_is_unsafe(project, run_cli):
    src = """\
    import torch
    opt = torch.optim.SGD([{"param": model.parameters(), "lr": 0.1}])
    """
    f = project("t.py", src)
    code, out, _ = run_cli("check", "--fix", "t.py", cwd=project.root)
    assert code == 1 and codes_of(out) == ["PG001"] and "'params' instead of 'param'" in out
    assert '"param":' in f.read_text()  # not applied without --unsafe-fixes
    code, out, _ = run_cli("check", "--fix", "--unsafe-fixes", "t.py")
    assert code == 0 and '{"params": model.parameters(), "lr": 0.1}' in f.read_text()
