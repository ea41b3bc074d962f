"""The result cache (.pglint_cache/): hits, misses and invalidation by content, pglint and
settings; corrupt entries; concurrent runs; fixes and notebooks from cached results;
PG004's cached project scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pglint import cache
from pglint.static import engine
from tests.test_notebook import ACROSS

BAD = """\
import torch

def train(model):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
GOOD = """\
import torch

def train(model):
    return torch.optim.SGD(model.parameters(), lr=0.1)
"""
TYPO = """\
import torch

def train(model):
    return torch.optim.SGD([{"params": model.parameters(), "learning_rate": 2e-5}], lr=0.1)
"""


@pytest.fixture
def engine_calls(monkeypatch):
    """The paths the engine was asked to check (a cache hit never reaches it)."""
    calls: list[str] = []
    real = engine.check_files

    def spy(paths, options, jobs=None):
        calls.extend(paths)
        return real(paths, options, jobs)

    monkeypatch.setattr(engine, "check_files", spy)
    return calls


def entries(root: Path) -> list[Path]:
    return [p for p in (root / cache.DIRNAME).rglob("*") if p.is_file() and p.name != "keyreads"
            and p.name != ".gitignore"]


def test_second_run_reads_the_cache(project, run_cli, engine_calls):
    project("a.py", BAD)
    project("b.py", GOOD)
    first = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    assert sorted(engine_calls) == ["a.py", "b.py"]
    assert (project.root / cache.DIRNAME / ".gitignore").read_text().splitlines()[-1] == "*"
    engine_calls.clear()
    second = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    assert engine_calls == []
    assert second[:2] == first[:2] and first[0] == 1


def test_a_changed_file_is_checked_again(project, run_cli, engine_calls):
    a = project("a.py", BAD)
    project("b.py", GOOD)
    run_cli("check", ".", cwd=project.root)
    engine_calls.clear()
    a.write_text(GOOD + "# changed\n")
    code, out, _ = run_cli("check", ".", cwd=project.root)
    assert engine_calls == ["a.py"]
    assert code == 0 and "PG002" not in out


def test_settings_are_part_of_the_key(project, run_cli, engine_calls):
    project("a.py", BAD + TYPO.split("\n", 2)[2])
    _, out_all, _ = run_cli("check", "--output-format", "concise", ".", cwd=project.root)
    assert "PG002" in out_all and "PG004" in out_all
    engine_calls.clear()
    _, out, _ = run_cli("check", "--select", "PG004", "--output-format", "concise", ".")
    assert engine_calls == ["a.py"]
    assert "PG004" in out and "PG002" not in out
    engine_calls.clear()
    _, again, _ = run_cli("check", "--output-format", "concise", ".")
    assert engine_calls == [] and again == out_all


def test_another_pglint_misses(project, run_cli, engine_calls, monkeypatch):
    project("a.py", BAD)
    run_cli("check", ".", cwd=project.root)
    engine_calls.clear()
    monkeypatch.setattr(cache, "_fingerprint", "9.9.9-other")
    code, _, _ = run_cli("check", ".")
    assert engine_calls == ["a.py"] and code == 1


def test_fingerprint_follows_the_version(monkeypatch):
    import pglint

    monkeypatch.setattr(cache, "_fingerprint", None)
    now = cache.fingerprint()
    monkeypatch.setattr(cache, "_fingerprint", None)
    monkeypatch.setattr(pglint, "__version__", "999.0")
    assert cache.fingerprint() != now and cache.fingerprint().startswith("999.0-")


@pytest.mark.parametrize("garbage", [b"", b"not a pickle", b"\x80\x05\x95garbage"])
def test_corrupt_entries_are_misses(project, run_cli, engine_calls, garbage):
    project("a.py", BAD)
    first = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    for e in entries(project.root):
        e.write_bytes(garbage)
    (project.root / cache.DIRNAME / cache.fingerprint() / "keyreads").write_bytes(garbage)
    engine_calls.clear()
    assert run_cli("check", "--output-format", "json", ".")[:2] == first[:2]
    assert engine_calls == ["a.py"]
    engine_calls.clear()  # the entry was written again
    assert run_cli("check", "--output-format", "json", ".")[:2] == first[:2] and engine_calls == []


def test_no_cache_flag_and_environment(project, run_cli, monkeypatch):
    project("a.py", BAD)
    run_cli("check", "--no-cache", ".", cwd=project.root)
    assert not (project.root / cache.DIRNAME).exists()
    monkeypatch.setenv("PGLINT_NO_CACHE", "1")
    run_cli("check", ".")
    assert not (project.root / cache.DIRNAME).exists()


def test_unwritable_cache_is_no_error(project, run_cli):
    project("a.py", BAD)
    (project.root / cache.DIRNAME).write_text("a file where the directory should be")
    code, out, err = run_cli("check", ".", cwd=project.root)
    assert code == 1 and "PG002" in out and "error" not in err


def test_fix_from_a_cached_result(project, run_cli, engine_calls):
    a = project("a.py", BAD)
    run_cli("check", ".", cwd=project.root)
    engine_calls.clear()
    code, _, _ = run_cli("check", "--fix", ".")
    assert engine_calls == []  # the findings and their edits came from the cache
    assert "params = list(model.parameters())" in a.read_text()


def test_notebooks_are_cached(project, run_cli, engine_calls):
    nb = project("nb.ipynb", ACROSS)
    first = run_cli("check", "--output-format", "json", "nb.ipynb", cwd=project.root)
    engine_calls.clear()
    assert run_cli("check", "--output-format", "json", "nb.ipynb")[:2] == first[:2]
    assert engine_calls == []
    assert json.loads(first[1])[0]["cell"] == 6
    code, _, _ = run_cli("check", "--fix", "nb.ipynb")
    assert code == 0 and "list(model.parameters())" in nb.read_text()


def test_pg004_project_scan_is_cached_and_follows_edits(project, run_cli):
    project("train.py", TYPO)
    reader = project("sched.py", "def f(opt):\n    for g in opt.param_groups:\n"
                                 "        g['lr'] = g['learning_rate'] * 0.1\n")
    assert run_cli("check", "train.py", cwd=project.root)[0] == 0
    index = project.root / cache.DIRNAME / cache.fingerprint() / "keyreads"
    assert index.is_file()
    assert run_cli("check", "train.py")[0] == 0
    reader.write_text("def f(opt):\n    pass  # no longer reads it\n")
    os.utime(reader, ns=(1, 1))  # a different mtime even on a coarse clock
    code, out, _ = run_cli("check", "train.py")
    assert code == 1 and "learning_rate" in out


def test_a_cached_result_moves_with_the_working_directory(project, run_cli):
    project("pkg/a.py", BAD)
    _, out_root, _ = run_cli("check", "--output-format", "concise", "pkg", cwd=project.root)
    _, out_pkg, _ = run_cli("check", "--output-format", "concise", ".", cwd=project.root / "pkg")
    assert out_root.startswith("pkg/a.py:") and out_pkg.startswith("a.py:")


def test_two_concurrent_runs(project):
    for i in range(40):
        project(f"m{i}.py", BAD if i % 2 else GOOD)
    cmd = [sys.executable, "-m", "pglint", "check", "--output-format", "json", "--jobs", "1",
           "."]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [subprocess.Popen(cmd, cwd=project.root, stdout=subprocess.PIPE, env=env)
            for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in runs]
    assert [p.returncode for p in runs] == [1, 1]
    assert outs[0] == outs[1] and len(json.loads(outs[0])) == 20
    warm = subprocess.run(cmd, cwd=project.root, capture_output=True, env=env, timeout=300)
    assert warm.stdout == outs[0]
    assert not [p for p in (project.root / cache.DIRNAME).rglob(".tmp-*")]


def test_unchanged_old_files_are_not_even_read(project, run_cli, engine_calls, monkeypatch):
    a = project("a.py", BAD)
    b = project("b.py", "x = 1\n")  # fails the pre-filter
    for f in (a, b):
        os.utime(f, ns=(10**18, 10**18))  # written long ago: its mtime can be trusted
    first = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    hashed: list = []
    real = cache.Cache.key
    monkeypatch.setattr(cache.Cache, "key", staticmethod(
        lambda data, path, settings: hashed.append(path) or real(data, path, settings)))
    engine_calls.clear()
    assert run_cli("check", "--output-format", "json", ".")[:2] == first[:2]
    assert hashed == [] and engine_calls == []
    a.write_text(BAD + "# edited\n")
    os.utime(a, ns=(10**18 + 1, 10**18 + 1))
    _, out, _ = run_cli("check", "--output-format", "json", ".")
    assert hashed == ["a.py"] and engine_calls == ["a.py"] and "PG002" in out


def test_an_entry_naming_anything_but_pglint_results_is_a_miss(tmp_path):
    """A crafted pickle in a repository's .pglint_cache/ must never run: it is a miss."""
    import os
    import pickle

    from pglint import cache as cache_mod

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    c = cache_mod.Cache(tmp_path)
    assert c._prepare()
    (c.entries / "k").write_bytes(pickle.dumps(Evil()))
    (c.entries / "keyreads").write_bytes(pickle.dumps({"a": Evil()}))
    assert c.get("k", "f.py") is None
    assert c.load_index() == {}
    assert not marker.exists()
