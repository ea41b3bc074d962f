"""Runtime audit: every check, the clean cases that must stay silent, and no mutation."""

from __future__ import annotations

import copy
import json
import math
import warnings

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from fakes import AcceleratedOptimizer

import pglint
from pglint import AuditError, assert_audit, audit
from pglint.runtime.command import run_audit


# -- models --------------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, d: int = 4) -> None:
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.ln = nn.LayerNorm(d)

    def forward(self, x):
        return self.ln(self.fc(x))


class Net(nn.Module):
    def __init__(self, d: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, d)
        self.block = Block(d)
        self.head = nn.Linear(d, 2)

    def forward(self, x):
        return self.head(self.block(self.emb(x)))


def split_decay(model: nn.Module, wd: float = 0.1):
    """The reference no-decay split: biases and norm parameters by module type and ndim."""
    norm = (nn.LayerNorm, nn.modules.batchnorm._NormBase, nn.GroupNorm)
    no_decay = set()
    for m in model.modules():
        for n, p in m.named_parameters(recurse=False):
            if p.ndim <= 1 and (n == "bias" or isinstance(m, norm)):
                no_decay.add(id(p))
    params = list(model.parameters())
    return [
        {"params": [p for p in params if id(p) not in no_decay], "weight_decay": wd},
        {"params": [p for p in params if id(p) in no_decay], "weight_decay": 0.0},
    ]


def codes_of(report) -> list[str]:
    return [f.code for f in report.findings]


def only(report, code: str):
    hits = [f for f in report.findings if f.code == code]
    assert len(hits) == 1, report
    return hits[0]


def assert_clean(report) -> None:
    assert report.findings == [], str(report)
    assert report.ok


def train_step(model: nn.Module, opt, x=None) -> None:
    x = torch.randint(0, 10, (3,)) if x is None else x
    opt.zero_grad()
    model(x).pow(2).sum().backward()
    opt.step()


# -- clean cases: no finding at all, not even info ----------------------------------------------
def test_clean_complementary_decay_split():
    model = Net()
    opt = torch.optim.AdamW(split_decay(model))
    assert_clean(audit(model, opt))
    train_step(model, opt)
    assert_clean(audit(model, opt))


def test_clean_gan_two_optimizers_and_dict():
    g, d = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4)), nn.Linear(4, 1)
    model = nn.ModuleDict({"G": g, "D": d})
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    assert_clean(audit(model, [opt_g, opt_d]))
    assert_clean(audit(model, {"gen": opt_g, "disc": opt_d}))
    assert_clean(audit([g, d], (o for o in (opt_g, opt_d))))  # a generator: materialised once


def test_clean_tied_embeddings():
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(10, 4)
            self.lm_head = nn.Linear(4, 10, bias=False)
            self.lm_head.weight = self.wte.weight

    model = LM()
    assert_clean(audit(model, torch.optim.Adam(model.parameters())))
    named = torch.optim.Adam(model.named_parameters())
    assert named.param_groups[0]["param_names"] == ["wte.weight"]
    assert_clean(audit(model, named))
    # the tied weight named by its other alias is no mislabel
    alias = torch.optim.Adam([("lm_head.weight", model.wte.weight)])
    assert_clean(audit(model, alias))


def test_clean_frozen_backbone_head_only():
    model = Net()
    for p in list(model.emb.parameters()) + list(model.block.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.SGD(model.head.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    assert_clean(audit(model, opt))
    train_step(model, opt)
    assert_clean(audit(model, opt))


def test_clean_named_parameters():
    model = Net()
    opt = torch.optim.Adam(model.named_parameters())
    assert "param_names" in opt.param_groups[0]
    assert_clean(audit(model, opt))
    # names relative to a submodule are how torch names them: not a mislabel
    opt2 = torch.optim.Adam(
        [{"params": list(model.block.named_parameters())},
         {"params": list(model.emb.named_parameters()) + list(model.head.named_parameters())}]
    )
    assert_clean(audit(model, opt2))
    train_step(model, opt2)
    assert_clean(audit(model, opt2))


def test_clean_group_keys_and_one_cycle_per_group_max_lr():
    model = Net()
    groups = split_decay(model)
    groups[0].update(name="decay", lr_scale=1.0)
    groups[1].update(name="no_decay", lr_scale=0.5, lr=1e-3)
    opt = torch.optim.AdamW(groups, lr=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[1e-2, 1e-3], total_steps=10)
    assert_clean(audit(model, opt))
    for _ in range(3):
        train_step(model, opt)
        sched.step()
    assert_clean(audit(model, opt))


def test_clean_one_optimizer_per_parameter():
    model = Net()
    opts = [torch.optim.SGD([p], lr=0.1) for p in model.parameters()]
    assert_clean(audit(model, opts))


def test_clean_optimizer_wrappers():
    model = Net()
    inner = torch.optim.AdamW(split_decay(model))

    class LightningOptimizer:
        def __init__(self, optimizer):
            self._optimizer = optimizer

    report = audit(model, AcceleratedOptimizer(inner))
    assert_clean(report)
    assert report.optimizers[0].wrappers == ("AcceleratedOptimizer",)
    assert "AdamW (via AcceleratedOptimizer)" in str(report)
    assert_clean(audit(model, [LightningOptimizer(AcceleratedOptimizer(inner))]))


def test_clean_after_step_for_stateful_optimizers():
    for cls, kw in [(torch.optim.Adam, {"amsgrad": True}), (torch.optim.SGD, {"momentum": 0.9}),
                    (torch.optim.Adafactor, {}), (torch.optim.RMSprop, {"centered": True})]:
        model = Net()
        opt = cls([{"params": [p for p in model.parameters() if p.ndim > 1]},
                   {"params": [p for p in model.parameters() if p.ndim <= 1],
                    "weight_decay": 0.0}], **kw)
        train_step(model, opt)
        assert_clean(audit(model, opt))


# -- PG003 ------------------------------------------------------------------------------------
def test_pg003_same_parameters_in_two_optimizers():
    enc, dec = nn.Linear(4, 4), nn.Linear(4, 4)
    model = nn.ModuleDict({"enc": enc, "dec": dec})
    opt_a = torch.optim.Adam(enc.parameters())
    opt_b = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()))
    f = only(audit(model, [opt_a, opt_b]), "PG003")
    assert f.severity == "error"
    assert f.subject == ("enc.weight", "enc.bias")
    assert "optimizer 0 group 0 and optimizer 1 group 0" in f.message
    assert "2 updates per step" in f.message


def test_pg003_parameter_in_two_groups_by_hand():
    model = Net()
    opt = torch.optim.Adam(split_decay(model))
    opt.param_groups[1]["params"].append(model.head.weight)  # only possible by editing by hand
    f = only(audit(model, opt), "PG003")
    assert f.subject == ("head.weight",)
    assert f.message.startswith("parameter 'head.weight' is in both group 0 and group 1")


# -- PG004 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, meant", [
    ("weight_decays", "weight_decay"), ("learning_rate", "lr"), ("wd", "weight_decay"),
    ("momentun", "momentum"),
])
def test_pg004_near_miss_is_a_warning(key, meant):
    model = nn.Linear(4, 4, bias=False)
    opt = torch.optim.SGD([{"params": model.parameters(), key: 0.5}], lr=0.1)
    f = only(audit(model, opt), "PG004")
    assert f.severity == "warning"
    assert f.message.startswith(f"group key {key!r} in group 0 is never read by SGD; ")
    assert f"did you mean {meant!r}" in f.message
    assert f.help == f"rename {key!r} to {meant!r}"


def test_pg004_other_keys_info_and_allowlists():
    model = nn.Linear(4, 4, bias=False)
    opt = torch.optim.Adam([{"params": model.parameters(), "tag": "x", "lr_mult": 2.0,
                             "group_name": "w", "initial_lr": 1e-3, "swa_lr": 0.1}])
    f = only(audit(model, opt), "PG004")
    assert f.severity == "info" and "'tag'" in f.message
    assert_clean(audit(model, opt, extra_keys=["tag"]))
    assert_clean(audit(model, opt, ignore=["PG004"]))


def test_pg004_wrapper_defaults_are_hyperparameters():
    model = nn.Linear(4, 4, bias=False)
    inner = torch.optim.SGD([{"params": model.parameters(), "la_alpha": 0.5}], lr=0.1)

    class Lookahead(torch.optim.Optimizer):  # adds its own keys to defaults and groups
        def __init__(self, optimizer):
            self.optimizer = optimizer
            self.param_groups = optimizer.param_groups
            self.state = optimizer.state
            self.defaults = {**optimizer.defaults, "la_alpha": 0.5}

    assert_clean(audit(model, Lookahead(inner)))


# -- PG005 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, key, value, expect", [
    (torch.optim.Adam, "lr", -1e-3, "'lr' is negative (-0.001)"),
    (torch.optim.Adam, "lr", "1e-3", "'lr' is the string '1e-3', not a number"),
    (torch.optim.Adam, "lr", float("nan"), "'lr' is not finite (nan)"),
    (torch.optim.Adam, "betas", (0.9, 1.5), "'betas[1]' is 1.5, outside [0, 1)"),
    (torch.optim.Adam, "betas", (0.9,), "'betas' has 1 values, not 2"),
    (torch.optim.Adam, "eps", -1e-8, "'eps' is negative"),
    (torch.optim.Adam, "eps", float("inf"), "'eps' is not finite"),
    (torch.optim.AdamW, "weight_decay", -0.1, "'weight_decay' is negative (-0.1)"),
    (torch.optim.SGD, "momentum", -0.9, "'momentum' is negative (-0.9)"),
    (torch.optim.Adafactor, "eps", (None, -1.0), "'eps[1]' is negative (-1)"),
])
def test_pg005_invalid_values(cls, key, value, expect):
    model = nn.Linear(4, 4, bias=False)
    base = {"lr": 0.1} if cls is torch.optim.SGD else {}
    opt = cls([{"params": model.parameters()}, {"params": [], "name": "head", key: value}], **base)
    report = audit(model, opt)
    f = only(report, "PG005")
    assert f.severity == "error"
    assert f.message.startswith(expect), f.message
    assert f.message.endswith(f"in group 1 ('head'); {cls.__name__} never validates group values")
    assert f.subject == ("group 1",)


def test_pg005_nesterov_needs_momentum_and_no_dampening():
    a, b = nn.Linear(4, 4, bias=False), nn.Linear(4, 4, bias=False)
    model = nn.Sequential(a, b)
    opt = torch.optim.SGD([{"params": a.parameters(), "momentum": 0.0},
                           {"params": b.parameters(), "dampening": 0.1}],
                          lr=0.1, momentum=0.9, nesterov=True)
    msgs = [f.message for f in audit(model, opt).findings]
    assert msgs == [
        ("'nesterov' is True but momentum is 0; torch requires momentum > 0 in group 0; "
         "SGD never validates group values"),
        ("'nesterov' is True but dampening is 0.1; torch requires dampening 0 in group 1; "
         "SGD never validates group values"),
    ]


def test_pg005_custom_optimizer_gets_universal_checks_only():
    class Mine(torch.optim.Optimizer):
        def __init__(self, params, lr=0.1, betas=(0.9, 2.0)):  # its own rules for betas
            super().__init__(params, {"lr": lr, "betas": betas})

        def step(self, closure=None):
            return None

    model = nn.Linear(4, 4, bias=False)
    assert_clean(audit(model, Mine(model.parameters())))
    f = only(audit(model, Mine(model.parameters(), lr=-1.0)), "PG005")
    assert "'lr' is negative" in f.message


def test_pg005_defaults_of_every_torch_optimizer_are_valid():
    from pglint import hyperparams

    for name in hyperparams.torch_optimizers():
        model = nn.Linear(4, 4, bias=False)
        opt = getattr(torch.optim, name)(model.parameters())
        assert_clean(audit(model, opt))


# -- PG101 ------------------------------------------------------------------------------------
def test_pg101_trainable_parameter_in_no_group():
    model = Net()
    opt = torch.optim.Adam(list(model.emb.parameters()) + list(model.block.parameters()))
    f = only(audit(model, opt), "PG101")
    assert f.severity == "error"
    assert f.subject == ("head.weight", "head.bias")
    assert f.message == ("2 trainable parameters are in no optimizer group: "
                         "'head.weight', 'head.bias'")


def test_pg101_many_names_grouped_by_module():
    model = nn.Sequential(*[Block() for _ in range(6)])
    opt = torch.optim.Adam(model[0].parameters())
    f = only(audit(model, opt), "PG101")
    assert len(f.subject) == 20
    assert "20 trainable parameters are in no optimizer group: '1.fc.*' (2), '1.ln.*' (2)" \
        in f.message or "'1.*' (4)" in f.message


def test_pg101_frozen_parameters_are_not_missing():
    model = Net()
    model.head.requires_grad_(False)
    opt = torch.optim.Adam(list(model.emb.parameters()) + list(model.block.parameters()))
    assert_clean(audit(model, opt))


# -- PG102 ------------------------------------------------------------------------------------
def test_pg102_layer_replaced_after_the_optimizer():
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    model.head = nn.Linear(4, 2)
    report = audit(model, opt)
    f = only(report, "PG102")
    assert f.severity == "error"
    assert f.subject == ("head.weight", "head.bias")
    assert "(stale: the model's 'head.weight', 'head.bias' were replaced after the optimizer " \
           "was built)" in f.message
    assert only(report, "PG101").subject == ("head.weight", "head.bias")
    assert "PG102" in only(report, "PG101").help


def test_pg102_named_parameters_say_which_layer():
    model = Net()
    opt = torch.optim.Adam(split_decay(model) and model.named_parameters())
    model.block.fc = nn.Linear(4, 4)
    f = only(audit(model, opt), "PG102")
    assert f.message == ("2 parameters in group 0 are not in the model (stale: the model's "
                         "'block.fc.weight', 'block.fc.bias' were replaced after the optimizer "
                         "was built)")


def test_pg102_resized_layer_and_unknown_tensor():
    model = Net()
    extra = nn.Parameter(torch.zeros(3, 5))
    opt = torch.optim.Adam([{"params": list(model.parameters())}, {"params": [extra]}])
    f = only(audit(model, opt), "PG102")
    assert f.message == "a tensor of shape [3, 5] in group 1 is not in the model"


@pytest.mark.parametrize("how", ["assign", "deepcopy"])
def test_pg102_new_parameter_objects(how):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    if how == "assign":
        model.load_state_dict(copy.deepcopy(model.state_dict()), assign=True)
    else:
        model = copy.deepcopy(model)
    report = audit(model, opt)
    assert codes_of(report) == ["PG101", "PG102"]
    assert len(only(report, "PG102").subject) == 7


# -- PG103 ------------------------------------------------------------------------------------
def test_pg103_frozen_parameter_info_and_stale_grad_warning():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_step(model, opt)
    model.emb.weight.requires_grad_(False)  # frozen, but its .grad from the last step stays
    model.block.requires_grad_(False)
    model.block.zero_grad(set_to_none=True)
    report = audit(model, opt)
    assert codes_of(report) == ["PG103", "PG103"]
    warn, info = report.findings
    assert warn.severity == "warning" and warn.subject == ("emb.weight",)
    assert warn.message == ("frozen parameter 'emb.weight' in group 0 still holds a .grad; "
                            "step() will update it")
    assert info.severity == "info" and len(info.subject) == 4
    assert report.ok is False
    model.emb.weight.grad = None
    report = audit(model, opt)
    assert [f.severity for f in report.findings] == ["info"] and report.ok
    assert len(report.findings[0].subject) == 5


# -- PG104 ------------------------------------------------------------------------------------
def test_pg104_empty_group():
    model = nn.Linear(4, 4, bias=False)
    opt = torch.optim.Adam([{"params": model.parameters()}, {"params": [], "name": "bias"}])
    f = only(audit(model, opt), "PG104")
    assert f.severity == "warning"
    assert f.message == "group 1 ('bias') has no parameters"


# -- PG105 ------------------------------------------------------------------------------------
def test_pg105_same_parameter_twice_in_a_group():
    model = Net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = torch.optim.SGD(list(model.parameters()) + [model.head.weight], lr=0.1)
    f = only(audit(model, opt), "PG105")
    assert f.severity == "error"
    assert f.message == ("parameter 'head.weight' appears 2 times in group 0: "
                         "updated 2 times per step")
    assert "PG003" not in codes_of(audit(model, opt))


# -- PG106 ------------------------------------------------------------------------------------
def test_pg106_decay_on_bias_and_norm():
    model = Net()
    opt = torch.optim.AdamW(model.parameters(), weight_decay=0.05)
    f = only(audit(model, opt), "PG106")
    assert f.severity == "warning"
    # embedding decay is a choice; weights are fine; biases and norms are named
    assert f.subject == ("block.fc.bias", "block.ln.weight", "block.ln.bias", "head.bias")
    assert f.message.startswith("weight decay 0.05 on 4 bias/normalisation parameters in group 0")
    assert_clean(audit(model, opt, no_decay=False))


def test_pg106_by_module_type_not_by_name():
    class T5LayerNorm(nn.Module):  # a custom norm class, no torch base
        def __init__(self, d):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d))

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.final = T5LayerNorm(4)  # a name no list would catch
            self.scale = nn.Parameter(torch.ones(4))  # 1-d, but not bias nor norm
            self.proj = nn.Linear(4, 4, bias=False)
            self.bn = nn.BatchNorm1d(4)

    model = M()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4)
    f = only(audit(model, opt), "PG106")
    assert f.subject == ("final.weight", "bn.weight", "bn.bias")
    assert "normalisation parameters" in f.message


# -- PG107 ------------------------------------------------------------------------------------
def test_pg107_state_of_another_shape():
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    train_step(model, opt)
    saved = opt.state_dict()
    reordered = torch.optim.Adam(list(model.parameters())[::-1])
    reordered.load_state_dict(saved)  # torch maps state by position: no error here
    report = audit(model, reordered)
    f = only(report, "PG107")
    assert f.severity == "error"
    assert f.subject == ("head.bias", "head.weight", "block.fc.weight", "emb.weight")
    assert f.message.startswith(
        "state of 4 parameters in group 0 does not fit them: 'exp_avg' of 'head.bias' has "
        "shape [10, 4], the parameter [2]; ")
    assert f.message.endswith("; and 1 more: step() would crash or apply another parameter's "
                              "moments")


def test_pg107_state_on_another_device():
    model = nn.Sequential(nn.Linear(4, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    # as after model.cuda() once the optimizer has state: the parameters move, the state
    # stays (torch only moves state in load_state_dict); simulated here with the meta device
    opt.state[model[0].weight]["momentum_buffer"] = torch.zeros(4, 4, device="meta")
    report = audit(model, opt)
    assert codes_of(report) == ["PG107"]
    assert report.findings[0].message == (
        "state 'momentum_buffer' of '0.weight' in group 0 is on meta, the parameter on cpu: "
        "step() would fail")


def test_pg107_ignores_scalar_step_and_custom_state():
    model = nn.Linear(4, 4, bias=False)
    opt = torch.optim.Adam(model.parameters())
    train_step(nn.Sequential(nn.Embedding(10, 4), model), opt)
    assert opt.state[model.weight]["step"].shape == ()
    assert_clean(audit(model, opt))

    class Shampoo(torch.optim.SGD):  # own step(): state keys mean something else
        def step(self, closure=None):
            for p in self.param_groups[0]["params"]:
                self.state[p]["momentum_buffer"] = torch.zeros(7)

    opt = Shampoo(model.parameters(), lr=0.1)
    opt.step()
    assert_clean(audit(model, opt))


# -- PG108 ------------------------------------------------------------------------------------
def test_pg108_named_state_loaded_into_reordered_groups():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    n = dict(model.named_parameters())
    opt = torch.optim.Adam([{"params": [("0.weight", n["0.weight"])]},
                            {"params": [(k, n[k]) for k in ("1.weight", "0.bias", "1.bias")]}])
    train_step(model, opt, torch.randn(2, 4))
    other = torch.optim.Adam([{"params": [("1.weight", n["1.weight"])]},
                              {"params": [(k, n[k]) for k in ("0.weight", "0.bias", "1.bias")]}])
    other.load_state_dict(opt.state_dict())  # torch overwrites param_names by position
    report = audit(model, other)
    assert codes_of(report) == ["PG108", "PG108"]
    assert report.findings[0].message == (
        "param_names in group 0 mislabel a parameter: '0.weight' is the model's '1.weight'")
    assert report.findings[0].subject == ("1.weight",)


def test_pg108_wrapper_prefixed_names_are_fine():
    model = Net()
    compiled_names = [("_orig_mod." + k, p) for k, p in model.named_parameters()]
    ddp_names = [("module." + k, p) for k, p in model.named_parameters()]
    assert_clean(audit(model, torch.optim.Adam(compiled_names)))
    assert_clean(audit(model, torch.optim.Adam(ddp_names)))


# -- options, report, assert_audit ------------------------------------------------------------
def _broken():
    model = Net()
    opt = torch.optim.AdamW(
        [{"params": list(model.emb.parameters()) + list(model.block.parameters()),
          "name": "body", "weight_decays": 0.1},
         {"params": list(model.head.parameters()), "lr": -1e-3, "weight_decay": 0.0}])
    return model, opt


def test_select_and_ignore():
    model, opt = _broken()
    assert codes_of(audit(model, opt)) == ["PG004", "PG005", "PG106"]
    assert codes_of(audit(model, opt, select=["PG00"])) == ["PG004", "PG005"]
    assert codes_of(audit(model, opt, ignore=["PG0"])) == ["PG106"]
    assert codes_of(audit(model, opt, select=["PG"], ignore=["PG005"])) == ["PG004", "PG106"]
    with pytest.raises(ValueError, match="PG999"):
        audit(model, opt, ignore=["PG999"])


def test_report_text_and_dict():
    model, opt = _broken()
    report = audit(model, opt)
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "AdamW: 2 groups, 7 tensors, 78 elements"
    assert lines[1].split() == ["group", "name", "tensors", "elements", "hyperparameters"]
    assert lines[2].split() == ["0", "body", "5", "68", "lr=0.001", "weight_decay=0.01",
                                "weight_decays=0.1"]
    assert lines[3].split() == ["1", "-", "2", "10", "lr=-0.001", "weight_decay=0.0"]
    assert ("PG005 error: 'lr' is negative (-0.001) in group 1; AdamW never validates group "
            "values [invalid-group-value]") in text
    assert text.rstrip().endswith("1 error, 2 warnings, 0 info")
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False
    assert [f["code"] for f in d["findings"]] == ["PG004", "PG005", "PG106"]
    assert d["findings"][1]["subject"] == ["group 1"]
    assert d["groups"][0]["name"] == "body" and d["groups"][0]["tensors"] == 5
    assert d["groups"][1]["hyperparameters"]["betas"] == [0.9, 0.999]


def test_report_nan_value_is_json_safe():
    model = nn.Linear(2, 2, bias=False)
    opt = torch.optim.SGD([{"params": model.parameters(), "lr": float("nan")}], lr=0.1)
    d = json.loads(json.dumps(audit(model, opt).to_dict(), allow_nan=False))
    assert d["groups"][0]["hyperparameters"]["lr"] == "nan"


def test_assert_audit():
    model, opt = _broken()
    with pytest.raises(AuditError) as exc:
        assert_audit(model, opt)
    assert str(exc.value) == str(exc.value.report)
    assert "PG005 error" in str(exc.value)
    with pytest.raises(AuditError):
        assert_audit(model, opt, fail_on="error")
    assert_audit(model, opt, fail_on="error", ignore=["PG005"])  # warnings only: passes
    assert_audit(model, opt, fail_on="never")
    clean = Net()
    assert_audit(clean, torch.optim.AdamW(split_decay(clean)), fail_on="info")
    assert pglint.AuditReport is type(audit(clean, torch.optim.SGD(clean.parameters(), lr=1)))


def test_lazy_parameters_and_model_collections():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about lazy modules
        model = nn.Sequential(nn.LazyLinear(4), nn.LayerNorm(4))
    report = audit(model, torch.optim.Adam(model.parameters()))
    assert_clean(report)  # uninitialized parameters have no shape: nothing crashes
    assert report.groups[0].elements is None and " ? elements" in str(report)
    g, d = nn.Linear(2, 2), nn.Linear(2, 2)
    f = only(audit({"G": g, "D": d}, torch.optim.SGD(g.parameters(), lr=0.1)), "PG101")
    assert f.subject == ("D.weight", "D.bias")
    f = only(audit([g, d], torch.optim.SGD(d.parameters(), lr=0.1)), "PG101")
    assert f.subject == ("0.weight", "0.bias")


def test_import_without_torch_for_the_command():
    import subprocess
    import sys

    code = ("import sys, pglint, pglint.runtime, pglint.runtime.command; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_arguments():
    with pytest.raises(TypeError, match="optimizers must be"):
        audit(Net(), 3)
    with pytest.raises(TypeError, match="model must be"):
        audit("model", torch.optim.SGD(Net().parameters(), lr=0.1))


# -- the audit never changes anything ----------------------------------------------------------
def _constructions():
    """(name, model, optimizer, step) for every optimizer class in torch.optim."""
    from pglint import hyperparams

    names = sorted(
        n for n in dir(torch.optim)
        if isinstance(getattr(torch.optim, n), type)
        and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)
        and getattr(torch.optim, n) is not torch.optim.Optimizer
    )
    assert set(hyperparams.torch_optimizers()) <= set(names)
    for name in names:
        cls = getattr(torch.optim, name)
        if name == "SparseAdam":
            model = nn.Embedding(10, 4, sparse=True)
            x = torch.tensor([1, 2, 3])
            opt = cls(model.parameters())
        else:
            model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2, bias=False))
            x = torch.randn(3, 4)
            if name == "Muon":  # 2-d parameters only
                opt = cls([p for p in model.parameters() if p.ndim == 2])
                model[0].bias.requires_grad_(False)
            elif name == "LBFGS":  # one group only
                opt = cls(model.parameters())
            else:
                decay = [p for p in model.parameters() if p.ndim > 1]
                rest = [p for p in model.parameters() if p.ndim <= 1]
                keys = hyperparams.torch_optimizers().get(name, {}).get("keys", [])
                extra = {"weight_decay": 0.0} if "weight_decay" in keys else {}
                opt = cls([{"params": decay}, {"params": rest, **extra}])

        def step(model=model, opt=opt, x=x, name=name):
            def closure():
                opt.zero_grad()
                loss = model(x).pow(2).sum()
                loss.backward()
                return loss

            if name == "LBFGS":
                opt.step(closure)
            else:
                closure()
                opt.step()

        yield name, model, opt, step


def _snapshot(model, opt):
    def tensors(obj):
        if isinstance(obj, torch.Tensor):
            return ("T", obj, obj._version, obj.clone())
        if isinstance(obj, dict):
            return {k: tensors(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(tensors(v) for v in obj)
        return obj

    return {
        "param_groups": opt.param_groups,
        "groups": [(g, list(g.keys()), {k: (v, copy.copy(v)) for k, v in g.items()},
                    list(g["params"])) for g in opt.param_groups],
        "state_keys": list(opt.state.keys()),
        "state": {id(p): tensors(dict(s)) for p, s in opt.state.items()},
        "state_dict": tensors(opt.state_dict()),
        "params": [(p, p._version, p.detach().clone(),
                    None if p.grad is None else (p.grad, p.grad._version, p.grad.clone()))
                   for p in model.parameters()],
        "defaults": dict(opt.defaults),
    }


def _same(a, b) -> bool:
    if isinstance(a, tuple) and len(a) == 4 and a and a[0] == "T":
        _, t, version, value = a
        _, t2, version2, value2 = b
        if t.is_sparse:
            return t is t2 and version == version2 and torch.equal(value.to_dense(),
                                                                   value2.to_dense())
        return t is t2 and version == version2 and torch.equal(value, value2)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _assert_untouched(before, model, opt):
    assert opt.param_groups is before["param_groups"]
    assert len(opt.param_groups) == len(before["groups"])
    for g, (g0, keys, values, params) in zip(opt.param_groups, before["groups"]):
        assert g is g0 and list(g.keys()) == keys
        for k, (v, _) in values.items():
            assert g[k] is v, k  # the same objects
        assert g["params"] is values["params"][0] and len(g["params"]) == len(params)
        assert all(a is b for a, b in zip(g["params"], params))
    assert list(opt.state.keys()) == before["state_keys"]  # nothing inserted
    after = _snapshot(model, opt)
    assert _same(before["state"], after["state"])
    assert _same(before["state_dict"], after["state_dict"])
    assert opt.defaults == before["defaults"]
    for (p, v, data, grad), p2 in zip(before["params"], model.parameters()):
        assert p is p2 and p._version == v and torch.equal(p.detach(), data)
        if grad is None:
            assert p.grad is None
        else:
            g, gv, gdata = grad
            assert p.grad is g and g._version == gv
            assert torch.equal(g.to_dense() if g.is_sparse else g,
                               gdata.to_dense() if gdata.is_sparse else gdata)


def test_audit_never_mutates_any_torch_optimizer():
    seen = []
    for name, model, opt, step in _constructions():
        for phase in ("fresh", "after step"):
            if phase == "after step":
                step()
            before = _snapshot(model, opt)
            report = audit(model, opt)
            assert report.findings == [], f"{name} ({phase}):\n{report}"
            str(report), report.to_dict()
            _assert_untouched(before, model, opt)
        seen.append(name)
    assert {"LBFGS", "SparseAdam", "Muon", "Adafactor", "Adam", "SGD"} <= set(seen)


def test_audit_does_not_insert_into_state_defaultdict():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    opt = torch.optim.Adam(model[0].parameters())
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    opt.add_param_group({"params": model[1].parameters()})  # no state yet for these
    n = len(opt.state)
    assert_clean(audit(model, opt))
    assert len(opt.state) == n


# -- pglint audit MODULE:FUNCTION ----------------------------------------------------------------
FACTORY = """
import torch
from torch import nn

def good():
    model = nn.Linear(4, 4, bias=False)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)

def bad():
    model = nn.Linear(4, 4)
    opt = torch.optim.SGD([{"params": model.parameters(), "learning_rate": 0.1}], lr=0.1)
    return model, [opt]

def info_only():
    model = nn.Linear(4, 4, bias=False)
    return model, torch.optim.SGD([{"params": model.parameters(), "tag": 1}], lr=0.1)

def broken():
    raise RuntimeError("no data")

def wrong():
    return 42

def quits():
    import sys
    sys.exit(0)

def quits_3():
    raise SystemExit(3)

def stops():
    raise GeneratorExit("odd")
"""


@pytest.fixture
def factory(tmp_path, monkeypatch):
    (tmp_path / "pgl_factory.py").write_text(FACTORY)
    (tmp_path / "pgl_exits_on_import.py").write_text("raise SystemExit(0)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _run(target, **kw):
    import io

    out, err = io.StringIO(), io.StringIO()
    rc = run_audit(target, stdout=out, stderr=err, **kw)
    return rc, out.getvalue(), err.getvalue()


def test_command_exit_codes(factory):
    rc, out, err = _run("pgl_factory:good")
    assert (rc, err) == (0, "") and "no findings" in out
    rc, out, _ = _run("pgl_factory:bad")
    assert rc == 1 and "PG004 warning: group key 'learning_rate' in group 0" in out
    assert _run("pgl_factory:bad", fail_on="error")[0] == 0
    assert _run("pgl_factory:bad", ignore=["PG004"])[0] == 0
    assert _run("pgl_factory:info_only")[0] == 0
    assert _run("pgl_factory:info_only", fail_on="info")[0] == 1
    assert _run("pgl_factory.py:bad")[0] == 1  # a file path works too


def test_command_json(factory):
    rc, out, _ = _run("pgl_factory:bad", output_format="json")
    d = json.loads(out)
    assert rc == 1 and d["findings"][0]["code"] == "PG004" and d["groups"][0]["tensors"] == 2


@pytest.mark.parametrize("target, message", [
    ("pgl_factory", "bad target 'pgl_factory'"),
    ("no_such_module_pgl:f", "cannot import 'no_such_module_pgl'"),
    ("pgl_factory:missing", "module 'pgl_factory' has no attribute 'missing'"),
    ("pgl_factory:broken", "pgl_factory:broken raised RuntimeError: no data"),
    ("pgl_factory:wrong", "the factory returned int; expected (model, optimizer)"),
    ("pgl_factory:quits", "the factory pgl_factory:quits exited (sys.exit(0) at pgl_factory.py:"),
    ("pgl_factory:quits_3", "the factory pgl_factory:quits_3 exited (sys.exit(3) at"),
    ("pgl_factory:stops", "pgl_factory:stops raised GeneratorExit: odd at pgl_factory.py:"),
    ("pgl_exits_on_import:f", "importing 'pgl_exits_on_import' exited (sys.exit(0) at "
                              "pgl_exits_on_import.py:1)"),
])
def test_command_usage_errors(factory, target, message):
    rc, out, err = _run(target)
    assert rc == 2 and out == ""
    assert err.startswith("pglint audit: error: ") and message in err, err
    assert _run("pgl_factory:good", select=["PG9"])[0] == 2
    assert _run("pgl_factory:good", output_format="sarif")[0] == 2
