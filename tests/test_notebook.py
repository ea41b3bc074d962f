"""Jupyter notebooks: code cells checked as one program, positions in cell terms, IPython
syntax kept out, fixes that touch only the fixed cell's bytes, broken notebooks."""

from __future__ import annotations

import json

from pglint.notebook import build_program

HEAD = ("import torch\nfrom torch import nn\nfrom torch.nn.utils import clip_grad_norm_ as clip\n"
        "model = nn.Linear(2, 2)")


def notebook(*cells: str, indent: int = 1, language: str = "python", as_string=False) -> str:
    """nbformat 4 JSON as Jupyter writes it; a cell starting with 'md:' is markdown."""
    out = []
    for i, src in enumerate(cells):
        kind = "markdown" if src.startswith("md:") else "code"
        src = src.removeprefix("md:")
        source = src if as_string else src.splitlines(keepends=True)
        cell = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=i, outputs=[])
        out.append(cell)
    doc = {"cells": out,
           "metadata": {"kernelspec": {"display_name": "k", "language": language,
                                       "name": "k"},
                        "language_info": {"name": language}},
           "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"


ACROSS = notebook("md:# Training", HEAD, "params = model.parameters()", "md:now train",
                  "opt = torch.optim.SGD(params, lr=0.1)",
                  "x = 1\ntorch.nn.utils.clip_grad_norm_(params, 1.0)")


def rows(out: str) -> list[str]:
    return [line for line in out.splitlines() if line and not line.startswith(" ")]


def test_generator_made_in_one_cell_used_up_in_another(project, run_cli):
    project("nb.ipynb", ACROSS)
    code, out, _ = run_cli("check", "nb.ipynb", cwd=project.root)
    assert code == 1
    [row] = rows(out)
    assert row.startswith("nb.ipynb:cell 6:2:32: PG002 [*] error: 'params' "
                          "(model.parameters(), line 1 in cell 3) was already consumed at "
                          "line 1 in cell 5")
    code, out, _ = run_cli("check", "--output-format", "json", "nb.ipynb")
    [f] = json.loads(out)
    assert (f["filename"], f["cell"], f["line"], f["column"]) == ("nb.ipynb", 6, 2, 32)
    [edit] = f["fix"]["edits"]  # the fix is at the definition, in cell 3
    assert (edit["cell"], edit["line"], edit["column"]) == (3, 1, 10)
    assert "params = model.parameters()"[edit["start"]:edit["end"]] == "model.parameters()"
    code, out, _ = run_cli("check", "--output-format", "sarif", "nb.ipynb")
    [result] = json.loads(out)["runs"][0]["results"]
    loc = result["locations"][0]
    assert loc["properties"] == {"cell": 6}
    assert (loc["physicalLocation"]["region"]["startLine"],
            loc["physicalLocation"]["region"]["startColumn"]) == (2, 32)
    rep = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert rep["properties"] == {"cell": 3}


def test_directory_walk_finds_notebooks(project, run_cli):
    project("notebooks/nb.ipynb", ACROSS)
    project("notebooks/.ipynb_checkpoints/nb-checkpoint.ipynb", ACROSS)
    code, out, err = run_cli("check", ".", cwd=project.root)
    assert code == 1 and [r.split(": ")[0] for r in rows(out)] == ["notebooks/nb.ipynb:cell 6:2:32"]


def test_magics_are_skipped_and_lines_kept(project, run_cli):
    project("nb.ipynb", notebook(
        "%matplotlib inline\n%load_ext autoreload\n" + HEAD,
        "!pip install torch\nfiles = !ls\nmodel?\n??model\nparams = model.parameters()\n"
        "for i in range(2):\n    %time print(i)\n"
        "%timeit -n 1 \\\n   sum(1 for _ in range(3))\n"
        "opt = torch.optim.SGD(params, lr=0.1)\n"
        "torch.nn.utils.clip_grad_norm_(params, 1.0)\n"))
    code, out, _ = run_cli("check", "nb.ipynb", cwd=project.root)
    [row] = rows(out)
    assert code == 1 and row.startswith("nb.ipynb:cell 2:11:32: PG002 ")
    assert "line 5 in cell 2) was already consumed at line 10 in cell 2" in row


def test_cell_magics_python_body_or_not(project, run_cli):
    # %%bash is not Python: its "list(params)" consumes nothing
    project("sh.ipynb", notebook(HEAD, "params = model.parameters()",
                                 "%%bash\nlist(params)\necho done",
                                 "opt = torch.optim.SGD(params, lr=0.1)"))
    # %%time runs its body as Python in the notebook
    project("time.ipynb", notebook(HEAD, "params = model.parameters()",
                                   "%%time\nlist(params)",
                                   "opt = torch.optim.SGD(params, lr=0.1)"))
    # %time STMT runs STMT: the rebinding counts, so nothing is used twice
    project("rebind.ipynb", notebook(HEAD, "params = model.parameters()",
                                     "%time params = list(params)",
                                     "opt = torch.optim.SGD(params, lr=0.1)",
                                     "torch.nn.utils.clip_grad_norm_(params, 1.0)"))
    code, out, _ = run_cli("check", ".", cwd=project.root)
    assert [r.split(": P")[0] for r in rows(out)] == ["time.ipynb:cell 4:1:23"], out


def test_time_magic_columns_map_back(project, run_cli):
    project("nb.ipynb", notebook(HEAD, "params = model.parameters()",
                                 "opt = torch.optim.SGD(params, lr=0.1)",
                                 "%time torch.nn.utils.clip_grad_norm_(params, 1.0)"))
    code, out, _ = run_cli("check", "--output-format", "json", "nb.ipynb", cwd=project.root)
    [f] = json.loads(out)
    src = "%time torch.nn.utils.clip_grad_norm_(params, 1.0)"
    assert (f["cell"], f["line"]) == (4, 1)
    assert src[f["column"] - 1:f["end_column"] - 1] == "params"


def test_noqa_in_a_cell(project, run_cli):
    nb = json.loads(ACROSS)
    nb["cells"][5]["source"][1] = "torch.nn.utils.clip_grad_norm_(params, 1.0)  # noqa: PG002"
    project("nb.ipynb", json.dumps(nb, indent=1))
    code, out, _ = run_cli("check", "nb.ipynb", cwd=project.root)
    assert (code, out) == (0, "")


def test_fix_rewrites_only_the_fixed_cell(project, run_cli):
    text = notebook("md:# Título — ünïcode", HEAD, "params = model.parameters()\n%env A=1",
                    "opt = torch.optim.SGD(params, lr=0.1)",
                    "torch.nn.utils.clip_grad_norm_(params, 1.0)")
    path = project("nb.ipynb", "", raw=text.encode("utf-8"))
    code, out, err = run_cli("check", "--diff", "nb.ipynb", cwd=project.root)
    assert code == 1 and path.read_bytes() == text.encode("utf-8")  # --diff writes nothing
    assert "--- a/nb.ipynb:cell 3\n" in out and "+params = list(model.parameters())\n" in out
    code, out, err = run_cli("check", "--fix", "nb.ipynb")
    assert code == 0 and "Fixed 1 finding" in err
    old = '"params = model.parameters()\\n"'
    assert text.count(old) == 1
    assert path.read_bytes() == text.replace(
        old, '"params = list(model.parameters())\\n"').encode("utf-8")
    assert run_cli("check", "--fix", "nb.ipynb")[0] == 0
    assert path.read_bytes() == text.replace(
        old, '"params = list(model.parameters())\\n"').encode("utf-8")


def test_fix_keeps_other_layouts(project, run_cli):
    for name, text in (("two.ipynb", notebook(HEAD, "params = model.parameters()",
                                              "opt = torch.optim.SGD(params)",
                                              "clip(params)", indent=2)),
                       ("str.ipynb", notebook(HEAD, "params = model.parameters()",
                                              "opt = torch.optim.SGD(params)",
                                              "clip(params)", as_string=True))):
        path = project(name, text)
        code, _, _ = run_cli("check", "--fix", name, cwd=project.root)
        assert code == 0
        old = '"params = model.parameters()"'
        assert text.count(old) == 1
        assert path.read_text() == text.replace(old, '"params = list(model.parameters())"')


def test_broken_notebooks_are_clear_errors(project, run_cli):
    project("bad.ipynb", '{"cells": [\n  {"cell_type": "code" "source": []}]}')
    project("notnb.ipynb", '{"metadata": {}}')
    project("syntax.ipynb", notebook(HEAD, "opt = torch.optim.SGD(model.parameters(, lr=1)"))
    project("good.ipynb", ACROSS)
    code, out, err = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    assert code == 2
    assert "pglint: error: bad.ipynb: not a notebook: invalid JSON at 2:24: Expecting ','" in err
    assert "pglint: error: notnb.ipynb: not a notebook: no 'cells' list" in err
    assert "pglint: error: syntax.ipynb: syntax error in cell 2 at 1:" in err
    got = [(e["filename"], e["code"], e["line"], e["column"]) for e in json.loads(out)]
    assert got[:3] == [("bad.ipynb", "PG000", 2, 24), ("good.ipynb", "PG002", 2, 32),
                       ("notnb.ipynb", "PG000", 1, 1)]
    assert got[3][:2] == ("syntax.ipynb", "PG000")


def test_other_kernels_are_not_python(project, run_cli):
    project("r.ipynb", notebook("library(torch)\nopt <- optim_sgd(params)", language="R"))
    assert run_cli("check", "r.ipynb", cwd=project.root)[:2] == (0, "")


def test_notebook_key_reads_count_for_pg004(project, run_cli):
    project("train.py", "import torch\nfrom torch import nn\nmodel = nn.Linear(2, 2)\n"
                        "opt = torch.optim.AdamW([{'params': model.parameters(), "
                        "'my_scale': 2.0}])\n")
    code, out, _ = run_cli("check", "train.py", cwd=project.root)
    assert code == 1 and "PG004" in out
    project("explore.ipynb", notebook("for g in opt.param_groups:\n    print(g['my_scale'])"))
    assert run_cli("check", "train.py")[:2] == (0, "")


def test_line_map():
    program, lmap = build_program({2: "a = 1\n%ls\nb = 2", 4: "%%bash\nls", 5: "%time c = 3"})
    assert program == "a = 1\npass\nb = 2\n\n\nc = 3\n"
    assert [lmap.at(i, 1) for i in range(1, 7)] == [
        (2, 1, 1), (2, 2, 1), (2, 3, 1), (4, 1, 1), (4, 2, 1), (5, 1, 7)]
    assert lmap.magic == [False, True, False, True, True, False]
    assert str(lmap.label(3)) == "3 in cell 2" and lmap.label(6) > lmap.label(3)


def test_per_file_ignores_hold_for_notebook_fixes(project, run_cli):
    (project.root / "pyproject.toml").write_text(
        "[tool.pglint]\nper-file-ignores = { '*.ipynb' = ['PG002'] }\n")
    path = project("nb.ipynb", ACROSS)
    code, out, err = run_cli("check", "--fix", ".", cwd=project.root)
    assert (code, out) == (0, "") and "Fixed" not in err
    assert path.read_text() == ACROSS


def test_deeply_nested_json_is_an_error_not_a_crash(project, run_cli):
    project("deep.ipynb", "[" * 100_000 + "]" * 100_000)
    code, out, err = run_cli("check", "--output-format", "json", "deep.ipynb",
                             cwd=project.root)
    assert code == 2 and json.loads(out)[0]["code"] == "PG000"
    assert "deep.ipynb: not a notebook" in err
    # lines as Python counts them: a form feed or U+2028 in a string ends no line
    program, lmap = build_program({1: "a = '\x0c\u2028'\r\nb = 1"})
    assert program == "a = '\x0c\u2028'\r\nb = 1\n" and lmap.lines == [1, 2]


def test_fix_skips_a_notebook_changed_after_it_was_checked(project, monkeypatch):
    from pglint.static import check, engine

    text = notebook(HEAD, "params = model.parameters()",
                    "opt = torch.optim.SGD(params, lr=0.1)",
                    "torch.nn.utils.clip_grad_norm_(params, 1.0)")
    path = project("nb.ipynb", text)
    edited = text.replace("lr=0.1", "lr=0.2")
    real = engine.check_files

    def check_then_edit(*a, **k):
        out = real(*a, **k)
        path.write_text(edited)  # the user saves the notebook while pglint runs
        return out

    monkeypatch.chdir(project.root)
    monkeypatch.setattr(engine, "check_files", check_then_edit)
    run, _ = check.run([str(path)], fix=True)
    assert path.read_text() == edited
    assert any("changed after it was checked" in n for n in run.notes)
