"""pglint.watch: what the first optimizer steps did, on tiny CPU models."""

from __future__ import annotations

import copy
import warnings

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import pglint
from pglint import AuditError, audit

# -- models and loops ----------------------------------------------------------------------


class Net(nn.Module):
    """enc -> head; 'aux' is built but unused unless use_aux; 'side' sees a detached input."""

    def __init__(self, use_aux: bool = True, detach_side: bool = False) -> None:
        super().__init__()
        self.enc = nn.Linear(4, 8)
        self.aux = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)
        self.use_aux = use_aux

    def forward(self, x):
        h = torch.relu(self.enc(x))
        if self.use_aux:
            h = h + self.aux(h)
        return self.head(h)


def batch(i: int = 0):
    g = torch.Generator().manual_seed(i)
    return torch.randn(5, 4, generator=g)


def train(model, optimizers, steps: int = 4, accumulate: int = 1):
    if isinstance(optimizers, dict):
        optimizers = list(optimizers.values())
    optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
    for i in range(steps):
        for o in optimizers:
            o.zero_grad()
        for j in range(accumulate):
            model(batch(i * accumulate + j)).pow(2).mean().backward()
        for o in optimizers:
            o.step()


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def watched(model, optimizers, loop=train, **kw):
    w = pglint.watch(model, optimizers, **kw)
    loop(model, optimizers)
    assert w.done
    return w.report()


def hooks_of(opt) -> int:
    return len(opt._optimizer_step_pre_hooks) + len(opt._optimizer_step_post_hooks)


# -- findings ------------------------------------------------------------------------------


def test_parameter_with_gradient_never_updated_names_module():
    model = Net()
    opt = torch.optim.AdamW(list(model.enc.parameters()) + list(model.aux.parameters()), lr=1e-3)
    report = watched(model, opt)
    assert codes(report) == ["PG101"]
    f = report.findings[0]
    assert f.subject == ("head.weight", "head.bias")
    assert f.message == ("2 parameters had a gradient at every watched step and no optimizer "
                         "updated them: 'head.weight', 'head.bias'; seen at steps 1-3")
    assert f.severity == "error"


def test_one_gradient_applied_by_two_optimizers():
    model = Net()
    main = torch.optim.AdamW(model.parameters(), lr=1e-3)
    enc = torch.optim.SGD(model.enc.parameters(), lr=0.1)
    report = watched(model, {"main": main, "enc": enc})
    assert codes(report) == ["PG003"]
    f = report.findings[0]
    assert f.subject == ("enc.weight", "enc.bias")
    assert f.message.startswith("2 parameters were updated by both optimizer 'main' (AdamW) and "
                                "optimizer 'enc' (SGD) from one gradient")
    assert f.message.endswith("seen at step 1 of optimizer 'enc' (SGD)")


def test_two_optimizers_in_either_order_on_disjoint_parameters_are_silent():
    model = Net()
    a = torch.optim.AdamW(model.enc.parameters(), lr=1e-3)
    b = torch.optim.SGD(list(model.aux.parameters()) + list(model.head.parameters()), lr=0.1)

    def loop(model, opts):
        for i in range(4):
            a.zero_grad(), b.zero_grad()
            model(batch(i)).sum().backward()
            for o in (opts if i % 2 else opts[::-1]):
                o.step()

    assert codes(watched(model, [a, b], loop=loop)) == []


def test_step_twice_per_backward():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loop(model, opt):
        for i in range(3):
            opt.zero_grad()
            model(batch(i)).sum().backward()
            opt.step()
            if i == 1:
                opt.step()  # the same gradient again

    report = watched(model, opt, loop=loop)
    assert codes(report) == ["PG105"]
    f = report.findings[0]
    assert f.message.startswith("6 parameters were updated twice by SGD from one gradient: "
                                "step() ran again before a new backward pass")
    assert f.message.endswith("seen at step 3")


def test_parameter_twice_in_one_group_is_updated_twice():
    model = nn.Linear(4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the duplicate
        opt = torch.optim.SGD([model.weight, model.weight, model.bias], lr=0.1)
    report = watched(model, opt, loop=lambda m, o: train(m, o, steps=3))
    assert codes(report) == ["PG105"]
    assert report.findings[0].subject == ("weight",)
    assert "appears more than once in group 0" in report.findings[0].message


def test_parameter_without_gradient_unused_branch_and_detach():
    model = Net(use_aux=False)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    report = watched(model, opt)
    assert codes(report) == ["PG110"]
    f = report.findings[0]
    assert f.severity == "warning" and f.subject == ("aux.weight", "aux.bias")
    assert f.message == ("2 parameters in group 0 had no gradient at any of the 3 watched steps: "
                         "the loss does not depend on them: 'aux.weight', 'aux.bias'")

    class Detached(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Linear(4, 4)
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            return self.head(self.emb(x).detach())

    model = Detached()
    report = watched(model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert codes(report) == ["PG110"]
    assert report.findings[0].subject == ("emb.weight", "emb.bias")


def test_frozen_parameter_in_optimizer_without_gradient_is_info():
    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.enc.requires_grad_(False)
    report = watched(model, opt)
    assert [(f.code, f.severity) for f in report.findings] == [("PG110", "info")]
    assert report.findings[0].message.startswith("2 frozen parameters in group 0 had no gradient")
    assert report.ok


def test_frozen_parameter_with_stale_grad_is_moved():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(batch()).sum().backward()
    model.head.requires_grad_(False)  # frozen after a backward: .grad stays

    def loop(model, opt):
        for i in range(3):
            model(batch(i)).sum().backward()
            opt.step()
            for p in list(model.enc.parameters()) + list(model.aux.parameters()):
                p.grad = None

    report = watched(model, opt, loop=loop)
    assert codes(report) == ["PG103"]
    f = report.findings[0]
    assert f.severity == "warning" and f.subject == ("head.weight", "head.bias")
    assert f.message.endswith("updated by SGD from a stale .grad: 'head.weight', 'head.bias'; "
                              "seen at step 1")


def test_scheduler_flattening_group_lrs():
    model = Net()
    opt = torch.optim.SGD([{"params": model.enc.parameters(), "lr": 1e-3},
                           {"params": list(model.aux.parameters()) + list(model.head.parameters()),
                            "lr": 1e-2}], momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    w = pglint.watch(model, opt, schedulers=sched)
    for i in range(3):
        opt.zero_grad()
        model(batch(i)).sum().backward()
        opt.step()
        sched.step()
        for g in opt.param_groups:  # warm-up code that sets one lr for every group
            g["lr"] = 5e-3
    report = w.report()
    assert codes(report) == ["PG008"]
    f = report.findings[0]
    assert f.message == ("the 2 groups started with lrs 0.001, 0.01 and all use lr 0.005 from "
                         "step 2 on (LambdaLR is attached); seen at step 2")
    unnamed = pglint.watch(model, opt)
    train(model, opt)
    assert "(a scheduler is attached; pass schedulers= to name it)" in str(unnamed.report())


def test_per_group_schedulers_are_silent():
    for make in (
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, [lambda s: min(1.0, s / 2), lambda s: 1.0]),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, s / 2)),  # from 0
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[1e-3, 1e-2], total_steps=10),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
    ):
        model = Net()
        opt = torch.optim.SGD([{"params": model.enc.parameters(), "lr": 1e-3},
                               {"params": list(model.aux.parameters())
                                + list(model.head.parameters()), "lr": 1e-2}], momentum=0.9)
        sched = make(opt)
        w = pglint.watch(model, opt, schedulers=[sched])
        for i in range(4):
            opt.zero_grad()
            model(batch(i)).sum().backward()
            opt.step()
            sched.step()
        assert codes(w.report()) == [], str(w.report())


# -- healthy look-alikes ---------------------------------------------------------------------


def test_gan_alternating_optimizers_is_silent():
    gen, disc = nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3)
    models = {"gen": gen, "disc": disc}

    def loop(_m, _o):
        for i in range(4):
            real, z = batch(i), torch.randn(5, 3)
            opt_d.zero_grad()
            loss_d = disc(real).mean() - disc(gen(z).detach()).mean()
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            disc(gen(z)).mean().backward()  # also leaves .grad on disc: zeroed before its step
            opt_g.step()

    assert codes(watched(models, {"gen": opt_g, "disc": opt_d}, loop=loop)) == []


def test_gradient_accumulation_is_silent():
    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    report = watched(model, opt, loop=lambda m, o: train(m, o, steps=3, accumulate=4))
    assert codes(report) == []
    # accumulation without zeroing between steps: each step still sees a new gradient
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loop(model, opt):
        for i in range(3):
            model(batch(i)).sum().backward()
            opt.step()

    assert codes(watched(model, opt, loop=loop)) == []


def test_grad_scaler_skipped_step_is_not_a_step():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    w = pglint.watch(model, opt)
    for i in range(4):
        opt.zero_grad()
        scaler.scale(model(batch(i)).sum()).backward()
        if i == 0:
            model.head.weight.grad[0, 0] = float("inf")  # overflow: scaler.step skips step()
        scaler.step(opt)
        scaler.update()
    assert w.done and w.report().steps == {"SGD": 3}
    assert codes(w.report()) == []


def test_deliberately_frozen_layers_are_silent():
    model = Net()
    model.enc.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    assert codes(watched(model, opt)) == []


def test_lbfgs_closure_steps_are_not_double_updates():
    model = nn.Linear(4, 1)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=2)

    def loop(model, opt):
        for i in range(3):
            def closure(i=i):
                opt.zero_grad()
                loss = model(batch(i)).pow(2).mean()
                loss.backward()
                return loss
            opt.step(closure)

    assert codes(watched(model, opt, loop=loop)) == []


def test_fused_and_foreach_optimizers():
    for kw in ({"fused": True}, {"foreach": True}, {"foreach": False}):
        model = Net()
        report = watched(model, torch.optim.AdamW(model.parameters(), lr=1e-3, **kw))
        assert codes(report) == [], kw
        model = Net()  # fused kernels move parameters without bumping their version counter
        part = torch.optim.AdamW(list(model.enc.parameters()) + list(model.aux.parameters()),
                                 lr=1e-3, **kw)
        assert codes(watched(model, part)) == ["PG101"], kw


def test_optimizer_whose_updates_are_invisible_is_not_judged():
    class DataSGD(torch.optim.Optimizer):  # writes through .data: no version counter moves
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.data.add_(p.grad.data, alpha=-group["lr"])

    model = Net()
    main = DataSGD(model.parameters())
    report = watched(model, [main, torch.optim.SGD(model.enc.parameters(), lr=0.1)])
    assert codes(report) == []


# -- never changes training ------------------------------------------------------------------


def run_training(watch: bool):
    torch.manual_seed(0)
    model = Net()
    opts = [torch.optim.AdamW(list(model.enc.parameters()) + list(model.head.parameters()),
                              lr=1e-2, weight_decay=0.1),
            torch.optim.SGD(model.aux.parameters(), lr=0.1, momentum=0.9)]
    sched = torch.optim.lr_scheduler.StepLR(opts[0], step_size=2)
    w = pglint.watch(model, opts, schedulers=sched) if watch else None
    for i in range(6):
        for o in opts:
            o.zero_grad()
        model(batch(i)).pow(2).mean().backward()
        for o in opts:
            o.step()
        sched.step()
    return model, opts, w


def test_watched_run_is_bit_identical():
    m1, o1, _ = run_training(watch=False)
    m2, o2, w = run_training(watch=True)
    assert w.done and codes(w.report()) == []
    for (n, a), (_, b) in zip(m1.named_parameters(), m2.named_parameters()):
        assert torch.equal(a, b), n
        assert torch.equal(a.grad, b.grad), n
        assert a._version == b._version, n
    for a, b in zip(o1, o2):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa["param_groups"] == sb["param_groups"]
        for k in sa["state"]:
            for key, v in sa["state"][k].items():
                assert torch.equal(torch.as_tensor(v), torch.as_tensor(sb["state"][k][key]))


def test_watch_holds_no_tensors():
    model = Net()
    opt = torch.optim.AdamW(model.parameters())
    w = pglint.watch(model, opt)
    train(model, opt, steps=2)
    assert not w.done
    seen = []

    def walk(obj, depth=0):
        if isinstance(obj, torch.Tensor):
            seen.append(obj)
        elif depth < 3 and hasattr(obj, "__slots__"):
            for k in obj.__slots__:
                walk(getattr(obj, k, None), depth + 1)
        elif depth < 3 and isinstance(obj, (list, tuple)):
            for x in obj:
                walk(x, depth + 1)

    walk(w._slots)
    walk([o.__dict__[k] for o in w._opts for k in ("lr0", "flat", "steps", "slots")])
    assert seen == []
    w.close()


def test_hooks_removed_after_window_and_on_exception():
    model = Net()
    opt = torch.optim.AdamW(model.parameters())
    opt.register_step_post_hook(lambda *a: None)  # the user's own hook stays
    w = pglint.watch(model, opt, steps=2)
    assert hooks_of(opt) == 3
    train(model, opt, steps=2)
    assert w.done and hooks_of(opt) == 1
    w.report()
    assert hooks_of(opt) == 1

    with pytest.raises(ZeroDivisionError), pglint.watch(model, opt, steps=5):
        train(model, opt, steps=1)
        assert hooks_of(opt) == 3
        1 / 0  # noqa: B018
    assert hooks_of(opt) == 1


def test_hooks_removed_when_another_hook_follows():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    w = pglint.watch(model, opt, steps=1)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))  # after the watch's hook
    train(model, opt, steps=3)
    assert calls == [1, 1, 1] and w.done
    w.close()
    assert hooks_of(opt) == 1


def test_context_manager_raises_like_assert_audit():
    model = Net()
    opt = torch.optim.AdamW(model.enc.parameters())
    with pytest.raises(AuditError, match="PG101 error"), pglint.watch(model, opt):
        train(model, opt, steps=3)
    with pglint.watch(model, opt, fail_on="never") as w:
        train(model, opt, steps=3)
    assert codes(w.report()) == ["PG101"]
    assert codes(watched(model, opt, ignore=["PG101"])) == []
    with pytest.raises(ValueError):
        pglint.watch(model, opt, steps=0)
    with pytest.raises(ValueError):
        pglint.watch(model, opt, select=["PG9"])


def test_report_before_window_end_and_to_dict():
    model = Net()
    opt = torch.optim.AdamW(model.enc.parameters())
    w = pglint.watch(model, opt, steps=10)
    train(model, opt, steps=2)
    report = w.report()
    assert hooks_of(opt) == 0
    assert report.steps == {"AdamW": 2}
    d = report.to_dict()
    assert d["watched_steps"] == {"AdamW": 2} and d["findings"][0]["code"] == "PG101"
    assert str(report).startswith("pglint watch: 2 steps of AdamW (window 10)\nAdamW: 1 group")


def test_torch_compile_model_and_step():
    model = Net()
    opt = torch.optim.AdamW(model.enc.parameters(), lr=1e-3)
    compiled = torch.compile(model, backend="eager")
    report = watched(compiled, opt, loop=lambda m, o: train(m, o, steps=3))
    assert codes(report) == ["PG101"]
    assert report.findings[0].subject[0] == "aux.weight"

    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sgd = torch.optim.SGD(model.enc.parameters(), lr=0.1)
    step = torch.compile(opt.step, backend="aot_eager")
    w = pglint.watch(model, [opt, sgd])
    for i in range(3):
        opt.zero_grad(), sgd.zero_grad()
        model(batch(i)).sum().backward()
        step()  # the watch's hooks run eagerly: torch.compiler.disable breaks the graph there
        sgd.step()
    report = w.report()
    assert codes(report) == ["PG003"], str(report)
    assert hooks_of(opt) == 0
    step()  # recompiles without the hooks


def test_step_traced_with_the_hooks_is_not_watched(monkeypatch):
    import importlib

    watch_module = importlib.import_module("pglint.runtime.watch")
    monkeypatch.setattr(watch_module, "_eager", lambda fn: fn)  # no graph break: traced
    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sgd = torch.optim.SGD(model.enc.parameters(), lr=0.1)
    step = torch.compile(opt.step, backend="aot_eager")
    w = pglint.watch(model, [opt, sgd])
    with pytest.warns(RuntimeWarning, match=r"cannot watch optimizer 0 \(AdamW\): its step is "
                                            "compiled by torch.compile"):
        for i in range(3):
            opt.zero_grad(), sgd.zero_grad()
            model(batch(i)).sum().backward()
            step()
            sgd.step()
    report = w.report()
    assert report.steps == {"optimizer 0": 0, "optimizer 1": 3}
    assert codes(report) == []  # nothing said about what it could not see
    assert hooks_of(opt) == hooks_of(sgd) == 0


def test_copy_of_model_after_watch_is_stale():
    model = Net()
    opt = torch.optim.AdamW(model.parameters())
    w = pglint.watch(model, opt)
    clone = copy.deepcopy(model)  # what the loop actually trains
    train(clone, opt, steps=3)
    assert codes(w.report()) == ["PG110"]  # the watched model got no gradient
    w2 = pglint.watch(clone, opt)
    train(clone, opt, steps=3)
    assert codes(w2.report()) == ["PG101", "PG102"]


# -- process groups: FSDP2 and DDP ----------------------------------------------------------
dist = torch.distributed


@pytest.fixture(scope="module")
def process_group(tmp_path_factory):
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch built without gloo")
    if dist.is_initialized():
        yield
        return
    init = tmp_path_factory.mktemp("pg") / "init"
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_fully_shard_after_the_audit_is_seen_at_the_first_step(process_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    assert audit(model, opt, no_decay=False).findings == []  # clean where it was built
    w = pglint.watch(model, opt)
    fully_shard(model, mesh=init_device_mesh("cpu", (1,)))  # e.g. a trainer's setup
    train(model, opt, steps=3)
    report = w.report()
    assert codes(report) == ["PG101", "PG102"], str(report)
    pg101, pg102 = report.findings
    assert pg101.subject == ("0.weight", "0.bias", "2.weight", "2.bias")
    assert pg101.help.startswith("the optimizer holds replaced copies (PG102)")
    assert pg102.message.endswith("were replaced after the optimizer was built); seen at step 1")
    assert pg102.help.startswith("fully_shard replaced the model's parameters")


def test_fully_shard_before_the_optimizer_is_silent(process_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    fully_shard(model, mesh=init_device_mesh("cpu", (1,)))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    assert codes(watched(model, opt, loop=lambda m, o: train(m, o, steps=3, accumulate=2))) == []
    part = torch.optim.AdamW(model[0].parameters(), lr=1e-3)  # DTensor parameters: same checks
    report = watched(model, part, loop=lambda m, o: train(m, o, steps=3))
    assert codes(report) == ["PG101"] and report.findings[0].subject == ("2.weight", "2.bias")


def test_ddp_is_silent_and_reports_under_plain_names(process_group):
    model = Net()
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    assert codes(watched(ddp, opt, loop=lambda m, o: train(m, o, steps=3, accumulate=2))) == []
    model = Net(use_aux=False)
    ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    report = watched(ddp, torch.optim.AdamW(model.parameters(), lr=1e-3))
    assert codes(report) == ["PG110"] and report.findings[0].subject == ("aux.weight", "aux.bias")


def test_public_names_after_submodule_imports():
    from pglint.runtime.audit import audit as audit_fn
    from pglint.runtime.watch import watch as watch_fn

    assert pglint.watch is watch_fn and pglint.audit is audit_fn



RANK_SCRIPT = """
import json, os, sys
import torch, torch.distributed as dist
from torch import nn
import pglint

rank, init, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.aux, self.head = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 2)

    def forward(self, x):  # aux unused
        return self.head(torch.relu(self.enc(x)))


torch.manual_seed(0)
model = Net()
ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
main = torch.optim.AdamW(model.parameters(), lr=1e-3)
enc = torch.optim.SGD(model.enc.parameters(), lr=0.1)
w = pglint.watch(ddp, {"main": main, "enc": enc})
for i in range(3):
    main.zero_grad(), enc.zero_grad()
    ddp(torch.randn(3, 4) * (rank + 1)).sum().backward()  # each rank its own batch
    main.step(), enc.step()
findings = w.report().findings
with open(out, "w") as f:
    json.dump([[x.code, x.severity, x.message, list(x.subject)] for x in findings], f)
dist.destroy_process_group()
os._exit(0)  # skip interpreter teardown
"""


def test_ddp_two_ranks_report_the_same(tmp_path):
    import json
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch built without gloo")
    root = Path(__file__).resolve().parents[1]
    script = tmp_path / "ranks.py"
    script.write_text(textwrap.dedent(RANK_SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-W", "ignore", str(script), str(r),
                               str(tmp_path / "init"), str(tmp_path / f"{r}.json")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for r in range(2)]
    outs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(2)]
    assert results[0] == results[1]  # every rank reports the same
    assert [(c, subject) for c, _, _, subject in results[0]] == [
        ("PG003", ["enc.weight", "enc.bias"]), ("PG110", ["aux.weight", "aux.bias"])]
