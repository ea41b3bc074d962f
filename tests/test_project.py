"""Helpers imported from the project's other modules (pglint/static/project.py)."""

from __future__ import annotations

import os
from pathlib import Path

from pglint.static import check, project

MAIN = (
    "import torch\n"
    "from helpers import count\n"
    "def build(model):\n"
    "    params = model.parameters()\n"
    "    count(params)\n"
    "    return torch.optim.SGD(params, lr=0.1)\n"
)


def _project(tmp_path: Path, helper_body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    (tmp_path / "helpers.py").write_text(f"def count(params):\n{helper_body}")
    (tmp_path / "unrelated.py").write_text("def count(params):\n    return sum(1 for _ in params)\n")
    (tmp_path / "train.py").write_text(MAIN)
    return tmp_path / "train.py"


def _findings(path: Path) -> list:
    run, _ = check.run([str(path)])
    return [(f.line, f.code) for f in run.findings]


def test_only_imported_modules_are_read(tmp_path: Path):
    main = _project(tmp_path, "    return sum(p.numel() for p in params)\n")
    assert _findings(main) == [(6, "PG002")]
    read = {Path(k[0]).name for k, functions in project._MEMO.items()
            if "" in functions and Path(k[0]).parent == tmp_path.resolve()}
    assert read == {"helpers.py"}  # never the module nobody imports


def test_edited_helper_is_read_again(tmp_path: Path):
    main = _project(tmp_path, "    return sum(p.numel() for p in params)\n")
    assert _findings(main) == [(6, "PG002")]
    helper = tmp_path / "helpers.py"
    helper.write_text("def count(params):\n    return len(params)\n")  # no longer iterates
    st = helper.stat()
    os.utime(helper, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert _findings(main) == []


def test_helper_iterating_only_sometimes_is_silent(tmp_path: Path):
    main = _project(tmp_path, "    if params is None:\n        return 0\n"
                              "    return sum(1 for _ in params)\n")
    assert _findings(main) == []


GROUPS = (
    "def get_groups(model, lr=0.1, **overrides):\n"
    "    decay = [p for p in model.parameters() if p.ndim >= 2]\n"
    "    return [{'params': decay, 'learning_rate': lr, **overrides}]\n"
)


def _package(tmp_path: Path, helper: str, main: str) -> Path:
    """pkg/util/groups.py holding ``helper``, pkg/train.py holding ``main``."""
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    util = tmp_path / "pkg" / "util"
    util.mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (util / "__init__.py").write_text("")
    (util / "groups.py").write_text(helper)
    (tmp_path / "pkg" / "train.py").write_text(main)
    return tmp_path / "pkg" / "train.py"


def test_returned_groups_reach_the_optimizer_through_every_import_form(tmp_path: Path):
    main = _package(tmp_path, GROUPS, (
        "import torch\n"
        "from .util.groups import get_groups\n"
        "from .util import groups as g\n"
        "import pkg.util.groups as absolute\n"
        "def build(model):\n"
        "    a = torch.optim.AdamW(get_groups(model))\n"
        "    b = torch.optim.AdamW(g.get_groups(model))\n"
        "    c = torch.optim.AdamW(absolute.get_groups(model))\n"
        "    return a, b, c\n"))
    run, _ = check.run([str(main)])
    assert [(f.line, f.code) for f in run.findings] == [(6, "PG004"), (7, "PG004"), (8, "PG004")]
    f = run.findings[0]
    assert "'learning_rate' (written at util/groups.py:3)" in f.message
    assert "did you mean 'lr'" in f.message and "util/groups.py:3" in f.help
    assert f.fix is None  # the key is written in another file: no edit at the call


def test_callers_keywords_flow_into_the_helpers_overrides(tmp_path: Path):
    main = _package(tmp_path, GROUPS, (
        "import torch\n"
        "from .util.groups import get_groups\n"
        "def build(model):\n"
        "    return torch.optim.SGD(get_groups(model, lr=0.1, momentum=-1, nesterov=1), lr=0.1)\n"))
    run, _ = check.run([str(main)])
    got = sorted((f.line, f.column, f.code) for f in run.findings)
    # 'learning_rate' at the call; 'momentum=-1' at the caller's own keyword, once
    assert [c for _, _, c in got] == ["PG004", "PG005"]
    assert got[1][1] > got[0][1]
    assert "lr" not in {f.message.split("'")[1] for f in run.findings}  # a named parameter


def test_helper_with_two_returns_or_no_group_is_silent(tmp_path: Path):
    main = _package(tmp_path, (
        "def get_groups(model, fast):\n"
        "    if fast:\n"
        "        return [{'params': model.parameters(), 'learning_rate': 1.0}]\n"
        "    return list(model.parameters())\n"
        "def plain(model):\n"
        "    return list(model.parameters())\n"), (
        "import torch\n"
        "from .util.groups import get_groups, plain\n"
        "def build(model):\n"
        "    return torch.optim.AdamW(get_groups(model, True)), torch.optim.AdamW(plain(model))\n"))
    assert _findings(main) == []


def test_module_that_spells_no_group_key_is_not_parsed(tmp_path: Path):
    main = _package(tmp_path, "def scale(x):\n    return 2 * x\n", (
        "import torch\n"
        "from .util.groups import scale\n"
        "def build(model):\n"
        "    return torch.optim.AdamW(model.parameters(), lr=scale(1e-3))\n"))
    assert _findings(main) == []
    parsed = [k for k, functions in project._MEMO.items() if "" in functions
              and Path(k[0]) == (tmp_path / "pkg" / "util" / "groups.py").resolve()]
    assert not parsed


def test_helper_group_without_params_is_reported_at_the_call(tmp_path: Path):
    # (a function is read for its groups only when its own text spells a group key: here
    # the head's group, beside the misspelt one)
    main = _package(tmp_path, (
        "def get_groups(model):\n"
        "    return [{'params': model.head.parameters()},\n"
        "            {'param': list(model.body.parameters()), 'lr': 0.1}]\n"), (
        "import torch\n"
        "from .util.groups import get_groups\n"
        "def build(model):\n"
        "    return torch.optim.SGD(get_groups(model), lr=0.1)\n"))
    run, _ = check.run([str(main)])
    assert [(f.line, f.code) for f in run.findings] == [(4, "PG001")]
    assert "built at util/groups.py:3" in run.findings[0].message
    assert "instead of 'param'" in run.findings[0].message and run.findings[0].fix is None


def test_summaries_are_kept_in_the_cache_for_the_next_run(tmp_path: Path):
    main = _package(tmp_path, GROUPS, (
        "import torch\n"
        "from .util.groups import get_groups\n"
        "def build(model):\n"
        "    return torch.optim.AdamW(get_groups(model))\n"))
    first, _ = check.run([str(main)])
    assert [f.code for f in first.findings] == ["PG004"]
    project._MEMO.clear()  # a new process: only the disk holds the summary
    main.write_text(main.read_text() + "# edited\n")  # the checked file changed
    calls = []
    real = project._summarise
    project._summarise = lambda *a: calls.append(a) or real(*a)
    try:
        second, _ = check.run([str(main)])
        assert [f.message for f in second.findings] == [f.message for f in first.findings]
        assert calls == []  # the helper was not interpreted again
        project._MEMO.clear()
        helper = tmp_path / "pkg" / "util" / "groups.py"
        helper.write_text(GROUPS.replace("'learning_rate'", "'lr'"))
        st = helper.stat()
        os.utime(helper, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        third, _ = check.run([str(main)])
        assert third.findings == [] and len(calls) == 1  # an edited helper is read again
    finally:
        project._summarise = real
