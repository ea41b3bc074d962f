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
