"""Every fix, run: the fixed program does what the fix promises, on a tiny model under torch.

A safe fix (`--fix`) must keep the program's behaviour except for the fault it removes; an
unsafe one (`--unsafe-fixes`) may change more, and each test below that demotes a fix shows
the program where applying it would change behaviour.  Each test also runs the original to
show the fault is there, so no test passes on code that was never broken.
"""

from __future__ import annotations

import textwrap

import pytest

torch = pytest.importorskip("torch")


def run(text: str) -> dict:
    ns: dict = {"__name__": "fixed"}
    exec(compile(textwrap.dedent(text), "fixed.py", "exec"), ns)
    return ns


def fixed(project, run_cli, source: str, *flags: str) -> tuple[str, str]:
    """(fixed text, pglint's report before fixing)."""
    f = project("train.py", source)
    _, out, _ = run_cli("check", "train.py", cwd=project.root)
    run_cli("check", "--fix", *flags, "train.py")
    return f.read_text(), out


def ids(params) -> list[int]:
    return [id(p) for p in params]


# ---------------------------------------------------------------- PG002
PG002_SAFE = """\
import torch
model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
params = model.parameters()
opt = torch.optim.SGD(params, lr=0.1)
n_params = sum(p.numel() for p in params)
"""


def test_pg002_fix_gives_the_optimizer_and_the_second_use_every_parameter(project, run_cli):
    before = run(PG002_SAFE)
    assert before["n_params"] == 0  # the fault: the second use sees nothing
    text, out = fixed(project, run_cli, PG002_SAFE)
    assert "PG002 [*]" in out and "params = list(model.parameters())" in text
    ns = run(text)
    model, opt = ns["model"], ns["opt"]
    assert ids(opt.param_groups[0]["params"]) == ids(model.parameters())
    assert ns["n_params"] == sum(p.numel() for p in model.parameters()) == 20


PG002_MODEL_CHANGED_BETWEEN = """\
import torch
model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
params = model.parameters()
model[1] = torch.nn.Linear(3, 4)
opt = torch.optim.SGD(params, lr=0.1)
n_params = sum(p.numel() for p in params)
"""


def test_pg002_fix_is_unsafe_when_the_model_changes_before_the_first_use(project, run_cli):
    text, out = fixed(project, run_cli, PG002_MODEL_CHANGED_BETWEEN)
    assert "PG002" in out and "PG002 [*]" not in out
    assert text == textwrap.dedent(PG002_MODEL_CHANGED_BETWEEN)  # --fix leaves it alone
    lazy = run(PG002_MODEL_CHANGED_BETWEEN)
    assert ids(lazy["opt"].param_groups[0]["params"]) == ids(lazy["model"].parameters())
    # materialised early, the optimizer would hold the replaced layer: behaviour changes
    text, _ = fixed(project, run_cli, PG002_MODEL_CHANGED_BETWEEN, "--unsafe-fixes")
    early = run(text)
    assert ids(early["opt"].param_groups[0]["params"]) != ids(early["model"].parameters())


PG002_ENDLESS = """\
import torch
def batches(data):
    while True:
        for x in data:
            yield x
model = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
stream = batches([torch.ones(2), torch.zeros(2)])
for step, x in zip(range(3), stream):
    opt.zero_grad()
    model(x).sum().backward()
    opt.step()
for x in stream:
    seen_again = x
    break
"""


def test_pg002_endless_generator_gets_no_finding_and_no_fix(project, run_cli):
    ns = run(PG002_ENDLESS)
    assert "seen_again" in ns  # the second loop still gets items
    f = project("train.py", PG002_ENDLESS)
    code, out, _ = run_cli("check", "--fix", "--unsafe-fixes", "train.py", cwd=project.root)
    assert code == 0 and out == ""
    assert f.read_text() == textwrap.dedent(PG002_ENDLESS)  # no list(...) that never returns


PG002_USER_GENERATOR = """\
import torch
log = []
def trainable(model):
    for p in model.parameters():
        log.append(len(log))
        yield p
model = torch.nn.Linear(2, 1)
params = trainable(model)
opt = torch.optim.SGD(params, lr=0.1)
again = list(params)
"""


def test_pg002_fix_of_a_user_generator_is_unsafe_but_correct(project, run_cli):
    text, out = fixed(project, run_cli, PG002_USER_GENERATOR)
    assert "PG002" in out and "PG002 [*]" not in out and "list(trainable" not in text
    text, _ = fixed(project, run_cli, PG002_USER_GENERATOR, "--unsafe-fixes")
    assert "params = list(trainable(model))" in text
    ns = run(text)
    assert ids(ns["again"]) == ids(ns["model"].parameters())
    assert ids(ns["opt"].param_groups[0]["params"]) == ids(ns["model"].parameters())


# ---------------------------------------------------------------- PG007
PG007 = """\
import torch
model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
opt = torch.optim.Adam(model.parameters, lr=1e-3)
"""


def test_pg007_fix_builds_the_optimizer_over_the_model(project, run_cli):
    with pytest.raises(TypeError):
        run(PG007)
    text, out = fixed(project, run_cli, PG007)
    assert "PG007 [*]" in out
    ns = run(text)
    assert ids(ns["opt"].param_groups[0]["params"]) == ids(ns["model"].parameters())


PG007_NOT_A_MODULE = """\
import torch
class Bank:
    def __init__(self):
        self.parameters = [torch.zeros(2, requires_grad=True)]
bank = Bank()
opt = torch.optim.SGD(bank.parameters, lr=0.1)
"""


def test_pg007_is_silent_on_a_parameters_list_attribute(project, run_cli):
    ns = run(PG007_NOT_A_MODULE)  # works as written; '()' would raise TypeError
    assert ids(ns["opt"].param_groups[0]["params"]) == ids(ns["bank"].parameters)
    text, out = fixed(project, run_cli, PG007_NOT_A_MODULE, "--unsafe-fixes")
    assert out == "" and text == textwrap.dedent(PG007_NOT_A_MODULE)


# ---------------------------------------------------------------- PG010
PG010 = """\
import torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
for p in model[0].parameters():
    p.require_grad = False
opt = torch.optim.SGD(model.parameters(), lr=0.1)
before = [p.detach().clone() for p in model.parameters()]
model(torch.ones(4, 3)).sum().backward()
opt.step()
moved = [not torch.equal(a, p) for a, p in zip(before, model.parameters())]
"""


def test_pg010_fix_freezes_the_parameter(project, run_cli):
    assert run(PG010)["moved"] == [True, True, True, True]  # the typo froze nothing
    text, out = fixed(project, run_cli, PG010)
    assert "PG010 [*]" in out and "p.requires_grad = False" in text
    ns = run(text)
    assert ns["moved"] == [False, False, True, True]
    assert [p.requires_grad for p in ns["model"].parameters()] == [False, False, True, True]


PG010_NON_LEAF = """\
import torch
model = torch.nn.Linear(3, 2)
out = model(torch.ones(1, 3))
out.require_grad = False
"""


def test_pg010_fix_on_a_computed_tensor_is_unsafe(project, run_cli):
    run(PG010_NON_LEAF)
    text, out = fixed(project, run_cli, PG010_NON_LEAF)
    assert "PG010" in out and "PG010 [*]" not in out and "out.require_grad" in text
    text, _ = fixed(project, run_cli, PG010_NON_LEAF, "--unsafe-fixes")
    with pytest.raises(RuntimeError, match="leaf"):  # why it is not safe
        run(text)


# ---------------------------------------------------------------- PG001, PG004 (unsafe)
PG001 = """\
import torch
model = torch.nn.Linear(3, 2)
opt = torch.optim.SGD([{"param": model.parameters(), "lr": 0.5}], lr=0.1)
"""


def test_pg001_unsafe_fix_gives_the_group_its_parameters(project, run_cli):
    with pytest.raises(KeyError):
        run(PG001)
    text, _ = fixed(project, run_cli, PG001)
    assert '"param":' in text  # unsafe: not applied by --fix alone
    text, _ = fixed(project, run_cli, PG001, "--unsafe-fixes")
    ns = run(text)
    group = ns["opt"].param_groups[0]
    assert ids(group["params"]) == ids(ns["model"].parameters()) and group["lr"] == 0.5


PG004 = """\
import torch
model = torch.nn.Linear(3, 2)
opt = torch.optim.SGD([{"params": model.parameters(), "learning_rate": 0.5}], lr=0.1)
"""


def test_pg004_unsafe_fix_makes_the_group_lr_apply(project, run_cli):
    assert run(PG004)["opt"].param_groups[0]["lr"] == 0.1  # the typo'd key is ignored
    text, _ = fixed(project, run_cli, PG004)
    assert '"learning_rate"' in text
    text, _ = fixed(project, run_cli, PG004, "--unsafe-fixes")
    ns = run(text)
    assert ns["opt"].param_groups[0]["lr"] == 0.5
    assert ids(ns["opt"].param_groups[0]["params"]) == ids(ns["model"].parameters())
