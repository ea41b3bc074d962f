"""The language server's incremental check gives exactly the findings of a full check.

A differential test: every fixture file (and a generated file like the bench's) is edited
at random (lines inserted, deleted, replaced; syntax broken mid-edit; a helper renamed; an
import changed; statements added inside functions and class methods), and after each
edit the incremental path (one ``Incremental`` state kept across the edits, as the server
keeps it for an open document) must report what ``analyse`` reports for the same text.
Weakened dependency rules must make it fail (the test can fail).
"""

from __future__ import annotations

import ast
import random
import re
import sys
from pathlib import Path

import pytest

from pglint.lsp import incremental
from pglint.lsp.analysis import Projects, analyse
from pglint.lsp.incremental import Incremental

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "fixtures").rglob("*.py"))
sys.path.insert(0, str(ROOT / "scripts"))
from lsp_session import generated  # noqa: E402

# statements an edit may add (at the indentation of the line they go before)
SNIPPETS = [
    "opt = torch.optim.SGD(model.parameters(), lr=0.1)",
    "opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)",
    "params = model.parameters()",
    "params = list(params)",
    "x.parameters = []",
    "self.opt = torch.optim.AdamW(self.parameters(), lr=1e-3)",
    "self.params = (p for p in self.parameters())",
    "import torch.optim as optim",
    "from torch import optim",
    "optimizer = optim.SGD([{'params': decay, 'wd': 0.1}], lr=0.1)",
    "opt.step()",
    "global opt",
    "model = nn.Linear(2, 2)",
    "del model",
    "sum(p.numel() for p in params)",
    "setattr(self, 'parameters', [])",
    "return opt",
    "yield opt",
    "def (",
    "class",
    "    ",
    "# noqa: PG002",
    "# pglint: noqa",
]


def _report(a):
    return (a.error_kind, a.error if a.error_kind != "syntax" else None,
            sorted(repr(f.to_dict()) for f in a.findings))


def _edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    n = len(lines)
    i = rng.randrange(n)
    op = rng.choice(["insert", "insert", "delete", "replace", "copy", "rename", "import",
                     "dedent", "swap"])
    indent = re.match(r"[ ]*", lines[i]).group()
    if op == "insert":
        lines.insert(i, indent + rng.choice(SNIPPETS))
    elif op == "delete" and n > 1:
        del lines[i]
    elif op == "replace":
        lines[i] = indent + rng.choice(SNIPPETS)
    elif op == "copy":
        lines.insert(i, lines[rng.randrange(n)])
    elif op == "dedent":
        lines[i] = lines[i].lstrip()
    elif op == "swap":
        j = rng.randrange(n)
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "rename":  # a helper, a class or a method: at its def, or everywhere
        names = re.findall(r"^\s*(?:def|class)\s+(\w+)", text, re.M)
        if names:
            old = rng.choice(names)
            new = old + "_x"
            if rng.random() < 0.5:
                return re.sub(rf"((?:def|class)\s+){old}\b", rf"\g<1>{new}", text, count=1)
            return re.sub(rf"\b{old}\b", new, text)
    elif op == "import":
        imports = [k for k, ln in enumerate(lines) if re.match(r"\s*(import|from)\s", ln)]
        if imports:
            k = rng.choice(imports)
            lines[k] = rng.choice([
                "", "import torch as optim", "from torch import nn as torch",
                lines[k] + " as T" if " as " not in lines[k] and "(" not in lines[k] else "",
                re.sub(r"^(\s*)", r"\1# ", lines[k])])
    return "\n".join(lines)


def differential(path: Path, text: str, edits: int, seed: int) -> list[str]:
    """Mismatches between the incremental and the full check over ``edits`` random edits."""
    rng = random.Random(seed)
    projects, inc = Projects(), Incremental()
    out = []
    for step in range(edits + 1):
        full = _report(analyse(text, path, projects))
        got = _report(analyse(text, path, projects, inc))
        if full != got:
            out.append(f"{path.name} step {step}:\n{text}\nfull: {full}\nincremental: {got}")
        text = _edit(text, rng)
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_same_findings_as_full_check_under_random_edits(path):
    assert differential(path, path.read_text(encoding="utf-8"), edits=12, seed=13) == []


def test_same_findings_on_the_bench_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    path = tmp_path / "big.py"
    text = generated(300)
    path.write_text(text)
    assert differential(path, text, edits=6, seed=7) == []


def test_same_findings_with_windows_line_ends(tmp_path):
    for path in FIXTURES[::7]:
        text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
        assert differential(tmp_path / path.name, text, edits=6, seed=3) == []


def test_an_edit_reanalyses_only_its_component(tmp_path, monkeypatch):
    path = tmp_path / "big.py"
    text = generated(300)
    projects, inc = Projects(), Incremental()
    analyse(text, path, projects, inc)
    checked = []
    real = incremental._check_component
    monkeypatch.setattr(incremental, "_check_component",
                        lambda source, *a: checked.append(source) or real(source, *a))
    # build_0 changes and grows a line: the functions below keep their text, not their lines
    edited = text.replace("    return model, optimizer\n", "    # a new line\n"
                          "    return model, optimizer, 1\n", 1)
    a = analyse(edited, path, projects, inc)
    assert len(checked) == 1 and "def build_0(" in checked[0]
    assert _report(a) == _report(analyse(edited, path, projects))


# texts where one top-level statement changes what another one's findings are
TARGETED = {
    # a store of `.parameters` anywhere: `model.parameters` may be a list (PG007)
    "stored_attribute.py": """import torch
from torch import nn


def build():
    model = nn.Linear(2, 2)
    return torch.optim.SGD(model.parameters, lr=0.1)


def other(x):
    x.parameters = []
""",
    # a def between a module-level binding and its first use: PG002's fix is unsafe
    "def_between.py": """import torch
from torch import nn

model = nn.Linear(2, 2)
params = model.parameters()


def helper():
    pass


opt = torch.optim.SGD(params, lr=0.1)
opt2 = torch.optim.Adam(params, lr=0.1)
""",
    # a module-level optimizer stepped in a function (PG003's handles)
    "global_stepped.py": """import torch
from torch import nn

model = nn.Linear(2, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
opt2 = torch.optim.Adam(model.parameters(), lr=0.1)


def train():
    opt.step()
    opt2.step()
""",
    # an import inside a function resolves names for the whole file
    "nested_import.py": """from torch import nn


def build():
    model = nn.Linear(2, 2)
    return optim.SGD([{"params": model.parameters(), "weight_decy": 0.1}], lr=0.1)


def setup():
    import torch.optim as optim
""",
}


@pytest.mark.parametrize("name", sorted(TARGETED))
def test_same_findings_on_coupled_statements(tmp_path, name):
    path = tmp_path / name
    for seed in range(3):
        assert differential(path, TARGETED[name], edits=8, seed=seed) == []


# ---------------------------------------------------------- the test can fail
def _weak_mismatches(monkeypatch, weaken, tmp_path) -> int:
    weaken(monkeypatch)
    return sum(len(differential(tmp_path / name, text, edits=0, seed=0))
               for name, text in TARGETED.items())


def _no_links(monkeypatch):  # every chunk its own component: helpers, classes not followed
    real = incremental.components
    monkeypatch.setattr(incremental, "components", lambda chunks: [
        [i] for g in real(chunks) for i in g])


def _no_spine_defines(monkeypatch):  # module-level names define nothing
    real = incremental._summarise

    def summarise(stmts, piece):
        kind, defines, words = real(stmts, piece)
        return (kind, frozenset() if kind == "spine" else defines, words)
    monkeypatch.setattr(incremental, "_summarise", summarise)


def _no_header(monkeypatch):  # imports not shared by every component
    real = incremental.segments
    monkeypatch.setattr(incremental, "segments", lambda chunks, members: [
        s for s in real(chunks, members) if s.chunk in members or s.stub])


def _no_stubs(monkeypatch):  # the spine's module scope without the other statements
    real = incremental.segments
    monkeypatch.setattr(incremental, "segments", lambda chunks, members: [
        s for s in real(chunks, members) if not s.stub])


def _no_stored_attributes(monkeypatch):  # `x.parameters = ...` defines nothing
    real = incremental._defines

    def defines(node, out, spine, outer, class_body):
        if isinstance(node, ast.Attribute):
            for child in ast.iter_child_nodes(node):
                defines(child, out, spine, outer, class_body)
            return
        real(node, out, spine, outer, class_body)
    monkeypatch.setattr(incremental, "_defines", defines)


def _no_nested_imports(monkeypatch):  # an import inside a def defines nothing
    real = incremental._defines

    def defines(node, out, spine, outer, class_body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not outer:
            return
        real(node, out, spine, outer, class_body)
    monkeypatch.setattr(incremental, "_defines", defines)


@pytest.mark.parametrize("weaken", [_no_links, _no_spine_defines, _no_header, _no_stubs,
                                    _no_stored_attributes, _no_nested_imports])
def test_a_weaker_dependency_rule_is_caught(monkeypatch, tmp_path, weaken):
    assert _weak_mismatches(monkeypatch, weaken, tmp_path) > 0
