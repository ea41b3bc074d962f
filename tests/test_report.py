"""Output formats, parsed back as their consumers parse them; the PG000 entry for a file
that cannot be checked in every format; SARIF against the official 2.1.0 schema."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from pglint import codes, docs, report
from pglint.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
# the OASIS schema (errata01), from github.com/oasis-tcs/sarif-spec sarif-2.1/schema/
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))

BAD = """\
import torch

def train(model):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
"""
TWO = """\
import torch
model = torch.nn.Linear(4, 2)
opt = torch.optim.AdamW([{"params": model.parameters(), "learning_rate": 1e-3}])
opt2 = torch.optim.AdamW(model.parameters)
"""
CLEAN = "import torch\nopt = torch.optim.SGD(list(model.parameters()), lr=0.1)\n"
BROKEN = "import torch.optim\ndef f(:\n    pass\n"


def _tree(project):
    project("train.py", BAD)
    project("two.py", TWO)
    project("clean.py", CLEAN)
    project("broken.py", BROKEN)
    return project.root


def test_cli_offers_every_format():
    check = build_parser()._subparsers._group_actions[0].choices["check"]
    [action] = [a for a in check._actions if a.dest == "output_format"]
    assert tuple(action.choices) == report.FORMATS


def test_text_and_concise_show_severity(project, run_cli):
    project("two.py", TWO)
    for fmt in ("text", "concise"):
        code, out, _ = run_cli("check", "--output-format", fmt, "two.py", cwd=project.root)
        rows = [line for line in out.splitlines() if not line.startswith(" ")]
        assert code == 1
        assert rows[0].startswith("two.py:3:57: PG004 warning: group key 'learning_rate'")
        assert rows[1].startswith("two.py:4:26: PG007 [*] error: 'model.parameters'")
        assert ("  help: " in out) == (fmt == "text")


def test_grouped(project, run_cli):
    _tree(project)
    code, out, _ = run_cli("check", "--output-format", "grouped", ".", cwd=project.root)
    assert code == 2
    headers = [line[:-1] for line in out.splitlines() if line and not line.startswith(" ")]
    assert headers == ["broken.py", "train.py", "two.py"]  # files with entries, once each
    block = out.split("two.py:\n")[1]
    rows = [line for line in block.splitlines() if line.startswith("  ") and
            not line.startswith("    ")]
    assert rows == ["  3:57 PG004 warning: group key 'learning_rate' is never read by AdamW; "
                    "did you mean 'lr'?",
                    "  4:26 PG007 [*] error: 'model.parameters' is passed to AdamW without "
                    "calling it"]
    assert "  2:7 PG000 error: syntax error at 2:7" in out


def test_json_lines_is_json_line_by_line(project, run_cli):
    _tree(project)
    _, whole, _ = run_cli("check", "--output-format", "json", ".", cwd=project.root)
    code, out, _ = run_cli("check", "--output-format", "json-lines", ".")
    assert code == 2
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == json.loads(whole)
    assert [r["code"] for r in rows] == ["PG000", "PG002", "PG004", "PG007"]


def test_junit_one_testcase_per_checked_file(project, run_cli):
    _tree(project)
    code, out, _ = run_cli("check", "--output-format", "junit", ".", cwd=project.root)
    assert code == 2
    root = ET.fromstring(out)
    [suite] = root.findall("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert sorted(cases) == ["broken.py", "clean.py", "train.py", "two.py"]
    assert list(cases["clean.py"]) == []  # a clean file is a passing test case
    assert [f.get("type") for f in cases["two.py"].findall("failure")] == ["PG004", "PG007"]
    [fail] = cases["train.py"].findall("failure")
    assert fail.text.startswith("train.py:6:36: PG002 error: 'params'")
    [err] = cases["broken.py"].findall("error")
    assert err.get("type") == "PG000" and "syntax error at 2:7" in err.get("message")
    for el in (root, suite):
        assert (el.get("tests"), el.get("failures"), el.get("errors")) == ("4", "2", "1")


def _gitlab(run_cli, cwd=None):
    code, out, _ = run_cli("check", "--output-format", "gitlab", ".", cwd=cwd)
    return code, json.loads(out)


def test_gitlab_code_climate_with_unique_stable_fingerprints(project, run_cli):
    _tree(project)
    # two identical findings in one file: the same code, message and path
    project("twice.py", "import torch\nmodel = torch.nn.Linear(4, 2)\n"
                        "opt = torch.optim.AdamW(model.parameters)\n"
                        "opt = torch.optim.AdamW(model.parameters)\n")
    code, issues = _gitlab(run_cli, project.root)
    assert code == 2
    for i in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(i)
        assert i["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(i["location"]["lines"]["begin"], int)
    prints = [i["fingerprint"] for i in issues]
    assert len(set(prints)) == len(prints) == 6
    assert {i["check_name"] for i in issues} == {"PG000", "PG002", "PG004", "PG007"}
    # unrelated edits above the findings move them (and the lines their messages name):
    # the fingerprints stay
    before = {i["check_name"] + i["location"]["path"]: i["fingerprint"] for i in issues
              if i["location"]["path"] == "train.py"}
    (project.root / "train.py").write_text("# a new comment\n\n" + BAD)
    after = {i["check_name"] + i["location"]["path"]: i["fingerprint"]
             for i in _gitlab(run_cli)[1] if i["location"]["path"] == "train.py"}
    assert before == after and before
    lines = [i["location"]["lines"]["begin"] for i in _gitlab(run_cli)[1]
             if i["location"]["path"] == "train.py"]
    assert lines == [8]


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_unreadable_file_is_an_entry_in_every_format(project, run_cli, fmt):
    project("broken.py", BROKEN)
    project("ok.py", CLEAN)
    code, out, err = run_cli("check", "--output-format", fmt, ".", cwd=project.root)
    assert code == 2
    assert "pglint: error: broken.py: syntax error at 2:7" in err
    assert "PG000" in out and "broken.py" in out
    if fmt in ("text", "concise"):
        assert out.startswith("broken.py:2:7: PG000 error: syntax error at 2:7: ")
    if fmt == "json":
        [entry] = json.loads(out)
        assert (entry["code"], entry["name"], entry["severity"], entry["line"],
                entry["column"]) == ("PG000", "unreadable-file", "error", 2, 7)
    if fmt == "github":
        assert out.startswith("::error file=broken.py,line=2,col=7")


def test_unreadable_entry_is_not_selected_away(project, run_cli):
    project("broken.py", BROKEN)
    project("bin.py", "", raw=b"\x00\x01optim\x02")
    for flags in (["--ignore", "PG000"], ["--select", "PG002"], ["--ignore", "PG"]):
        code, out, _ = run_cli("check", "--output-format", "json", *flags, ".",
                               cwd=project.root)
        got = [(e["filename"], e["code"], e["line"], e["column"]) for e in json.loads(out)]
        assert code == 2 and got == [("bin.py", "PG000", 1, 1), ("broken.py", "PG000", 2, 7)]


def _validate(doc: dict) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in cls(SCHEMA, format_checker=cls.FORMAT_CHECKER).iter_errors(doc)]
    assert not errors, errors


def _sarif(run_cli, *paths, cwd=None) -> tuple[int, dict]:
    code, out, _ = run_cli("check", "--output-format", "sarif", *paths, cwd=cwd)
    return code, json.loads(out)


def test_sarif_schema_without_fixes(project, run_cli):
    project("dup.py", "import torch\nopt = torch.optim.SGD({p for p in model.parameters()})\n")
    code, doc = _sarif(run_cli, "dup.py", cwd=project.root)
    assert code == 1
    _validate(doc)
    [result] = doc["runs"][0]["results"]
    assert result["ruleId"] == "PG006" and "fixes" not in result
    assert doc["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def _github_slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_sarif_schema_with_fixes_and_rule_docs(project, run_cli):
    _tree(project)
    code, doc = _sarif(run_cli, "train.py", "two.py", cwd=project.root)
    assert code == 1
    _validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    slugs = {_github_slug(h) for h in re.findall(
        r"^# (.+)$", (ROOT / "docs" / "rules.md").read_text("utf-8"), flags=re.MULTILINE)}
    for i, rule in enumerate(rules):
        c = codes.get(rule["id"])
        assert rule["fullDescription"]["text"] == docs.sections(c.code)["What it does"]
        assert rule["defaultConfiguration"]["level"] == {"error": "error",
                                                         "warning": "warning"}[c.severity]
        url, anchor = rule["helpUri"].split("#")
        assert url.endswith("/docs/rules.md") and anchor in slugs
        assert [r["ruleIndex"] for r in run["results"] if r["ruleId"] == c.code][0] == i
    fixes = {r["ruleId"]: r["fixes"][0] for r in run["results"]}
    assert fixes["PG004"]["properties"]["applicability"] == "unsafe"
    # the SARIF replacement, applied to the file, is what --fix writes
    change = fixes["PG002"]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "train.py"
    lines = BAD.splitlines(keepends=True)
    [rep] = change["replacements"]
    region = rep["deletedRegion"]
    start = sum(map(len, lines[:region["startLine"] - 1])) + region["startColumn"] - 1
    end = sum(map(len, lines[:region["endLine"] - 1])) + region["endColumn"] - 1
    by_sarif = BAD[:start] + rep["insertedContent"]["text"] + BAD[end:]
    run_cli("check", "--fix", "train.py")
    assert (project.root / "train.py").read_text() == by_sarif != BAD


def test_sarif_schema_with_an_unreadable_file(project, run_cli):
    project("broken.py", BROKEN)
    project("train.py", BAD)
    code, doc = _sarif(run_cli, ".", cwd=project.root)
    assert code == 2
    _validate(doc)
    run = doc["runs"][0]
    assert run["invocations"] == [{"executionSuccessful": False}]
    [entry] = [r for r in run["results"] if r["ruleId"] == "PG000"]
    region = entry["locations"][0]["physicalLocation"]["region"]
    assert (entry["level"], region["startLine"], region["startColumn"]) == ("error", 2, 7)
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["PG000", "PG002"]


def test_sarif_uri_of_an_odd_file_name(project, run_cli):
    project("my dir/t 1.py", BAD)
    code, doc = _sarif(run_cli, ".", cwd=project.root)
    _validate(doc)
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "my%20dir/t%201.py"


def test_sarif_schema_with_a_notebook(project, run_cli):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": src} for src in (
        ["import torch\n", "params = model.parameters()"],
        ["opt = torch.optim.SGD(params)\n", "torch.nn.utils.clip_grad_norm_(params, 1.0)"])]
    project("nb.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}))
    project("broken.ipynb", '{"cells": [')
    code, doc = _sarif(run_cli, ".", cwd=project.root)
    assert code == 2
    _validate(doc)
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    assert results["PG002"]["locations"][0]["properties"] == {"cell": 2}
    assert results["PG000"]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "broken.ipynb"}


def test_junit_is_well_formed_with_control_characters():
    from pglint.finding import Finding
    from pglint.report.junit import junit

    f = Finding("PG000", "cannot parse \x01 here", filename="a\x02.py", line=1, column=1)
    root = ET.fromstring(junit([f], ["a\x02.py", "ok.py"]))
    [case, ok] = root.iter("testcase")
    assert case.get("name") == "a\ufffd.py" and ok.get("name") == "ok.py"
    assert case.find("error").get("message") == "PG000 cannot parse \ufffd here"
