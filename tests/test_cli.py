"""The `pglint check` command as a user sees it: output, exit status, selection, noqa,
file discovery, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD = """\
import torch

def train(model):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
CLEAN = """\
import torch

def train(model):
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
TYPO = """\
import torch
opt = torch.optim.AdamW([{"params": model.parameters(), "learning_rate": 1e-3}])
"""


def test_findings_exit_1_with_location_and_help(project, run_cli):
    project("train.py", BAD)
    code, out, err = run_cli("check", "train.py", cwd=project.root)
    assert code == 1
    first, help_line = out.splitlines()[:2]
    assert first.startswith("train.py:6:36: PG002 ")
    assert "'params' (model.parameters(), line 4) was already consumed at line 5" in first
    assert help_line == "  help: materialize it once: params = list(model.parameters())"
    assert "Found 1 finding in 1 file" in err


def test_clean_exit_0(project, run_cli):
    project("train.py", CLEAN)
    code, out, err = run_cli("check", ".", cwd=project.root)
    assert (code, out) == (0, "")
    assert "All checks passed" in err


def test_bare_invocation_means_check(project, run_cli):
    project("train.py", BAD)
    assert run_cli("train.py", cwd=project.root)[0] == 1


def test_json_output(project, run_cli):
    project("train.py", BAD)
    code, out, _ = run_cli("check", "--output-format", "json", "train.py", cwd=project.root)
    assert code == 1
    [f] = json.loads(out)
    for key in ("code", "name", "severity", "message", "filename", "line", "column",
                "end_line", "end_column", "help", "fix"):
        assert key in f
    assert (f["code"], f["name"], f["severity"], f["line"], f["column"]) == (
        "PG002", "one-shot-iterable-reused", "error", 6, 36)
    assert f["fix"]["applicability"] == "safe"


@pytest.mark.parametrize("fmt", ["github", "sarif", "concise"])
def test_other_formats(project, run_cli, fmt):
    project("train.py", BAD)
    code, out, _ = run_cli("check", "--output-format", fmt, "train.py", cwd=project.root)
    assert code == 1 and "PG002" in out
    if fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"][0]["ruleId"] == "PG002"
    if fmt == "github":
        assert out.startswith("::error file=train.py,line=6,col=36")


def test_select_and_ignore_by_prefix(project, run_cli):
    project("train.py", BAD + TYPO)
    assert {l.split()[1] for l in run_cli("check", "--select", "PG00", "train.py",
                                          cwd=project.root)[1].splitlines()
            if not l.startswith(" ")} == {"PG002", "PG004"}
    code, out, _ = run_cli("check", "--ignore", "PG002", "train.py")
    assert "PG002" not in out and "PG004" in out and code == 1
    code, out, _ = run_cli("check", "--select", "PG004", "--ignore", "PG00", "train.py")
    assert code == 1 and "PG004" in out and "PG002" not in out  # the longer prefix wins
    code, out, _ = run_cli("check", "--select", "PG00", "--ignore", "PG0", "train.py")
    assert (code, out) == (1, out) and "PG004" in out  # PG00 is longer than PG0
    code, out, _ = run_cli("check", "--select", "PG0", "--ignore", "PG00", "train.py")
    assert (code, out) == (0, "")
    code, out, err = run_cli("check", "--select", "PG999", "train.py")
    assert code == 2 and "unknown code" in err


def test_noqa(project, run_cli):
    src = BAD.replace("1.0)", "1.0)  # noqa: PG002")
    project("a.py", src)
    project("b.py", BAD.replace("1.0)", "1.0)  # noqa"))
    project("c.py", BAD.replace("1.0)", "1.0)  # noqa: PG004"))
    code, out, _ = run_cli("check", ".", cwd=project.root)
    assert code == 1
    assert [l.split(":")[0] for l in out.splitlines() if not l.startswith(" ")] == ["c.py"]


def test_config_ignore_per_file_and_extra_keys(project, run_cli):
    (project.root / "pyproject.toml").write_text(
        "[tool.pglint]\nextra-keys = ['learning_rate']\n"
        "per-file-ignores = { 'legacy/*' = ['PG002'] }\n")
    project("t.py", TYPO)
    project("legacy/old.py", BAD)
    code, out, _ = run_cli("check", ".", cwd=project.root)
    assert (code, out) == (0, "")


def test_bad_config_is_exit_2(project, run_cli):
    (project.root / "pyproject.toml").write_text("[tool.pglint]\nselct = ['PG']\n")
    project("t.py", BAD)
    code, _, err = run_cli("check", ".", cwd=project.root)
    assert code == 2 and "unknown [tool.pglint] option(s): selct" in err


def test_unreadable_files_exit_2_and_others_still_checked(project, run_cli):
    project("good.py", BAD)
    project("broken.py", "import torch.optim\ndef f(:\n    pass\n")
    project("binary.py", "", raw=b"\x00\x01optim\x02\xff")
    project("latin.py", "", raw=b"# -*- coding: ascii -*-\nimport torch.optim  # caf\xe9\n")
    code, out, err = run_cli("check", ".", cwd=project.root)
    assert code == 2
    assert "good.py:6:36: PG002" in out  # the other files are still reported
    assert "broken.py: syntax error at 2:7" in err
    assert "binary.py: binary file" in err
    assert "latin.py: cannot decode it as ascii" in err
    assert "3 files could not be checked" in err


def test_other_encodings_and_bom(project, run_cli):
    project("l1.py", "", raw="# -*- coding: latin-1 -*-\n# café\n".encode("latin-1")
            + BAD.encode())
    project("bom.py", "", raw=b"\xef\xbb\xbf" + BAD.encode())
    code, out, _ = run_cli("check", ".", cwd=project.root)
    assert code == 1
    assert "bom.py:6:36: PG002" in out and "l1.py:8:36: PG002" in out


def test_huge_file_is_refused_clearly(project, run_cli, monkeypatch):
    from pglint.static import engine

    monkeypatch.setattr(engine, "MAX_BYTES", 1000)
    project("big.py", "import torch\n" + "x = 1  # optim\n" * 200)
    code, _, err = run_cli("check", "big.py", cwd=project.root)
    assert code == 2 and "too large" in err


def test_missing_path_exit_2(project, run_cli):
    code, _, err = run_cli("check", "nope.py", cwd=project.root)
    assert code == 2 and "nope.py: no such file or directory" in err


def test_discovery_skips_venv_gitignore_and_excludes(project, run_cli):
    root = project.root
    (root / "pyproject.toml").write_text("[tool.pglint]\nexclude = ['generated/']\n")
    project("src/train.py", BAD)
    project(".venv/lib/x.py", BAD)
    project("env2/pyvenv.cfg", "home = /usr\n")
    project("env2/lib/y.py", BAD)
    project("generated/z.py", BAD)
    project("ignored/w.py", BAD)
    (root / ".gitignore").write_text("ignored/\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    code, out, _ = run_cli("check", ".", cwd=root)
    files = {l.split(":")[0] for l in out.splitlines() if not l.startswith(" ")}
    assert files == {"src/train.py"}


def test_parallel_matches_serial(project, run_cli):
    for i in range(40):
        project(f"m{i:02d}.py", BAD if i % 3 == 0 else CLEAN)
    serial = run_cli("check", "--jobs", "1", ".", cwd=project.root)[1]
    parallel = run_cli("check", "--jobs", "2", ".", cwd=project.root)[1]
    assert serial == parallel and serial.count("PG002") == 14


def test_explain_and_rules(run_cli):
    code, out, _ = run_cli("explain", "pg003")
    assert code == 0 and out.startswith("# PG003 duplicate-parameters")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## Fix safety", "## Options"):
        assert heading in out
    code, out, _ = run_cli("rules")
    assert code == 0 and len(out.splitlines()) >= 18
    assert run_cli("explain", "PG999")[0] == 2


def test_python_m_and_no_torch(project):
    """The static pass works without torch: importing it is blocked in the child."""
    project("train.py", BAD)
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from pglint.cli import main\n"
        "rc = main(['check', '--quiet', 'train.py'])\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "sys.exit(rc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "-c", code], cwd=project.root, capture_output=True,
                       text=True, env=env)
    assert r.returncode == 1, r.stderr
    assert "PG002" in r.stdout
    r = subprocess.run([sys.executable, "-m", "pglint", "check", "train.py"], cwd=project.root,
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "PG002" in r.stdout


def test_named_ignored_directory_is_checked_and_its_own_reads_count(project, run_cli):
    root = project.root
    (root / ".gitignore").write_text("vendor/\n")
    project("vendor/t.py", "import torch\nmodel = torch.nn.Linear(2, 2)\n"
                          "opt = torch.optim.SGD(model.parameters, lr=0.1)\n")
    project("vendor/opt.py", """\
    import torch
    class MyOpt(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-3):
            super().__init__(params, dict(lr=lr))
        def step(self):
            for group in self.param_groups:
                for p, n in zip(group["params"], group["names"]):
                    p.data.add_(p.grad, alpha=-group["lr"])
    def build(model):
        named = list(model.named_parameters())
        return MyOpt([{"params": [p for _, p in named], "names": [n for n, _ in named]}])
    """)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    code, out, _ = run_cli("check", "vendor", cwd=root)
    assert code == 1
    assert [line.split()[1] for line in out.splitlines() if not line.startswith(" ")] == ["PG007"]


def test_lambda_is_not_an_optimizer(project, run_cli):
    project("t.py", """\
    import torch
    from torchvision import transforms
    snapshot = transforms.Lambda(model.parameters)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    """)
    assert run_cli("check", "t.py", cwd=project.root)[:2] == (0, "")


def test_extend_select_adds_to_the_configured_selection(project, run_cli):
    (project.root / "pyproject.toml").write_text("[tool.pglint]\nselect = ['PG004']\n")
    project("train.py", BAD + TYPO)
    out = run_cli("check", "train.py", cwd=project.root)[1]
    assert "PG004" in out and "PG002" not in out
    out = run_cli("check", "--extend-select", "PG002", "train.py")[1]
    assert "PG004" in out and "PG002" in out
