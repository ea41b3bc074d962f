"""The per-rule pre-filter changes no finding; lazy start-up imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pglint.static import check, engine, prefilter

REPO = Path(__file__).resolve().parents[1]


def findings(paths: list[str], monkeypatch, off: bool, **kw) -> list[tuple]:
    if off:
        monkeypatch.setenv("PGLINT_NO_PREFILTER", "1")
    else:
        monkeypatch.delenv("PGLINT_NO_PREFILTER", raising=False)
    run, _ = check.run(paths, jobs=1, cache=False, **kw)
    return [(f.code, f.filename, f.line, f.column, f.message) for f in run.findings]


@pytest.mark.parametrize("select", [None, ["PG010"]])
def test_same_findings_with_and_without_the_prefilter(monkeypatch, select):
    paths = [str(REPO / d) for d in ("fixtures", "pglint", "benchmarks")]
    with_it = findings(paths, monkeypatch, off=False, select=select)
    without = findings(paths, monkeypatch, off=True, select=select)
    assert with_it == without
    assert any(f[0] != "PG000" for f in with_it) or select is not None


def test_the_prefilter_skips_most_of_pglints_own_code(monkeypatch):
    monkeypatch.delenv("PGLINT_NO_PREFILTER", raising=False)
    files = sorted((REPO / "pglint").rglob("*.py"))
    passing = [f for f in files if engine.passes_prefilter(f.read_bytes())]
    assert 0 < len(passing) < len(files)


def test_every_optimizer_word_the_analysis_knows_passes():
    from pglint.static import context

    body = context._OPT_WORDS.pattern.split("(", 1)[1].split(")", 1)[0]
    for word in body.split("|"):
        word = word.rstrip("$")
        assert prefilter.passes(f"from x import {word}\n".encode()), word


def test_every_pg010_misspelling_passes():
    from pglint.static.rules.pg010_requires_grad import MISSPELLINGS

    for m in MISSPELLINGS:
        assert prefilter.passes(f"p.{m} = False\n".encode(), ("PG010",)), m
        assert prefilter.passes(f"p . {m}=False\n".encode(), ("PG010",)), m
    assert not prefilter.passes(b"p.requires_grad = False\n", ("PG010",))


def test_the_selection_does_not_change_what_is_parsed(project, run_cli):
    """PG000 is never selected away: a broken file that passes is reported whatever the
    selection (tests/test_report.py has the formats)."""
    project("broken.py", "import torch.optim\ndef f(:\n")
    for flags in ([], ["--select", "PG010"], ["--ignore", "PG"]):
        code, out, _ = run_cli("check", "--no-cache", "--output-format", "concise", *flags,
                               ".", cwd=project.root)
        assert code == 2 and "PG000" in out


def test_selection_narrows_the_needs():
    assert prefilter.passes(b"p.require_grad = False", ("PG010",))
    assert not prefilter.passes(b"import torch.optim", ("PG010",))
    assert prefilter.passes(b"import torch.optim", ("PG001",))


def test_parameter_words_alone_are_not_parsed(project, run_cli):
    """A file that only names parameters (a config's rope_parameters) cannot fire."""
    project("conf.py", "rope_parameters = {'theta': 1e4}\ndef f(:\n")
    code, out, _ = run_cli("check", "--no-cache", "--output-format", "concise", ".",
                           cwd=project.root)
    assert code == 0 and out == ""


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(m for m in "
                          "('libcst', 'libcst.metadata', 'torch', 'concurrent.futures.process')"
                          " if m in sys.modules))"], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return set(eval(out.stdout.strip().splitlines()[-1]))


def test_startup_imports_nothing_heavy():
    assert _imported_after("import pglint.cli, pglint.static.check, pglint.cache") == set()


def test_a_run_with_nothing_to_parse_never_imports_libcst(tmp_path):
    f = tmp_path / "plain.py"
    f.write_text("def add(a, b):\n    return a + b\n")
    code = f"from pglint.cli import main\nmain(['check', '-q', {str(f)!r}])"
    assert _imported_after(code) == set()
    g = tmp_path / "train.py"
    g.write_text("import torch\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\n")
    code = f"from pglint.cli import main\nmain(['check', '-q', '--no-cache', {str(g)!r}])"
    assert _imported_after(code) == {"libcst", "libcst.metadata"}


def test_every_selection_has_its_needs():
    for code in prefilter.NEEDS:
        assert prefilter.needs((code,)) == (prefilter.NEEDS[code],)
    assert prefilter.needs(("PG101",)) == ()


def test_chunks_cover_every_file_biggest_first(tmp_path):
    paths = []
    for i, size in enumerate([10, 5000, 300, 70000, 20, 900] * 5):
        p = tmp_path / f"f{i}.py"
        p.write_bytes(b"#" * size)
        paths.append(str(p))
    chunks = engine.plan_chunks(paths, 2)
    flat = [p for c in chunks for p in c]
    assert sorted(flat) == sorted(paths)
    sizes = [Path(p).stat().st_size for p in flat]
    assert sizes == sorted(sizes, reverse=True) and len(chunks[0]) == 1 and len(chunks) > 2


def test_parallel_results_equal_serial(monkeypatch):
    files = sorted(str(p) for p in (REPO / "fixtures").rglob("*.py"))
    options = engine.Options()
    serial = engine.check_files(files, options, jobs=1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    parallel = engine.check_files(files, options, jobs=2)
    assert [(r.path, r.findings, r.error) for r in parallel] == \
        [(r.path, r.findings, r.error) for r in serial]


@pytest.mark.parametrize("src", [
    "0", "00", "1_000", "0x1F", "0o17", "0b101", "1.", ".5", "1e-3", "1_0.5e1_0", "3e400",
    "'a'", '"b"', "''", '""', "'''x\ny'''", '""""""', "u'k'", "'it''s'", "\"'\"", "r'a\\b'",
    "b'x'", "'\\n'", "'\\u00e9'", "'é'",
])
def test_literals_read_without_compile_match_python(src):
    import libcst as cst

    from pglint.static.dataflow import literal

    node = cst.parse_expression(src)
    got = literal(node)
    try:
        want = node.evaluated_value
    except Exception:
        return
    assert type(got) is type(want) and got == want


def test_every_static_rule_declares_what_it_needs():
    """A static code missing from the table would make --select CODE skip every file."""
    from pglint import codes
    from pglint.static import prefilter

    static = {c.code for c in codes.CODES.values()
              if c.scope in ("static", "both") and c.code != codes.UNREADABLE}
    assert static - set(prefilter.NEEDS) == set()
    for code in static:
        assert prefilter.needs((code,), ()) != ()


# ---------------------------------------------------------------- stage 2, against the analysis
def _analysed(src: str) -> list[str]:
    """The codes the analysis reports on ``src`` with the pre-filter out of the way."""
    result = engine.check_source(textwrap.dedent(src), "snippet.py", engine.Options())
    assert result.error is None, result.error
    return sorted(f.code for f in result.findings)


# files the second stage drops: the analysis finds nothing in them either
DROPPED = {
    "dtype from next()": """
        class M(Base):
            def dtype(self):
                return next(self.parameters()).dtype
            def device(self):
                return next(iter(self.encoder.parameters())).device
        """,
    "for loops": """
        def freeze(model, names):
            for p in model.parameters():
                p.requires_grad = False
            for n, p in model.named_parameters(recurse=False):
                print(n, p.shape)
            if names in model.parameters():
                pass
        """,
    "materialised": """
        def count(model):
            ps = list(model.parameters())
            qs = tuple(model.parameters())
            return len(ps) + len(ps) + len(qs) + len(qs)
        """,
    "only words": '''
        """Train with torch.optim.AdamW(model.parameters()) -- see optimizer.add_param_group."""
        # optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        config = {"rope_parameters": {"theta": 1e4}, "optim": "adamw"}
        def optimize_graph(g, optimized=True, Adamson=1, lambdas=None):
            return f"{g} uses optim='sgd'"
        ''',
    "names iterated, never tested": """
        def names(model, skip):
            out = []
            for n, p in model.named_parameters():
                if p.requires_grad and p in skip:
                    out.append(n)
            return out
        """,
}

# files it keeps: each needs its stage-2 reason, and the analysis finds something there
KEPT = {
    "bound iterator": ("""
        import torch
        model = torch.nn.Linear(2, 2)
        ps = model.parameters()
        print(list(ps))
        print(list(ps))
        """, ["PG002"]),
    "generator expression": ("""
        import torch
        model = torch.nn.Linear(2, 2)
        trainable = (p for p in model.parameters() if p.requires_grad)
        print(list(trainable))
        print(list(trainable))
        """, ["PG002"]),
    "generator function over a consumed-on-the-spot call": ("""
        import torch
        model = torch.nn.Linear(2, 2)
        def trainable(m):
            for p in m.parameters():
                yield p
        it = trainable(model)
        print(list(it))
        print(list(it))
        """, ["PG002"]),
    "name membership": ("""
        import torch
        from transformers import AutoModel
        net = AutoModel.from_pretrained("bert-base-uncased")
        plain = ["bias", "LayerNorm.weight"]
        decay = [t for k, t in net.named_parameters() if k not in plain]
        """, ["PG011"]),
    "optimizer through an import alias": ("""
        from torch import optim as o
        import torch
        model = torch.nn.Linear(2, 2)
        opt = o.SGD([{"param": model.parameters()}], lr=0.1)
        """, ["PG001"]),
    "third-party optimizer class": ("""
        import torch
        from bitsandbytes.optim import AdamW8bit as Fast
        model = torch.nn.Linear(2, 2)
        opt = Fast([{"parms": model.parameters()}], lr=1e-3)
        """, ["PG001"]),
}


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_what_stage_two_drops_the_analysis_finds_nothing_in(name, monkeypatch):
    monkeypatch.delenv("PGLINT_NO_PREFILTER", raising=False)
    src = textwrap.dedent(DROPPED[name])
    assert not prefilter.passes(src.encode()), name
    assert _analysed(src) == []


@pytest.mark.parametrize("name", sorted(KEPT))
def test_what_stage_two_keeps_is_needed(name, monkeypatch):
    monkeypatch.delenv("PGLINT_NO_PREFILTER", raising=False)
    src, want = KEPT[name]
    src = textwrap.dedent(src)
    assert prefilter.passes(src.encode()), name
    got = _analysed(src)
    assert all(code in got for code in want), got


def test_blanking_keeps_code_and_drops_only_strings_and_comments():
    src = (b"a = 'x#y' # c 'q'\nb = \"\"\"doc\n'''\"\"\"; c = f\"{d['k']}\" + r'\\''\n"
           b"e = '''it's\n\"ok\"''' ; g = h  # \"tail\n")
    code = prefilter.code_only(src)
    assert code == b"a =  \nb = ; c = f + r\ne =  ; g = h  \n"
    # the analysis' own words inside strings and comments are gone, code is kept
    assert not prefilter.OPTIMIZER_BUILT.in_code(prefilter.code_only(
        b"x = 'torch.optim.SGD'  # optim\n"))
    assert prefilter.OPTIMIZER_BUILT.in_code(prefilter.code_only(
        b"x = 'a'; torch.optim.SGD(p)  # b\n"))


@pytest.mark.parametrize("code, hit", [
    (b"torch.optim.SGD", True), (b"from torch import optim", True), (b"optim\n", True),
    (b"(optim)", True), (b"xoptim", False), (b"_optim", False), (b"optimize", False),
    (b"optim_", False), (b"self.optimizer", False), (b"Optimizer", True)])
def test_optim_word_is_a_whole_segment(code, hit):
    from pglint.static import prefilter as P
    assert P._builds_an_optimizer(code) is hit
