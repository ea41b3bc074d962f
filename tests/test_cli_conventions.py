"""ruff's command-line conventions in `pglint check`: stdin, --force-exclude, file-level noqa,
--diff / --fix-only / --exit-non-zero-on-fix, -o, --show-files, --show-settings, the
configuration's type checks and --config, and the README's flag list against the parser."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pglint.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]

BAD = """\
import torch

def train(model):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
FIXED = BAD.replace("params = model.parameters()", "params = list(model.parameters())")
TYPO = """\
import torch
opt = torch.optim.AdamW([{"params": model.parameters(), "learning_rate": 1e-3}])
"""
# PG001 (a group without 'params') has no fix: it is left after --fix
UNFIXABLE = """\
import torch
opt = torch.optim.SGD([{"lr": 0.1}], lr=0.1)
"""


def pglint(*args: str, cwd: Path, stdin: str | None = None):
    """`python -m pglint ARGS` in a child process (stdin and stdout as a user's shell)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "pglint", *args], cwd=cwd, input=stdin,
                       capture_output=True, text=True, env=env, timeout=120)
    return r.returncode, r.stdout, r.stderr


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# --- stdin ------------------------------------------------------------------------------


def test_stdin_uses_the_stdin_filename_for_output(project):
    code, out, err = pglint("check", "-", "--stdin-filename", "pkg/train.py",
                            cwd=project.root, stdin=BAD)
    assert code == 1, err
    assert out.startswith("pkg/train.py:6:36: PG002 [*] ")
    code, out, _ = pglint("check", "-", cwd=project.root, stdin=BAD)
    assert code == 1 and out.startswith("-:6:36: PG002 ")
    # --stdin-filename alone reads stdin too, as in ruff
    code, out, _ = pglint("check", "--stdin-filename", "x.py", cwd=project.root, stdin=BAD)
    assert code == 1 and out.startswith("x.py:6:36: PG002 ")
    code, out, err = pglint("check", "-", cwd=project.root, stdin=FIXED)
    assert (code, out) == (0, "") and "All checks passed" in err


def test_stdin_filename_drives_config_and_per_file_ignores(project):
    (project.root / "pyproject.toml").write_text(
        "[tool.pglint]\nper-file-ignores = { 'tests/*' = ['PG002'] }\n")
    assert pglint("check", "-", "--stdin-filename", "tests/t.py",
                  cwd=project.root, stdin=BAD)[0] == 0
    assert pglint("check", "-", "--stdin-filename", "src/t.py",
                  cwd=project.root, stdin=BAD)[0] == 1
    # the nearest pyproject.toml of the *named* file is the one read
    project("sub/pyproject.toml", "[tool.pglint]\nignore = ['PG002']\n")
    assert pglint("check", "-", "--stdin-filename", "sub/t.py",
                  cwd=project.root, stdin=BAD)[0] == 0


def test_stdin_fix_writes_the_fixed_source_to_stdout(project):
    code, out, err = pglint("check", "--fix", "-", "--stdin-filename", "t.py",
                            cwd=project.root, stdin=BAD)
    assert (code, out) == (0, FIXED), err
    assert "Fixed 1 finding" in err
    # what is left after the fix goes to stderr; stdout stays the source
    code, out, err = pglint("check", "--fix", "-", cwd=project.root, stdin=UNFIXABLE)
    assert (code, out) == (1, UNFIXABLE)
    assert "-:2:24: PG001" in err
    code, out, err = pglint("check", "--diff", "-", "--stdin-filename", "t.py",
                            cwd=project.root, stdin=BAD)
    assert code == 1 and out.startswith("--- a/t.py\n+++ b/t.py\n")
    assert "Would fix 1 finding." in err


def test_stdin_force_exclude(project):
    (project.root / "pyproject.toml").write_text("[tool.pglint]\nexclude = ['gen/']\n")
    args = ("check", "-", "--stdin-filename", "gen/t.py")
    assert pglint(*args, cwd=project.root, stdin=BAD)[0] == 1  # named: checked
    assert pglint(*args, "--force-exclude", cwd=project.root, stdin=BAD)[:2] == (0, "")
    # --fix on an excluded stdin source echoes it unchanged, as ruff does
    assert pglint(*args, "--force-exclude", "--fix", cwd=project.root,
                  stdin=BAD)[:2] == (0, BAD)


def test_stdin_cannot_mix_with_paths(project, run_cli):
    project("t.py", BAD)
    code, _, err = run_cli("check", "-", "t.py", cwd=project.root)
    assert code == 2 and "cannot be combined" in err


# --- --force-exclude --------------------------------------------------------------------


def test_force_exclude_applies_exclude_to_named_files(project, run_cli):
    (project.root / "pyproject.toml").write_text(
        "[tool.pglint]\nexclude = ['legacy/', 'gen_*.py']\n")
    project("legacy/old.py", BAD)
    project("gen_model.py", BAD)
    project("train.py", BAD)
    named = ("legacy/old.py", "gen_model.py", "train.py")
    code, out, _ = run_cli("check", *named, cwd=project.root)
    assert code == 1 and {ln.split(":")[0] for ln in out.splitlines()
                          if "PG002" in ln} == set(named)
    code, out, _ = run_cli("check", "--force-exclude", *named, cwd=project.root)
    assert code == 1 and {ln.split(":")[0] for ln in out.splitlines()
                          if "PG002" in ln} == {"train.py"}
    code, out, err = run_cli("check", "--force-exclude", "legacy/old.py", cwd=project.root)
    assert (code, out) == (0, "")


# --- file-level suppression -------------------------------------------------------------


def test_file_level_noqa(project, run_cli):
    both = BAD + 'opt2 = torch.optim.AdamW([{"params": model.parameters(), "wd": 0.1}])\n'
    assert {ln.split()[1] for ln in run_cli("check", project("a.py", both).name,
                                            cwd=project.root)[1].splitlines()
            if not ln.startswith(" ")} == {"PG002", "PG004"}
    project("all.py", "# pglint: noqa\n" + both)
    assert run_cli("check", "all.py", cwd=project.root)[:2] == (0, "")
    # anywhere in the file, on a comment line of its own; codes limit it
    project("some.py", both + "\n    # pglint: noqa: PG004\n")
    code, out, _ = run_cli("check", "some.py", cwd=project.root)
    assert code == 1 and "PG002" in out and "PG004" not in out
    project("two.py", "#pglint:noqa: PG004, PG002\n" + both)
    assert run_cli("check", "two.py", cwd=project.root)[0] == 0


@pytest.mark.parametrize("text", [
    'doc = """\n# pglint: noqa\n"""\n',  # inside a string, not a comment
    "x = 1  # pglint: noqa\n",  # trailing a statement: not file-level
    "# pglint: noqa: P\n",  # not a code: silences nothing
    "# pglint: noqa: PG004\n",  # another code
])
def test_file_level_noqa_needs_its_own_comment_line(project, run_cli, text):
    project("t.py", text + BAD)
    code, out, _ = run_cli("check", "t.py", cwd=project.root)
    assert code == 1 and "PG002" in out


# --- --diff, --fix-only, --exit-non-zero-on-fix ------------------------------------------


@pytest.mark.parametrize("flags", [("--diff",), ("--fix", "--diff"), ("--diff", "--fix-only")])
def test_diff_never_writes(project, run_cli, flags):
    path = project("t.py", BAD)
    before = sha(path)
    code, out, err = run_cli("check", *flags, "t.py", cwd=project.root)
    assert sha(path) == before
    assert code == 1
    assert out.startswith("--- a/t.py\n+++ b/t.py\n") and "+    params = list(" in out
    assert "Would fix 1 finding." in err and "Fixed" not in err
    clean = project("ok.py", FIXED)
    code, out, err = run_cli("check", *flags, "ok.py", cwd=project.root)
    assert (code, out, sha(clean)) == (0, "", hashlib.sha256(FIXED.encode()).hexdigest())
    assert "No fixes would be applied." in err


def test_fix_only_fixes_and_does_not_report_what_is_left(project, run_cli):
    path = project("t.py", BAD + UNFIXABLE.split("\n", 1)[1])
    code, out, err = run_cli("check", "--fix-only", "t.py", cwd=project.root)
    assert (code, out) == (0, "")
    assert "params = list(model.parameters())" in path.read_text()
    assert "Fixed 1 finding." in err and "PG001" not in err
    code, out, err = run_cli("check", "t.py", cwd=project.root)  # PG001 is still there
    assert code == 1 and "PG001" in out
    code, out, err = run_cli("check", "--fix-only", "t.py", cwd=project.root)
    assert code == 0 and "No fixes applied." in err


def test_exit_non_zero_on_fix(project, run_cli):
    path = project("t.py", BAD)
    assert run_cli("check", "--fix", "t.py", cwd=project.root)[0] == 0
    assert path.read_text() == FIXED
    path.write_text(BAD)
    assert run_cli("check", "--fix", "--exit-non-zero-on-fix", "t.py",
                   cwd=project.root)[0] == 1
    assert path.read_text() == FIXED
    assert run_cli("check", "--fix", "--exit-non-zero-on-fix", "t.py",
                   cwd=project.root)[0] == 0  # nothing left to fix
    path.write_text(BAD)
    assert run_cli("check", "--fix-only", "--exit-non-zero-on-fix", "t.py",
                   cwd=project.root)[0] == 1


# --- -o, --show-files, --show-settings, --extend-ignore, --per-file-ignores ---------------


def test_output_file(project, run_cli):
    project("t.py", BAD)
    code, out, err = run_cli("check", "--output-format", "json", "-o", "report.json", "t.py",
                             cwd=project.root)
    assert (code, out) == (1, "")
    [f] = json.loads((project.root / "report.json").read_text())
    assert (f["code"], f["filename"], f["line"]) == ("PG002", "t.py", 6)
    assert "Found 1 finding" in err  # the summary stays on stderr
    code, out, _ = run_cli("check", "--output-file", "diff.txt", "--diff", "t.py",
                           cwd=project.root)
    assert (code, out) == (1, "")
    assert (project.root / "diff.txt").read_text().startswith("--- a/t.py")
    code, _, err = run_cli("check", "-o", "no/such/dir/r.txt", "t.py", cwd=project.root)
    assert code == 2 and "cannot write no/such/dir/r.txt" in err


def test_show_files(project, run_cli):
    (project.root / "pyproject.toml").write_text("[tool.pglint]\nexclude = ['legacy/']\n")
    project("b.py", BAD)
    project("a/c.py", BAD)
    project("legacy/old.py", BAD)
    project(".venv/lib/x.py", BAD)
    code, out, _ = run_cli("check", "--show-files", ".", cwd=project.root)
    assert code == 0
    assert out.splitlines() == ["a/c.py", "b.py"]
    code, out, _ = run_cli("check", "--show-files", "--force-exclude", "legacy/old.py", "b.py",
                           cwd=project.root)
    assert out.splitlines() == ["b.py"]


def test_show_settings(project, run_cli):
    (project.root / "pyproject.toml").write_text(
        "[tool.pglint]\nignore = ['PG004']\nexclude = ['legacy/']\n"
        "per-file-ignores = { 'tests/*' = ['PG003'] }\n")
    code, out, _ = run_cli("check", "--show-settings", "--select", "PG0", "--extend-ignore",
                           "PG005", "--per-file-ignores", "tests/*:PG002", cwd=project.root)
    assert code == 0
    settings = dict(ln.split(" = ", 1) for ln in out.splitlines())
    assert settings["config"] == "pyproject.toml ([tool.pglint])"
    assert json.loads(settings["select"]) == ["PG0"]
    assert json.loads(settings["ignore"]) == ["PG004", "PG005"]
    assert json.loads(settings["exclude"]) == ["legacy/"]
    assert settings["per-file-ignores"] == '{ "tests/*" = ["PG003", "PG002"] }'
    (project.root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code, out, _ = run_cli("check", "--show-settings", cwd=project.root)
    assert "config = none (defaults)" in out.splitlines()


def test_extend_ignore_and_cli_per_file_ignores(project, run_cli):
    project("t.py", BAD)
    project("tests/t.py", BAD)
    code, out, _ = run_cli("check", "--extend-ignore", "PG002", ".", cwd=project.root)
    assert (code, out) == (0, "")
    code, out, _ = run_cli("check", "--per-file-ignores", "tests/*:PG002,PG004", ".",
                           cwd=project.root)
    assert code == 1 and [ln.split(":")[0] for ln in out.splitlines()
                          if "PG002" in ln] == ["t.py"]
    code, _, err = run_cli("check", "--per-file-ignores", "tests/*", ".", cwd=project.root)
    assert code == 2 and "PATTERN:CODES" in err
    code, _, err = run_cli("check", "--per-file-ignores", "tests/*:PX9", ".", cwd=project.root)
    assert code == 2 and "unknown code(s): PX9" in err


# --- configuration types and --config ---------------------------------------------------


@pytest.mark.parametrize("body, key, expected", [
    ('per-file-ignores = { "tests/*" = 3 }', 'per-file-ignores."tests/*"',
     "must be an array of strings, got integer"),
    ('per-file-ignores = { "tests/*" = "PG003" }', 'per-file-ignores."tests/*"',
     'must be an array of strings, got string (write ["PG003"])'),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores", "must be a table"),
    ('select = "PG002"', "select", "must be an array of strings, got string"),
    ('ignore = "P"', "ignore", "must be an array of strings, got string"),
    ("ignore = ['P']", "", "unknown code(s) in [tool.pglint]: P"),
    ("extend-select = true", "extend-select", "must be an array of strings, got boolean"),
    ('exclude = "build/"', "exclude", "must be an array of strings, got string"),
    ("extend-exclude = [1]", "extend-exclude", "got array with integer item(s)"),
    ("extra-keys = { a = 1 }", "extra-keys", "must be an array of strings, got table"),
    ("selct = ['PG']", "", "unknown [tool.pglint] option(s): selct"),
])
def test_config_type_errors(project, run_cli, body, key, expected):
    (project.root / "pyproject.toml").write_text(f"[tool.pglint]\n{body}\n")
    project("t.py", BAD)
    code, out, err = run_cli("check", "t.py", cwd=project.root)
    assert (code, out) == (2, "")
    [line] = err.splitlines()  # one line, no traceback
    assert line.startswith("pglint: error: ") and "pyproject.toml" in line
    assert f"[tool.pglint] {key}".strip() in line and expected in line


def test_config_table_of_wrong_type(project, run_cli):
    (project.root / "pyproject.toml").write_text("[tool]\npglint = 3\n")
    project("t.py", BAD)
    code, _, err = run_cli("check", "t.py", cwd=project.root)
    assert code == 2 and "[tool.pglint] must be a table, got integer" in err


@pytest.mark.parametrize("text, table", [
    ("[tool.pglint]\nignore = ['PG002']\n", "[tool.pglint]"),
    ("ignore = ['PG002']\n", "top-level table"),
])
def test_config_file_both_forms(project, run_cli, text, table):
    project("t.py", BAD)
    (project.root / "other.toml").write_text(text)
    code, out, err = run_cli("check", "--config", "other.toml", "-v", "t.py", cwd=project.root)
    assert (code, out) == (0, "")
    assert f"settings from other.toml ({table})" in err
    code, out, _ = run_cli("check", "--config", "other.toml", "--show-settings",
                           cwd=project.root)
    assert f"config = other.toml ({table})" in out.splitlines()
    assert run_cli("check", "t.py", cwd=project.root)[0] == 1  # without --config: PG002


def test_config_file_errors_name_the_table(project, run_cli):
    (project.root / "bare.toml").write_text("ignore = 'PG002'\n")
    code, _, err = run_cli("check", "--config", "bare.toml", ".", cwd=project.root)
    assert code == 2
    assert "bare.toml: top-level table ignore must be an array of strings" in err
    code, _, err = run_cli("check", "--config", "nope.toml", ".", cwd=project.root)
    assert code == 2 and "no such config file" in err


# --- the README and --help --------------------------------------------------------------


def _check_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["check"]


def test_readme_flag_list_matches_the_parser():
    flags = {s for a in _check_parser()._actions for s in a.option_strings} - {"-h", "--help"}
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `pglint check` flags", 1)[1].split("\n#", 1)[0]
    listed = set(re.findall(r"`(--?[a-z][a-z-]*)", section))
    assert listed == flags, (sorted(flags - listed), sorted(listed - flags))
    help_text = _check_parser().format_help()
    for flag in flags:
        assert flag in help_text


def test_stdin_notebook_is_checked_and_never_rewritten(project):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": BAD.splitlines(keepends=True)}
    nb = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    code, out, _ = pglint("check", "-", "--stdin-filename", "nb.ipynb", cwd=project.root,
                          stdin=nb)
    assert code == 1 and out.startswith("nb.ipynb:cell 1:6:36: PG002")
    code, out, _ = pglint("check", "--fix", "-", "--stdin-filename", "nb.ipynb",
                          cwd=project.root, stdin=nb)
    assert (code, out) == (1, nb)  # a notebook from stdin is not fixed: echoed as read
