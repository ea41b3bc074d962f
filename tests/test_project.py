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
    read = {Path(k[0]).name for k in project._MEMO if Path(k[0]).parent == tmp_path.resolve()}
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
