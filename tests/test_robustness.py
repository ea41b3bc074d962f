"""Issue 8, static side: never corrupt a file, never hang, never die.

Each test is a fault the fuzzing run found; see issue 8.
"""

from __future__ import annotations

import ast
import gc
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from pglint.finding import Edit, Finding, Fix
from pglint.static import check, engine, keyreads
from pglint.static.lines import line_starts, split_lines

PG010 = "import torch\nopt = torch.optim.SGD(model.parameters())\nmodel.weight.require_grad = False\n"
ODD_LINE_ENDS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]


def _cli(*args, cwd, timeout=60):
    return subprocess.run([sys.executable, "-m", "pglint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


# ------------------------------------------------------------------ line ends
def test_split_lines_only_python_line_ends():
    text = "a\u2028b\x0cc\r\nd\re\nf"
    assert split_lines(text) == ["a\u2028b\x0cc", "d", "e", "f"]
    assert "".join(split_lines(text, keepends=True)) == text
    assert line_starts("ab\ncd") == [0, 3, 5]


@pytest.mark.parametrize("ch", ODD_LINE_ENDS)
def test_fix_offsets_with_odd_line_end_characters(project, run_cli, ch):
    src = ("import torch\n"
           f"s = 'x{ch}y'  # comment {ch} here\n"
           "opt = torch.optim.SGD(model.parameters())\n"
           f"# {ch}{ch}\n"
           "model.weight.require_grad = False\n")
    f = project("m.py", "", raw=src.encode())
    code, _, err = run_cli("check", "--fix", "--unsafe-fixes", str(f), cwd=project.root)
    assert code == 0, err
    assert f.read_bytes().decode() == src.replace("require_grad", "requires_grad")


def test_form_feed_before_fixable_line_and_noqa(project, run_cli):
    src = ("import torch\n"
           "opt = torch.optim.SGD(model.parameters())\n"
           "# a \u2028 comment\n"
           "\x0cmodel.a.require_grad = False  # noqa: PG010\n"
           "\x0cmodel.b.require_grad = False\n"
           "\x0c \x0cmodel.c.require_grad = False\n")
    f = project("m.py", "", raw=src.encode())
    code, out, _ = run_cli("check", "--output-format", "concise", str(f), cwd=project.root)
    assert code == 1
    assert [ln.split(":")[1] for ln in out.splitlines() if "PG010" in ln] == ["5", "6"]
    run_cli("check", "--fix", "--unsafe-fixes", str(f), cwd=project.root)
    assert f.read_bytes().decode() == src.replace("b.require_grad", "b.requires_grad").replace(
        "c.require_grad", "c.requires_grad")


# ------------------------------------------------------------------ applying fixes
def _finding(line, *edits):
    return Finding("PG002", "m", filename="f.py", line=line, fix=Fix("t", tuple(edits)))


def test_identical_edits_are_applied_once_and_count_for_both():
    text = "abcdef"
    fs = [_finding(1, Edit(1, 2, "X")), _finding(2, Edit(1, 2, "X")), _finding(3, Edit(4, 5, "Y"))]
    assert check.apply_edits(text, fs, unsafe=False) == ("aXcdYf", 3)


def test_overlapping_different_edits_are_deferred_not_mixed():
    taken, deferred, bad = check.plan_fixes("abcdef", [_finding(1, Edit(1, 3, "X")),
                                                        _finding(2, Edit(2, 4, "Y"))], False)
    assert [f.line for f, _ in taken] == [1] and [f.line for f in deferred] == [2] and not bad
    _, _, bad = check.plan_fixes("abc", [_finding(1, Edit(2, 9, "X"))], False)
    assert len(bad) == 1


def test_splice_proves_the_rest_unchanged():
    assert check.splice("hello world", [Edit(0, 5, "HELLO")]) == "HELLO world"
    with pytest.raises(check.FixError):
        check.splice("hello", [Edit(0, 3, "a"), Edit(2, 4, "b")])


def test_iterator_consumed_three_times_is_fixed(project, run_cli):
    f = project("m.py", """\
        import torch
        params = model.parameters()
        a = torch.optim.SGD(params, lr=0.1)
        b = torch.optim.SGD(params, lr=0.1)
        c = torch.optim.SGD(params, lr=0.1)
        """)
    code, out, err = run_cli("check", "--fix", str(f), cwd=project.root)
    text = f.read_text()
    assert "params = list(model.parameters())" in text, err
    ast.parse(text)
    assert "PG002" not in out


def test_fix_skipped_when_file_changed_after_check(project, monkeypatch):
    f = project("m.py", PG010)
    real = engine.check_files

    def check_then_edit(*a, **k):
        out = real(*a, **k)
        f.write_text(PG010 + "x = 1\n")  # the user saves while pglint runs
        return out

    monkeypatch.chdir(project.root)
    monkeypatch.setattr(engine, "check_files", check_then_edit)
    run, _ = check.run([str(f)], fix=True)
    assert f.read_text() == PG010 + "x = 1\n"
    assert any("changed after it was checked" in n for n in run.notes)


def test_write_is_atomic_and_keeps_mode(tmp_path):
    f = tmp_path / "m.py"
    f.write_bytes(b"old\n")
    f.chmod(0o640)
    assert check._write_if_unchanged(f, b"other\n", b"new\n") is not None
    assert f.read_bytes() == b"old\n"
    assert check._write_if_unchanged(f, b"old\n", b"new\n") is None
    assert f.read_bytes() == b"new\n" and f.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]  # no temporary file left


def test_four_concurrent_fix_runs_never_garble(tmp_path):
    src = textwrap.dedent("""\
        import torch
        class M(torch.nn.Module):
            def setup(self):
                params = self.parameters()
                self.opt = torch.optim.SGD(self.parameters, lr=0.1)
                self.opt2 = torch.optim.SGD(params, lr=0.1)
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                self.w.require_grad = False
        """)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    for i in range(30):
        (tmp_path / f"m{i}.py").write_text(src)
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "m.py").write_text(src)
    _cli("check", "--fix", "ref/m.py", cwd=tmp_path)
    expected = (ref / "m.py").read_text()
    assert expected != src
    shutil.rmtree(ref)
    procs = [subprocess.Popen([sys.executable, "-m", "pglint", "check", "--fix", "--jobs", "1", "."],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(4)]
    for p in procs:
        p.wait(timeout=300)
    for i in range(30):
        assert (tmp_path / f"m{i}.py").read_text() == expected, i
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".pglint-tmp")]


def test_rename_fix_never_repeats_a_key(project, run_cli):
    src = textwrap.dedent("""\
        import torch
        a = torch.optim.AdamW([dict(params=model.a.parameters(), weight_decay=0.1, weight_decays=0.0)])
        b = torch.optim.AdamW([{"params": model.b.parameters(), "weight_decay": 0.1, "weight_decays": 0}])
        c = torch.optim.AdamW([{"params": model.c.parameters(), "weight_decays": 0.0}])
        """)
    f = project("m.py", src)
    code, out, _ = run_cli("check", "--output-format", "concise", str(f), cwd=project.root)
    assert out.count("PG004") == 3  # every finding kept
    run_cli("check", "--fix", "--unsafe-fixes", str(f), cwd=project.root)
    text = f.read_text()
    compile(text, "m.py", "exec")
    assert text.splitlines()[1:3] == src.splitlines()[1:3]  # no fix where it would collide
    assert '"weight_decay": 0.0' in text.splitlines()[3]


# ------------------------------------------------------------------ files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_fifo_never_blocks(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "a.py").write_text(PG010)
    os.mkfifo(tmp_path / "x.py")
    r = _cli("check", ".", cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "x.py: not a regular file" in r.stderr
    r = _cli("check", "x.py", "a.py", cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "x.py: not a regular file (a FIFO)" in r.stderr
    assert "PG010" in r.stdout


def test_symlink_loops_never_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "a.py").write_text(PG010)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "sub2").symlink_to("sub")
    r = _cli("check", ".", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stdout.count("PG010") == 1  # a.py once, through no link
    r = _cli("check", "loop.py", cwd=tmp_path)
    assert r.returncode == 2 and "loop.py: cannot read file" in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------ parser crashes, limits
DEEP = "import torch\nopt = torch.optim.SGD(" + "(" * 5000 + "1" + ")" * 5000 + ")\n"


def test_deep_nesting_single_process(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "deep.py").write_text(DEEP)
    (tmp_path / "a.py").write_text(PG010)
    r = _cli("check", "--jobs", "1", "deep.py", "a.py", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "deep.py: could not be parsed (the parser crashed)" in r.stderr
    assert "a.py:3" in r.stdout


def test_deep_nesting_parallel(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "deep.py").write_text(DEEP)
    for i in range(30):
        (tmp_path / f"a{i}.py").write_text(PG010)
    r = _cli("check", "--jobs", "2", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "deep.py: could not be parsed (the parser crashed)" in r.stderr
    assert r.stdout.count("PG010") == 30


def test_dead_worker_does_not_lose_the_run(tmp_path, monkeypatch):
    """A worker killed by the parser (no isolation, a small stack): the file it held is
    reported, every other result kept."""
    monkeypatch.setattr(engine, "_suspicious", lambda data: None)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)  # a pool even for 30 small files
    monkeypatch.setattr(engine, "_stack_bytes", 4 * 1024 * 1024)
    monkeypatch.setattr(engine, "CHILD_STACK_BYTES", 4 * 1024 * 1024)
    paths = []
    for i in range(30):
        p = tmp_path / f"a{i}.py"
        p.write_text(DEEP if i == 7 else PG010)
        paths.append(str(p))
    results = engine.check_files(paths, engine.Options(), jobs=2)
    assert [r.path for r in results] == paths
    assert results[7].error == engine.PARSER_CRASHED
    assert all(len(r.findings) == 1 for i, r in enumerate(results) if i != 7)


def test_huge_int_and_unhashable_keys_are_not_internal_errors():
    src = PG010 + textwrap.dedent("""\
        x = 1""" + "1" * 5000 + """
        groups = [{"params": model.parameters(), "lr": 0.1}]
        for g in groups:
            g.get([1, 2])
            g.pop([1], None)
            g.setdefault({1: 2}, 3)
            y = g[[1, 2]]
        d = {"params": model.parameters(), "lr": [1, 2]}
        d.get([1, 2])
        opt = torch.optim.AdamW([d], lr=[1, 2], betas={0: 1}, eps=[[1]])
        """)
    r = engine.check_source(src, "f.py", engine.Options())
    assert r.error is None
    assert "PG010" in [f.code for f in r.findings]


def test_valid_python_libcst_refuses_is_unanalysable_not_a_syntax_error():
    src = "import torch\ndef f():\n  if y:\n\t  pass\n  return torch.optim.SGD(m.parameters())\n"
    compile(src, "f.py", "exec")
    r = engine.check_source(src, "f.py", engine.Options())
    assert r.error is not None and r.error.startswith("cannot be analysed: libcst rejects")


@pytest.mark.parametrize("body", [
    "x = " + " + ".join(["a"] * 325),
    "x = a" + ".b" * 325,
    "if a:\n    pass\n" + "elif a:\n    pass\n" * 325,
    "x = " + " < ".join(["a"] * 325),
    "x = " + " + ".join(["[p]"] * 325),
])
def test_long_chains_are_analysed(body):
    r = engine.check_source(body + "\n" + PG010, "f.py", engine.Options())
    assert r.error is None
    assert [f.code for f in r.findings] == ["PG010"]


def test_time_budget_turns_into_too_complex(monkeypatch):
    monkeypatch.setattr(engine, "ANALYSIS_BUDGET_S", -1.0)
    r = engine.check_source(PG010, "f.py", engine.Options())
    assert r.error is not None and "too complex to analyse" in r.error


def test_child_budget_turns_a_stall_into_too_complex(monkeypatch):
    monkeypatch.setattr(engine, "CHILD_BUDGET_S", 0.5)
    slow = ("import torch\nopt = torch.optim.SGD(m.parameters())\nx = a"
            + "[0]" * 3000 + "\n").encode()
    assert engine._suspicious(slow)
    r = engine.check_isolated(slow, "f.py", engine.Options())
    assert r.error is not None and "too complex to analyse" in r.error


# ------------------------------------------------------------------ linear time
def _construction_file(n: int) -> str:
    return "import torch\n" + "".join(
        f"o{i} = torch.optim.SGD([{{'params': m.l{i}.parameters()}}])\n"
        for i in range(n))


def test_analysis_time_is_linear():
    import libcst as cst

    from pglint.static.context import build_context
    from pglint.static.dataflow import analyze

    def timed(ctx):
        gc.collect()
        t = time.perf_counter()
        analyze(ctx)
        return time.perf_counter() - t

    # every optimizer stays alive (distinct names): the per-construction rescan of all
    # optimizers so far made this ~50x for 10x the size
    small_ctx, big_ctx = (build_context(cst.parse_module(_construction_file(n)))
                          for n in (300, 3000))
    timed(small_ctx)  # warm up
    small, big = min(timed(small_ctx) for _ in range(3)), min(timed(big_ctx) for _ in range(2))
    assert big / small < 20, (small, big)


def test_key_read_scan_is_linear_on_crafted_lines():
    n = 5000
    crafted = "\n".join([
        "a" + ".a" * n + " '", "x" + "[0]" * n + " '", "for " + " " * n + "x param_groups",
        "for" + " for" * n + " param_groups", "g" + " " * n + "'x'", "x[" + "a" * n + " '",
    ]) + "\n"
    normal = ("for g in opt.param_groups:\n    lr = g['lr'] * group.get('scale', 1)\n"
              * (len(crafted) // 60 + 1))[:len(crafted)]

    def timed(text):
        t = time.perf_counter()
        keyreads.scan(text, "f.py")
        return time.perf_counter() - t

    timed(normal)
    assert timed(crafted) < 5 * max(timed(normal), 1e-3)
    assert keyreads.scan(normal, "f.py").anywhere == {"lr", "scale"}


# ------------------------------------------------------------------ security, diff, config
@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_repository_fsmonitor_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "core.fsmonitor",
                    f"touch {marker}; false"], check=True)
    (repo / "a.py").write_text(PG010)
    r = _cli("check", ".", cwd=repo)
    assert r.returncode == 1 and "PG010" in r.stdout
    assert not marker.exists()


def test_python_m_ignores_modules_in_the_cwd(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "libcst.py").write_text("raise SystemExit('shadowed')\n")
    (tmp_path / "a.py").write_text(PG010)
    r = _cli("check", "a.py", cwd=tmp_path)
    assert r.returncode == 1 and "PG010" in r.stdout, r.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_diff_without_trailing_newline_is_a_valid_patch(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.py").write_text(PG010.rstrip("\n"))
    r = _cli("check", "--diff", "--unsafe-fixes", "a.py", cwd=tmp_path)
    assert r.returncode == 1 and "\\ No newline at end of file" in r.stdout
    (tmp_path / "p.diff").write_text(r.stdout)
    ok = subprocess.run(["git", "apply", "--check", "p.diff"], cwd=tmp_path, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    subprocess.run(["git", "apply", "p.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.py").read_text() == PG010.rstrip("\n").replace("require_", "requires_")


def test_per_file_ignores_string_is_one_pattern(project, run_cli):
    project.root.joinpath("pyproject.toml").write_text(
        '[project]\nname="x"\n[tool.pglint.per-file-ignores]\n"*" = "PG001"\n')
    f = project("a.py", PG010)
    code, out, err = run_cli("check", str(f), cwd=project.root)
    # reported (or the configuration refused), never silenced by 'P', 'G', '0', ...
    assert (code == 1 and "PG010" in out) or (code == 2 and "per-file-ignores" in err)
    from pglint import codes
    assert not codes.matches("PG010", "PG001")


def test_a_worker_marks_only_the_files_it_parses(tmp_path):
    """The mark names the file a worker would die on: only a file that passes the
    pre-filter is parsed, so only such a file is marked (a mark per file read cost a
    file write each, a sixth of a whole-tree run)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    parsed, plain = tmp_path / "a.py", tmp_path / "b.py"
    parsed.write_text(PG010)
    plain.write_text("x = 1\n")
    results = engine._check_chunk(([str(parsed), str(plain)], engine.Options(), str(marks)))
    assert [len(r.findings) for r in results] == [1, 0]
    assert [m.read_text() for m in marks.iterdir()] == [str(parsed)]
    (marks / os.listdir(marks)[0]).unlink()
    engine._check_chunk(([str(plain)], engine.Options(), str(marks)))
    assert [m.read_text() for m in marks.iterdir()] == [""]
    longer = tmp_path / "a_much_longer_name.py"  # the next name overwrites it whole
    longer.write_text(PG010)
    engine._check_chunk(([str(longer), str(parsed)], engine.Options(), str(marks)))
    assert [m.read_text() for m in marks.iterdir()] == [str(parsed)]
