"""Framework callbacks, tested with duck-typed trainers (Lightning/transformers not needed)."""

from __future__ import annotations

import logging
import sys
import types

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from fakes import AcceleratedOptimizer

from pglint import AuditError
from pglint.integrations import hf, lightning


def model_and_opt(bad: bool = False):
    model = nn.Sequential(nn.Linear(4, 4, bias=False), nn.Linear(4, 2, bias=False))
    params = model[0].parameters() if bad else model.parameters()
    return model, torch.optim.SGD(params, lr=0.1)


class FakeTrainer:
    def __init__(self, optimizers, is_global_zero=True):
        self.optimizers = optimizers
        self.is_global_zero = is_global_zero


def test_lightning_logic_clean_and_failing(caplog):
    model, opt = model_and_opt()
    hook = lightning.PglintAudit()
    with caplog.at_level(logging.INFO, logger="pglint"):
        hook.on_train_start(FakeTrainer([opt]), model)
    assert hook.report.findings == []
    assert "pglint audit: no findings" in caplog.text

    model, opt = model_and_opt(bad=True)
    with pytest.raises(AuditError, match="PG101 error"):
        lightning.PglintAudit().on_train_start(FakeTrainer([opt]), model)
    lightning.PglintAudit(ignore=["PG101"]).on_train_start(FakeTrainer([opt]), model)
    with pytest.raises(ValueError):
        lightning.PglintAudit(fail_on="sometimes")


def test_lightning_only_rank_zero_logs(caplog):
    model, opt = model_and_opt()
    opt.param_groups[0]["tag"] = 1  # an info finding: logged, not raised
    with caplog.at_level(logging.INFO, logger="pglint"):
        lightning.PglintAudit().on_train_start(FakeTrainer([opt], is_global_zero=False), model)
    assert caplog.text == ""
    with caplog.at_level(logging.INFO, logger="pglint"):
        lightning.PglintAudit().on_train_start(FakeTrainer([opt]), model)
    assert "PG004 info" in caplog.text


def test_lightning_callback_class_needs_lightning(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightning", None)
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.setitem(sys.modules, "pytorch_lightning", None)
    monkeypatch.setattr(lightning, "_built", {})
    with pytest.raises(ImportError, match="PglintCallback needs Lightning"):
        lightning.PglintCallback  # noqa: B018


def test_lightning_callback_class_with_lightning(monkeypatch):
    class Callback:  # what lightning.pytorch.Callback provides: no-op hooks
        def on_fit_start(self, trainer, pl_module):
            pass

    pkg = types.ModuleType("lightning")
    sub = types.ModuleType("lightning.pytorch")
    sub.Callback = Callback
    pkg.pytorch = sub
    monkeypatch.setitem(sys.modules, "lightning", pkg)
    monkeypatch.setitem(sys.modules, "lightning.pytorch", sub)
    monkeypatch.setattr(lightning, "_built", {})
    from pglint.integrations.lightning import PglintCallback

    cb = PglintCallback(fail_on="warning")
    assert isinstance(cb, Callback) and isinstance(cb, lightning.PglintAudit)
    model, opt = model_and_opt(bad=True)
    with pytest.raises(AuditError):
        cb.on_train_start(FakeTrainer([opt]), model)


def test_hf_logic_unwraps_accelerated_optimizer():
    model, opt = model_and_opt()
    hook = hf.PglintTrainerAudit()
    control = object()
    state = types.SimpleNamespace(is_world_process_zero=True)
    out = hook.on_train_begin(None, state, control, model=model,
                              optimizer=AcceleratedOptimizer(opt))
    assert out is control
    assert hook.report.findings == []
    assert hook.report.optimizers[0].wrappers == ("AcceleratedOptimizer",)

    model, opt = model_and_opt(bad=True)
    with pytest.raises(AuditError):
        hook.on_train_begin(None, state, control, model=model,
                            optimizer=AcceleratedOptimizer(opt))
    # no optimizer yet (some events): nothing to audit
    assert hook.on_train_begin(None, state, control, model=model) is control


def test_hf_callback_class(monkeypatch):
    monkeypatch.setattr(hf, "_built", {})
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match="needs transformers"):
        hf.PglintTrainerCallback  # noqa: B018

    class TrainerCallback:
        def on_train_begin(self, args, state, control, **kwargs):
            return control

    fake = types.ModuleType("transformers")
    fake.TrainerCallback = TrainerCallback
    monkeypatch.setitem(sys.modules, "transformers", fake)
    monkeypatch.setattr(hf, "_built", {})
    cls = hf.PglintTrainerCallback
    assert issubclass(cls, TrainerCallback)
    model, opt = model_and_opt()
    cb = cls()
    cb.on_train_begin(None, types.SimpleNamespace(), None, model=model, optimizer=opt)
    assert cb.report.findings == []


# -- the watch: the first steps -------------------------------------------------------------
def step(model, opt, i=0):
    opt.zero_grad()
    model(torch.full((2, 4), float(i + 1))).sum().backward()
    opt.step()


def test_lightning_watches_the_first_steps(caplog):
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    enc = torch.optim.SGD(model[0].parameters(), lr=0.1)  # the same layer stepped twice
    hook = lightning.PglintAudit(ignore=["PG003"])  # the construction-time overlap: let it run
    trainer = FakeTrainer([opt, enc])
    trainer.lr_scheduler_configs = []
    hook.on_train_start(trainer, model)
    assert hook.watch is not None and not hook.watch.done
    with caplog.at_level(logging.INFO, logger="pglint"):
        for i in range(2):
            step(model, opt, i), enc.step()
            hook.on_train_batch_end(trainer, model, None, None, i)
        assert hook.watch_report is None  # window not over yet
        step(model, opt, 2), enc.step()
        hook.on_train_batch_end(trainer, model, None, None, 2)  # ignore= applies to the watch too
    assert hook.watch.done and hook.watch_report.findings == []
    assert "pglint watch: no findings in the first 3 steps" in caplog.text

    hook = lightning.PglintAudit(ignore=["PG003"], select=["PG1"])
    hook.on_train_start(trainer, model)
    for i in range(3):
        step(model, opt, i)
        hook.on_train_batch_end(trainer, model, None, None, i)
    assert hook.watch_report is None  # enc never stepped: the window stays open
    hook.on_exception(trainer, model, RuntimeError("stop"))
    assert len(opt._optimizer_step_pre_hooks) == len(enc._optimizer_step_pre_hooks) == 0


def test_lightning_watch_raises_on_errors_and_can_be_off():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    head_too = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = FakeTrainer([head_too])
    hook = lightning.PglintAudit()
    hook.on_train_start(trainer, model)
    model[1] = nn.Linear(4, 2)  # replaced after the audit: the watch sees it
    with pytest.raises(AuditError, match="(?s)PG101 error.*PG102 error"):
        for i in range(3):
            step(model, head_too, i)
            hook.on_train_batch_end(trainer, model, None, None, i)
    off = lightning.PglintAudit(watch_steps=0)
    model, opt = model_and_opt()
    trainer = FakeTrainer([opt])
    off.on_train_start(trainer, model)
    assert off.watch is None
    off.on_train_end(trainer, model)
    with pytest.raises(ValueError):
        lightning.PglintAudit(watch_steps=-1)


def test_hf_watches_with_scheduler_and_reports_at_train_end(caplog):
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.01},
                           {"params": model[1].parameters(), "lr": 0.1}])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    hook = hf.PglintTrainerAudit(watch_steps=5)
    state = types.SimpleNamespace(is_world_process_zero=True)
    hook.on_train_begin(None, state, None, model=model, optimizer=AcceleratedOptimizer(opt),
                        lr_scheduler=sched)
    for i in range(2):
        step(model, opt, i)
        for g in opt.param_groups:
            g["lr"] = 0.05  # lr code that flattens the groups
        hook.on_step_end(None, state, None)
    assert hook.watch_report is None
    with caplog.at_level(logging.INFO, logger="pglint"):
        hook.on_train_end(None, state, None)  # training ended inside the window
    assert [f.code for f in hook.watch_report.findings] == ["PG008"]
    assert "(LambdaLR is attached)" in caplog.text
    assert len(opt._optimizer_step_post_hooks) == 0
