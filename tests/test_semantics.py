"""The table of what library calls mean (semantics.py) and the interpreter's ignorance of it."""

from __future__ import annotations

import ast
import pathlib

import libcst as cst

from pglint.static import semantics
from pglint.static.context import build_context
from pglint.static.dataflow import analyze

STATIC = pathlib.Path(semantics.__file__).parent


def test_each_pattern_kind_resolves():
    assert "consumes" in semantics.meanings("torch.nn.utils.clip_grad_norm_")  # exact
    assert "consumes" in semantics.meanings("myproject.utils.clip_grad_norm_")  # *.last
    assert "never_steps" in semantics.meanings("torch.optim.lr_scheduler.StepLR")  # prefix.*
    assert "not_peer_optimizer" in semantics.meanings("accelerate.utils.DummyOptim")  # pkg.**
    assert "not_peer_optimizer" not in semantics.meanings("myproject.DummyOptim")
    assert semantics.method("parameters")["parameters"].named is False  # .method
    assert semantics.method("named_parameters")["parameters"].named is True
    assert semantics.meanings("transformers.AutoTokenizer.from_pretrained") == {}  # unless
    assert "loads_model" in semantics.meanings("transformers.AutoModel.from_pretrained")
    assert semantics.meanings("print").keys() >= {"never_steps", "inspects", "reads_only"}


def _changes(src: str) -> list:
    return analyze(build_context(cst.parse_module(src))).model_changes


SHARD = """\
import torch
from mylib import shard

def train(model):
    opt = torch.optim.Adam(model.parameters())
    shard(model)
    return opt
"""


def test_one_table_entry_gives_a_call_its_meaning(monkeypatch):
    assert _changes(SHARD) == []  # an unknown callee means nothing
    monkeypatch.setattr(semantics, "TABLE",
                        [*semantics.TABLE, ("mylib.shard", semantics.replaces_params())])
    semantics._compile()
    try:
        [change] = _changes(SHARD)
        assert change.what == "shard(model)" and change.alive
        own = SHARD.replace("from mylib import shard\n", "def shard(m):\n    pass\n")
        assert _changes(own) == []  # a function of the file is not the library's
    finally:
        monkeypatch.undo()
        semantics._compile()
    assert _changes(SHARD) == []


_LIBRARIES = ("torch", "torchvision", "transformers", "accelerate", "lightning",
              "pytorch_lightning", "deepspeed", "timm", "apex")
_MODULES = ("itertools.", "copy.", "collections.")  # the standard library's, by qualified name


def test_the_interpreter_names_no_library():
    """What library calls mean lives in the table: interpreter.py has no library's
    qualified name among its string constants (docstrings and comments aside)."""
    tree = ast.parse((STATIC / "interpreter.py").read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    named = [n.value for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
             and (n.value.split(".")[0] in _LIBRARIES or n.value.startswith(_MODULES))]
    assert named == []
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.split(".")[0] in _LIBRARIES for m in imports)
