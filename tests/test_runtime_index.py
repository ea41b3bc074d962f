"""The audit's fast paths against independent references.

The model index is checked against torch's own ``named_parameters``; the optimizer index
against a plain loop over ``param_groups``; the C-level state check (PG107) and element
counts against the per-tensor paths they short-cut, on models with and without findings.
Names are indexed only when a finding needs them.
"""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from pglint import audit
from pglint.runtime import checks, context
from pglint.runtime.context import Context, Options, elements_of, numel_of
from pglint.runtime.unwrap import as_optimizer_list


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(10, 4)
        self.ln = nn.LayerNorm(4)
        self.lm = nn.Linear(4, 10, bias=False)
        self.lm.weight = self.wte.weight
        self.shared = nn.Linear(4, 4)
        self.again = nn.Sequential(nn.ReLU(), self.shared, nn.Sequential(nn.Linear(4, 4)))
        self.register_parameter("nothing", None)
        self.empty = nn.ModuleList()


def cyclic() -> nn.Module:
    a = nn.Sequential(nn.Linear(2, 2))
    b = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    a.add_module("b", b)
    b.add_module("back", a)
    return a


def deep(n: int = 40) -> nn.Module:
    m = inner = nn.Sequential()
    for i in range(n):
        nxt = nn.Sequential(nn.Linear(2, 2)) if i % 3 else nn.Sequential()
        inner.add_module(str(i), nxt)
        inner.add_module(f"p{i}", nn.LayerNorm(2))
        inner = nxt
    return m


MODELS = {
    "tied": Tied,
    "cycle": cyclic,
    "deep": deep,
    "many": lambda: nn.Sequential(*(nn.Linear(3, 3) for _ in range(50))),
}


def ctx_of(model, opts=()) -> Context:
    return Context(model, as_optimizer_list(opts) if opts else [], Options())


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_model_index_is_torchs_named_parameters(make):
    model = make()
    ctx = ctx_of(model)
    torch_order = [id(p) for p in model.parameters()]
    assert ctx.params.keys() == set(torch_order)
    assert list(ctx.names) == torch_order  # the model's order, first name first
    first = {}
    for n, p in model.named_parameters():
        first.setdefault(id(p), n)
    assert {k: v[0] for k, v in ctx.names.items()} == first
    assert all(ctx.params[k] is p for k, p in zip(torch_order, model.parameters()))


def test_model_index_of_tied_and_shared_names():
    model = Tied()
    ctx = ctx_of(model)
    every: dict[int, list[str]] = {}
    for n, p in model.named_parameters(remove_duplicate=False):
        every.setdefault(id(p), []).append(n)
    assert ctx.names == every
    assert ctx.names[id(model.wte.weight)] == ["wte.weight", "lm.weight"]


def test_model_collections_and_a_module_in_two_of_them():
    g, d = nn.Linear(2, 2), nn.Linear(2, 2, bias=False)
    ctx = ctx_of([g, d, g])
    assert list(ctx.names) == [id(g.weight), id(g.bias), id(d.weight)]
    assert ctx.names[id(g.weight)] == ["0.weight", "2.weight"]
    assert ctx.params.keys() == set(ctx.names)


def test_a_non_module_in_modules_is_read_like_the_names():
    model = nn.Sequential(nn.Linear(2, 2))
    model._modules["odd"] = object()  # put there by hand: not a module
    ctx = ctx_of(model)
    assert list(ctx.names) == [id(p) for p in model[0].parameters()]
    assert ctx.params.keys() == set(ctx.names)


def test_optimizer_index_is_a_plain_loop_over_the_groups():
    model = Tied()
    ps = list(model.parameters())
    a = torch.optim.SGD([{"params": ps[2:]}, {"params": ps[:2]}], lr=0.1)
    a.param_groups[0]["params"].extend(ps[:3])  # listed twice, by hand
    b = torch.optim.Adam(model.shared.parameters())
    ctx = ctx_of(model, [a, b])
    where: dict[int, list[tuple[int, int, int]]] = {}
    for oi, opt in enumerate((a, b)):
        for gi, group in enumerate(opt.param_groups):
            for pos, t in enumerate(group["params"]):
                where.setdefault(id(t), []).append((oi, gi, pos))
    assert ctx.where == where and list(ctx.where) == list(where)
    assert list(ctx.tensors) == list(where)
    assert ctx.shared == {k for k, v in where.items() if len(v) > 1}
    single = ctx_of(model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert single.shared == set()


def test_clean_audits_never_index_names(monkeypatch):
    def boom(self):
        raise AssertionError("names indexed for an audit without findings")

    monkeypatch.setattr(Context, "_index_names", boom)
    model = nn.Sequential(*(nn.Linear(4, 4) for _ in range(30)), nn.LayerNorm(4))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}], foreach=True)
    assert audit(model, opt).findings == []
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    assert audit(model, opt).findings == []  # stepped: state is checked, names are not
    with pytest.raises(AssertionError, match="names indexed"):
        audit(model, torch.optim.AdamW(decay))  # PG101 names what is missing


def _stepped(model, opt):
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    return model, opt


def _state_cases():
    m = nn.Sequential(*(nn.Linear(4, 4) for _ in range(6)), nn.LayerNorm(4))
    yield "clean", _stepped(m, torch.optim.AdamW(m.parameters(), foreach=True))
    m = nn.Sequential(*(nn.Linear(4, 4) for _ in range(6)))
    m, o = _stepped(m, torch.optim.Adam(m.parameters()))
    o.state[m[2].weight]["exp_avg_sq"] = torch.zeros(4, 5)
    o.state[m[4].bias]["exp_avg"] = torch.zeros(4, device="meta")
    yield "shape and device", (m, o)
    m = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    m, o = _stepped(m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9))
    o.param_groups.append({**o.param_groups[0], "params": [m[0].weight]})  # twice, by hand
    o.state[m[1].bias]["momentum_buffer"] = torch.zeros(3)
    yield "shared tensor", (m, o)

    m = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    ps = list(m.parameters())
    m, o = _stepped(m, torch.optim.Adam([{"params": ps[:2]}, {"params": ps[2:]}]))
    o.param_groups.reverse()  # state no longer in the groups' order: looked up by id
    o.state[ps[3]]["exp_avg"] = torch.zeros(5)
    yield "groups reordered", (m, o)
    m = nn.Sequential(nn.Linear(4, 4, device="meta"), nn.Linear(4, 4, device="meta"))
    o = torch.optim.Adam(m.parameters())
    for p in m.parameters():  # state as a meta-device step would leave it
        o.state[p] = {"step": torch.tensor(1.0), "exp_avg": torch.zeros_like(p),
                      "exp_avg_sq": torch.zeros_like(p)}
    o.state[m[1].bias]["exp_avg_sq"] = torch.zeros(4)  # on the CPU
    yield "meta parameters", (m, o)

    class MyParam(nn.Parameter):
        pass

    m = nn.Linear(4, 4)
    m.weight = MyParam(torch.randn(4, 4))
    m, o = _stepped(m, torch.optim.Adam(m.parameters()))
    o.state[m.weight]["exp_avg"] = torch.zeros(2)
    yield "parameter subclass", (m, o)


@pytest.mark.parametrize("case", list(_state_cases()), ids=lambda c: c[0])
def test_state_check_fast_path_finds_what_the_per_tensor_path_finds(case, monkeypatch):
    _, (model, opt) = case
    fast = audit(model, opt)
    monkeypatch.setattr(checks, "_state_fits", lambda params, states: False)
    slow = audit(model, opt)
    assert fast.findings == slow.findings
    pg107 = [f for f in fast.findings if f.code == "PG107"]
    assert (pg107 == []) == (case[0] == "clean"), fast


def test_element_counts_match_per_tensor_counts():
    class MyParam(nn.Parameter):
        pass

    plain = [nn.Parameter(torch.zeros(3, 4)), torch.zeros(5), torch.zeros(0, 2)]
    odd = [*plain, MyParam(torch.zeros(2, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = nn.LazyLinear(3)
    for tensors in (plain, odd, []):
        assert elements_of(tensors) == sum(numel_of(t) for t in tensors)
    assert elements_of([*plain, lazy.weight]) is None


def test_the_fast_traversal_is_the_one_in_use():
    # the checks above compare against torch; this keeps them about the fast path
    model = Tied()
    seen: set[int] = set()
    dicts = context._parameter_dicts(model, seen)
    assert id(model.again[1]) in seen and id(model.shared) in seen
    assert sum(len(d) for d in dicts) == sum(len(m._parameters) for m in model.modules())
