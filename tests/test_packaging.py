"""pglint as users get it: the built wheel installed (no -e) into a fresh virtualenv with only
its declared dependencies, and the real `pre-commit try-repo` against this checkout.

These tests need the package index (pip installs libcst, torch's dependencies, pre-commit's
hook environment).  They are skipped only when pip's own output says it could not reach the
index; any other failure fails the test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # the local CPU wheel (see the Makefile); never another version

# what pip prints when it cannot reach the index (DNS, no route, refused, proxy)
OFFLINE_SIGNS = (
    "Failed to establish a new connection", "Temporary failure in name resolution",
    "Name or service not known", "Network is unreachable", "No route to host",
    "Connection refused", "ProxyError", "Could not fetch URL", "ConnectTimeoutError",
    "Read timed out",
)

BAD = """\
import torch

def train(model):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
GOOD = BAD.replace("params = model.parameters()", "params = list(model.parameters())")
FACTORY = """\
import torch
from torch import nn

def build():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    opt = torch.optim.AdamW([{"params": model.parameters(), "learning_rate": 1e-4}],
                            lr=3e-4, weight_decay=0.0)
    return model, opt
"""


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
           and not k.startswith("GIT_") and not k.startswith("PRE_COMMIT")}
    env.update(extra)
    return env


def _run(cmd, cwd: Path, env: dict | None = None, timeout: int = 900):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or _clean_env(),
                          capture_output=True, text=True, timeout=timeout)


def _needs_index(proc, what: str) -> None:
    """Fail with pip's output, or skip when that output says the index is unreachable."""
    if proc.returncode == 0:
        return
    out = proc.stdout + proc.stderr
    if any(sign in out for sign in OFFLINE_SIGNS):
        pytest.skip(f"{what}: pip cannot reach the package index (offline)")
    pytest.fail(f"{what} failed (exit {proc.returncode}):\n{out[-4000:]}")


def _tracked(prefix: str = "") -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard", "--", prefix or "."],
                         capture_output=True, check=True).stdout
    return sorted(p for p in os.fsdecode(out).split("\0")
                  if p and (ROOT / p).is_file())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of this checkout's files (not from the tree itself, so
    no build/ or egg-info lands in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for rel in _tracked():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                 "--disable-pip-version-check", "-w", out, src], cwd=src)
    _needs_index(proc, "pip wheel")
    [whl] = out.glob("pglint-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh virtualenv with the wheel and its declared dependencies only."""
    home = tmp_path_factory.mktemp("venv")
    proc = _run([sys.executable, "-m", "venv", home / "env"], cwd=home)
    assert proc.returncode == 0, proc.stderr
    env = home / "env"
    proc = _run([env / "bin" / "python", "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", wheel], cwd=home)
    _needs_index(proc, "pip install <wheel>")
    return env


def test_wheel_ships_every_package_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = _tracked("pglint/")
    assert "pglint/catalog.json" in tracked
    missing = [p for p in tracked if p not in names]
    assert missing == [], f"files of pglint/ missing from {wheel.name}: {missing}"


def test_installed_wheel_runs(venv, tmp_path):
    bin_ = venv / "bin"
    # the installed copy is the one that runs, not this checkout
    where = _run([bin_ / "python", "-c", "import pglint; print(pglint.__file__)"], cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve())
    listed = _run([bin_ / "python", "-m", "pip", "list", "--format=freeze"], cwd=tmp_path)
    assert "torch==" not in listed.stdout  # only the declared dependencies

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user'\n")
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    bad = _run([bin_ / "pglint", "check", "bad.py"], cwd=tmp_path)
    print("$ pglint check bad.py   # exit", bad.returncode, "\n" + bad.stdout + bad.stderr)
    assert bad.returncode == 1, bad.stderr
    assert bad.stdout.startswith("bad.py:6:36: PG002 [*] ")
    assert "'params' (model.parameters(), line 4) was already consumed at line 5" in bad.stdout
    assert "Found 1 finding in 1 file" in bad.stderr
    good = _run([bin_ / "pglint", "check", "good.py"], cwd=tmp_path)
    print("$ pglint check good.py  # exit", good.returncode, "\n" + good.stdout + good.stderr)
    assert (good.returncode, good.stdout) == (0, "")
    assert "All checks passed (1 file checked" in good.stderr
    explain = _run([bin_ / "pglint", "explain", "PG002"], cwd=tmp_path)
    assert explain.returncode == 0, explain.stderr
    assert "one-shot-iterable-reused" in explain.stdout and "Fix safety" in explain.stdout
    rules = _run([bin_ / "pglint", "rules"], cwd=tmp_path)
    assert rules.returncode == 0 and "PG109" in rules.stdout
    # without the [runtime] extra the audit says what to install, no traceback
    (tmp_path / "train.py").write_text(FACTORY)
    no_torch = _run([bin_ / "pglint", "audit", "train:build"], cwd=tmp_path)
    assert no_torch.returncode == 2
    assert "Traceback" not in no_torch.stderr and "torch" in no_torch.stderr


def test_installed_wheel_audits_with_torch(venv, tmp_path):
    bin_ = venv / "bin"
    # a real install of the pinned local torch wheel into the same venv (numpy left out on
    # purpose: the audit must stay free of torch's "Failed to initialize NumPy" warning)
    proc = _run([bin_ / "python", "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", TORCH], cwd=tmp_path)
    _needs_index(proc, f"pip install {TORCH}")
    (tmp_path / "train.py").write_text(FACTORY)
    api = _run([bin_ / "python", "-c", textwrap.dedent("""\
        import pglint, train
        model, opt = train.build()
        report = pglint.audit(model, opt)
        print(sorted({f.code for f in report.findings}), report.ok)
        """)], cwd=tmp_path)
    assert api.returncode == 0, api.stderr
    assert api.stdout.strip() == "['PG004'] False"
    cli = _run([bin_ / "pglint", "audit", "train:build"], cwd=tmp_path)
    print("$ pglint audit train:build  # exit", cli.returncode, "\n" + cli.stdout + cli.stderr)
    assert cli.returncode == 1, cli.stderr
    assert cli.stdout.startswith("AdamW: 1 group, 4 tensors")
    assert "group key 'learning_rate' in group 0" in cli.stdout
    assert "NumPy" not in cli.stderr and "Warning" not in cli.stderr


# --- pre-commit -------------------------------------------------------------------------


def _pre_commit() -> list:
    exe = Path(sys.executable).with_name("pre-commit")
    if exe.exists():
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is not installed: pip install -e '.[dev]' (make test does)")
    return [sys.executable, "-m", "pre_commit"]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_pre_commit_try_repo(tmp_path):
    """The real pre-commit installs this checkout's hooks (pip, as for any user) and runs
    them on the files it names: the bad file fails, the good and the excluded ones pass,
    pglint-fix rewrites the bad file, after which it passes."""
    repo = tmp_path / "user-repo"
    repo.mkdir()
    env = _clean_env(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_AUTHOR_NAME="pglint test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="pglint test", GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_COLOR="never",
    )
    (repo / "pyproject.toml").write_text('[tool.pglint]\nexclude = ["legacy/"]\n')
    (repo / "bad.py").write_text(BAD)
    (repo / "good.py").write_text(GOOD)
    (repo / "legacy").mkdir()
    (repo / "legacy" / "old.py").write_text(BAD)
    for cmd in (["git", "init", "-q"], ["git", "add", "."]):
        assert _run(cmd, cwd=repo, env=env).returncode == 0

    def try_repo(hook: str, *files: str):
        proc = _run([*_pre_commit(), "try-repo", ROOT, hook, "--verbose", "--color", "never",
                     "--files", *files], cwd=repo, env=env)
        out = proc.stdout + proc.stderr
        print(f"$ pre-commit try-repo <checkout> {hook} --files {' '.join(files)}  "
              f"# exit {proc.returncode}\n{out}")
        if proc.returncode not in (0, 1) or "An unexpected error" in out:
            _needs_index(proc, "pre-commit try-repo")
        return proc.returncode, out

    code, out = try_repo("pglint", "bad.py", "good.py", "legacy/old.py")
    assert code == 1
    assert "pglint" in out and "Failed" in out
    assert "bad.py:6:36: PG002 [*]" in out
    assert "good.py" not in out.split("Failed", 1)[1]
    assert "legacy/old.py" not in out  # exclude holds for the files pre-commit passes

    code, out = try_repo("pglint", "good.py", "legacy/old.py")
    assert code == 0 and "Passed" in out

    before = _sha(repo / "bad.py")
    code, out = try_repo("pglint-fix", "bad.py", "legacy/old.py")
    assert code == 1 and "files were modified by this hook" in out
    assert _sha(repo / "bad.py") != before
    assert "params = list(model.parameters())" in (repo / "bad.py").read_text()
    assert (repo / "legacy" / "old.py").read_text() == BAD  # excluded: untouched
    code, out = try_repo("pglint-fix", "bad.py")
    assert code == 0 and "Passed" in out


def test_only_an_unreachable_index_skips():
    """The offline skip is taken only on pip's own network errors; other failures fail."""
    def proc(code: int, err: str):
        return subprocess.CompletedProcess([], code, "", err)

    _needs_index(proc(0, ""), "ok")  # success: neither
    with pytest.raises(pytest.skip.Exception):
        _needs_index(proc(1, "WARNING: Retrying ... NewConnectionError(... Failed to establish "
                             "a new connection: [Errno -3] Temporary failure in name "
                             "resolution')\nERROR: No matching distribution found for "
                             "libcst>=1.5"), "pip install")
    with pytest.raises(pytest.fail.Exception):
        _needs_index(proc(1, "error: subprocess-exited-with-error\nKeyError: 'catalog'"),
                     "pip wheel")
