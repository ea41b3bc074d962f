"""Every bad argument to a runtime entry point is a TypeError/ValueError naming it."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from fakes import AcceleratedOptimizer

from pglint import assert_audit, audit
from pglint.integrations import hf, lightning
from pglint.runtime.distributed import check_ranks


class FakeOptimizer:
    """Has the attributes an optimizer is recognised by; param_groups as given."""

    def __init__(self, param_groups):
        self.param_groups = param_groups
        self.state = {}


MODEL = nn.Linear(2, 2)
OPT = torch.optim.SGD(MODEL.parameters(), lr=0.1)

# (model, optimizers, options, exception, message)
BAD_AUDIT = [
    ([MODEL, None], OPT, {}, TypeError, "model[1] must be a torch.nn.Module, got None"),
    ((MODEL, 3), OPT, {}, TypeError, "model[1] must be a torch.nn.Module, got int"),
    ({"a": 1}, OPT, {}, TypeError, "model['a'] must be a torch.nn.Module, got int"),
    ({1: MODEL}, OPT, {}, TypeError, "model must map names (strings) to modules"),
    ("model", OPT, {}, TypeError, "model must be a torch.nn.Module, a list of modules or a dict"),
    (None, OPT, {}, TypeError, "model must be a torch.nn.Module, a list of modules or a dict "
                               "name -> module, got None"),
    (MODEL, None, {}, TypeError, "optimizers must be an optimizer, a list of optimizers or a "
                                 "dict name -> optimizer, got None"),
    (MODEL, 3, {}, TypeError, "optimizers must be an optimizer"),
    (MODEL, "adam", {}, TypeError, "optimizers must be an optimizer"),
    (MODEL, [], {}, ValueError, "optimizers is empty"),
    (MODEL, {}, {}, ValueError, "optimizers is empty"),
    (MODEL, [OPT, None], {}, TypeError,
     "optimizers[1]: expected a torch optimizer (or a wrapper of one), got None"),
    (MODEL, {"g": OPT, "d": MODEL}, {}, TypeError,
     "optimizers['d']: expected a torch optimizer (or a wrapper of one), got Linear"),
    (MODEL, FakeOptimizer(None), {}, TypeError,
     "optimizer.param_groups must be a list of dicts, got None"),
    (MODEL, FakeOptimizer({"params": []}), {}, TypeError,
     "optimizer.param_groups must be a list of dicts, got dict"),
    (MODEL, FakeOptimizer([{"params": []}, "lr"]), {}, TypeError,
     "optimizer.param_groups[1] must be a dict, got str"),
    (MODEL, [OPT, FakeOptimizer([{"lr": 0.1}])], {}, ValueError,
     "optimizers[1].param_groups[0] has no 'params' key"),
    (MODEL, AcceleratedOptimizer(FakeOptimizer(None)), {}, TypeError,
     "optimizer.param_groups must be a list of dicts, got None"),
    (MODEL, OPT, {"select": "PG1"}, TypeError,
     "select must be a list of strings, e.g. select=[\"PG1\"]; got the string 'PG1'"),
    (MODEL, OPT, {"ignore": "PG103"}, TypeError, "ignore must be a list of strings"),
    (MODEL, OPT, {"select": 5}, TypeError, "select must be a list of strings, e.g. "
                                           "select=[\"PG1\"]; got int"),
    (MODEL, OPT, {"select": [None]}, TypeError, "select[0] must be a string, got None"),
    (MODEL, OPT, {"ignore": ["PG103", 4]}, TypeError, "ignore[1] must be a string, got int"),
    (MODEL, OPT, {"select": ["PG999"]}, ValueError, "select names no pglint code: PG999"),
    (MODEL, OPT, {"ignore": ["XYZ"]}, ValueError, "ignore names no pglint code: XYZ"),
    (MODEL, OPT, {"extra_keys": None}, TypeError,
     "extra_keys must be a list of strings, e.g. extra_keys=[\"my_scale\"]; got None"),
    (MODEL, OPT, {"extra_keys": "my_scale"}, TypeError,
     "extra_keys must be a list of strings, e.g. extra_keys=[\"my_scale\"]; got the string"),
    (MODEL, OPT, {"extra_keys": {"a": 1}}, TypeError, "extra_keys must be a list of strings"),
    (MODEL, OPT, {"extra_keys": [b"k"]}, TypeError, "extra_keys[0] must be a string, got bytes"),
    (MODEL, OPT, {"no_decay": "no"}, TypeError, "no_decay must be True or False, got str"),
    (MODEL, OPT, {"no_decay": None}, TypeError, "no_decay must be True or False, got None"),
    (MODEL, OPT, {"nodecay": False}, TypeError, "unexpected keyword argument 'nodecay'"),
]


def _ids(cases):
    return [f"{i}-{c[-1][:30]}" for i, c in enumerate(cases)]


@pytest.mark.parametrize("model, optimizers, options, exc, message", BAD_AUDIT,
                         ids=_ids(BAD_AUDIT))
def test_audit_bad_argument(model, optimizers, options, exc, message):
    with pytest.raises(exc) as info:
        audit(model, optimizers, **options)
    assert message in str(info.value)
    with pytest.raises(exc) as info:  # assert_audit: the same check, the same message
        assert_audit(model, optimizers, **options)
    assert message in str(info.value)


@pytest.mark.parametrize("fail_on, exc, message", [
    ("warnings", ValueError, "fail_on must be one of error, warning, info, never, got 'warnings'"),
    ("", ValueError, "fail_on must be one of error, warning, info, never, got ''"),
    (None, TypeError, "fail_on must be one of error, warning, info, never, got None"),
    (1, TypeError, "fail_on must be one of error, warning, info, never, got int"),
])
def test_assert_audit_bad_fail_on_before_auditing(fail_on, exc, message):
    with pytest.raises(exc) as info:
        assert_audit(MODEL, OPT, fail_on=fail_on)
    assert str(info.value) == message
    for hook in (lightning.PglintAudit, hf.PglintTrainerAudit):
        with pytest.raises(exc) as info:
            hook(fail_on=fail_on)  # at construction, not when training starts
        assert str(info.value) == message


@pytest.mark.parametrize("options, exc, message", [
    (opts, exc, message) for _, _, opts, exc, message in BAD_AUDIT if opts
])
def test_integration_bad_option_at_construction(options, exc, message):
    for hook in (lightning.PglintAudit, hf.PglintTrainerAudit):
        with pytest.raises(exc) as info:
            hook(**options)
        assert message in str(info.value)


@pytest.mark.parametrize("model, optimizers, exc, message", [
    (model, opts, exc, message) for model, opts, options, exc, message in BAD_AUDIT
    if not options and model is not None  # model=None is check_ranks' "no model"
])
def test_check_ranks_bad_model_or_optimizer_without_a_process_group(model, optimizers, exc,
                                                                    message):
    # checked even when torch.distributed is not initialized (a single-process dev run)
    with pytest.raises(exc) as info:
        check_ranks(optimizers, model)
    assert message in str(info.value)


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"timeout": 0}, ValueError, "timeout must be a positive, finite number of seconds, got 0"),
    ({"timeout": -5}, ValueError, "timeout must be a positive, finite number of seconds"),
    ({"timeout": float("inf")}, ValueError, "timeout must be a positive, finite number"),
    ({"timeout": float("nan")}, ValueError, "timeout must be a positive, finite number"),
    ({"timeout": "60"}, TypeError, "timeout must be a number of seconds, got str"),
    ({"timeout": None}, TypeError, "timeout must be a number of seconds, got None"),
    ({"timeout": True}, TypeError, "timeout must be a number of seconds, got bool"),
    ({"group": "world"}, TypeError, "group must be a torch.distributed ProcessGroup or None, "
                                    "got str"),
])
def test_check_ranks_bad_timeout_or_group(kwargs, exc, message):
    with pytest.raises(exc) as info:
        check_ranks(OPT, MODEL, **kwargs)
    assert message in str(info.value)


def test_good_arguments_still_accepted():
    gen = (o for o in [OPT])  # a generator of optimizers is materialised once
    assert audit(MODEL, gen, select=("PG1",), ignore={"PG103"}, extra_keys=frozenset({"k"}),
                 no_decay=False).findings == []
    assert audit([MODEL], {"only": OPT}, select=None).findings == []
    assert check_ranks(OPT, MODEL, timeout=1) == []  # no process group: nothing to compare
    assert check_ranks(OPT, timeout=2.5) == []


def test_lightning_without_optimizers_audits_nothing():
    hook = lightning.PglintAudit()

    class Trainer:
        optimizers: list = []
        is_global_zero = True

    hook.on_train_start(Trainer(), MODEL)  # configure_optimizers returned None
    assert hook.report is None
