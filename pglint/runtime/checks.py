"""One function per runtime check; each reads the Context and returns findings.

Grep a code (PG101) to find its check, its docs (pglint/rule_docs/PG101.md) and tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from itertools import chain
from operator import attrgetter, is_, itemgetter
from typing import Any

import torch

from pglint import hyperparams
from pglint.finding import Finding
from pglint.runtime.context import Context, GroupView, OptimizerView, shape_of, shape_str
from pglint.runtime.report import fmt_value

Check = Callable[[Context], list[Finding]]


# -- formatting helpers --------------------------------------------------------------------
def quoted(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def by_module(names: list[str], limit: int = 6) -> str:
    """Names, or when there are many, their modules with counts ('encoder.0.*' (4))."""
    if len(names) <= limit:
        return quoted(names, limit)
    modules: dict[str, int] = {}
    for n in names:
        mod = n.rsplit(".", 1)[0] if "." in n else ""
        modules[mod] = modules.get(mod, 0) + 1
    if len(modules) > limit:  # coarser: the first component
        coarse: dict[str, int] = {}
        for mod, k in modules.items():
            top = mod.split(".", 1)[0]
            coarse[top] = coarse.get(top, 0) + k
        modules = coarse
    parts = [f"'{m}.*' ({k})" if m else f"top-level ({k})" for m, k in modules.items()]
    shown = ", ".join(parts[:limit])
    return shown if len(parts) <= limit else f"{shown} and {len(parts) - limit} more modules"


def _real(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_meta:
        return float(v.detach().item())
    return None


def _groups(ctx: Context):
    for ov in ctx.optimizers:
        for gv in ov.groups:
            yield ov, gv


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- PG003 ----------------------------------------------------------------------------------
def check_duplicate_parameters(ctx: Context) -> list[Finding]:
    """PG003: a tensor in two groups of one optimizer, or in two optimizers."""
    clusters: dict[tuple, list[str]] = {}
    for key in [k for k in ctx.where if k in ctx.shared] if ctx.shared else ():
        locs = ctx.where[key]
        places = sorted({(o, g) for o, g, _ in locs})
        if len(places) < 2:
            continue
        o, g, pos = locs[0]
        clusters.setdefault(tuple(places), []).append(
            ctx.display(ctx.tensors[key], ctx.optimizers[o].groups[g], pos)
        )
    out = []
    for places, names in clusters.items():
        labels = [ctx.optimizers[o].groups[g].label for o, g in places]
        n_opts = len({o for o, _ in places})
        where = ("both " if len(labels) == 2 else "") + _join(labels)
        who = names[0] if len(names) == 1 else None
        head = f"parameter {who!r} is" if who else f"{len(names)} parameters are"
        tail = "" if who else f": {quoted(names)}"
        how = "each optimizer steps it" if n_opts > 1 else "each group updates it"
        out.append(Finding(
            "PG003",
            f"{head} in {where}{tail}; {how}, {len(labels)} updates per step",
            help="give every parameter to exactly one group of one optimizer",
            subject=tuple(names),
        ))
    return out


# -- PG004 ----------------------------------------------------------------------------------
def check_unknown_group_keys(ctx: Context) -> list[Finding]:
    """PG004: a group key the optimizer never reads."""
    out = []
    allowed_extra = hyperparams.always_readable() | ctx.options.extra_keys
    for ov, gv in _groups(ctx):
        hyper = ov.hyper_keys
        if not hyper:  # an optimizer without `defaults`: nothing to compare keys against
            continue
        for key in gv.group:
            if not isinstance(key, str) or key in hyper or key in allowed_extra:
                continue
            guess = hyperparams.did_you_mean(key, hyper)
            if guess is not None:
                now = gv.group.get(guess, (getattr(ov.opt, "defaults", None) or {}).get(guess))
                out.append(Finding(
                    "PG004",
                    f"group key {key!r} in {gv.label} is never read by {ov.class_name}; "
                    f"did you mean {guess!r}? ({guess!r} stays {fmt_value(now)})",
                    severity="warning",
                    help=f"rename {key!r} to {guess!r}",
                    subject=(gv.subject,),
                ))
            else:
                out.append(Finding(
                    "PG004",
                    f"group key {key!r} in {gv.label} is not a {ov.class_name} hyperparameter",
                    severity="info",
                    help="if your code or a scheduler reads it, add it to extra_keys",
                    subject=(gv.subject,),
                ))
    return out


# -- PG005 ----------------------------------------------------------------------------------
def _fits_class(ov: OptimizerView, key: str) -> bool:
    """False when the shared value check rejects the class's own default (Adafactor's
    ``eps=(None, 1e-3)``): then that check does not describe this class."""
    defaults = getattr(ov.opt, "defaults", None) or {}
    if key not in defaults:
        return True
    return hyperparams.check_value(key, defaults[key], ov.class_keys) is None


def _value_problem(ov: OptimizerView, key: str, value: Any) -> str | None:
    if _fits_class(ov, key):
        return hyperparams.check_value(key, value, ov.class_keys)
    default = ov.opt.defaults[key]
    # a sequence default (eps1, eps2): check each element the way a scalar would be
    if (isinstance(default, (tuple, list)) and isinstance(value, (tuple, list))
            and len(default) == len(value)):
        for i, v in enumerate(value):
            if v is None:
                continue
            why = hyperparams.check_value(key, v, ov.class_keys)
            if why is not None:
                return why.replace(f"'{key}'", f"'{key}[{i}]'", 1)
    elif hyperparams.check_value(key, value, None) is not None:  # only non-finite values
        return hyperparams.check_value(key, value, None)
    return None


def check_invalid_group_values(ctx: Context) -> list[Finding]:
    """PG005: a group value torch never validates (negative lr, betas outside [0, 1), ...)."""
    out = []
    for ov, gv in _groups(ctx):
        for key, value in gv.group.items():
            if not isinstance(key, str) or key in ("params", "param_names"):
                continue
            why = _value_problem(ov, key, value)
            if why is not None:
                out.append(Finding(
                    "PG005", f"{why} in {gv.label}; {ov.class_name} never validates group values",
                    help="torch validates constructor arguments, never group overrides: "
                         "set a valid value",
                    subject=(gv.subject,),
                ))
        why = hyperparams.check_nesterov(gv.group, ov.class_keys)
        if why is not None:
            out.append(Finding("PG005", f"{why} in {gv.label}; {ov.class_name} never validates "
                                        "group values",
                               help="set momentum > 0 and dampening=0 in this group, "
                                    "or nesterov=False",
                               subject=(gv.subject,)))
    return out


# -- PG101 ----------------------------------------------------------------------------------
def check_unoptimized_parameters(ctx: Context) -> list[Finding]:
    """PG101: a trainable model parameter in no group of any given optimizer."""
    if ctx.same_tensors or ctx.params.keys() <= ctx.tensors.keys():
        return []
    absent = ctx.params.keys() - ctx.tensors.keys()
    if not any(map(_REQUIRES_GRAD, map(ctx.params.__getitem__, absent))):
        return []  # every parameter is in an optimizer, or frozen
    missing = [k for k in ctx.names if k in absent and ctx.params[k].requires_grad]
    names = [ctx.names[k][0] for k in missing]
    if len(names) == 1:
        msg = f"trainable parameter {names[0]!r} is in no optimizer group"
    else:
        msg = f"{len(names)} trainable parameters are in no optimizer group: {by_module(names)}"
    stale = not ctx.tensors.keys() <= ctx.params.keys()
    help_ = ("the optimizer holds replaced copies (PG102): build it after the model change"
             if stale else
             "add them to a group, or set requires_grad=False if they are meant to stay frozen")
    return [Finding("PG101", msg, help=help_, subject=tuple(names))]


# -- PG102 ----------------------------------------------------------------------------------
def _is_dtensor(t: Any) -> bool:
    return any(c.__name__ == "DTensor" for c in type(t).__mro__)


def check_stale_parameters(ctx: Context) -> list[Finding]:
    """PG102: a tensor in an optimizer that is not a parameter of the model."""
    # model parameters no optimizer holds: what replaced the stale tensors, if anything
    if ctx.same_tensors or ctx.tensors.keys() <= ctx.params.keys():
        return []
    orphans = [k for k in ctx.names if k not in ctx.tensors]  # in the model's order
    claimed: set[int] = set()
    out = []
    for ov in ctx.optimizers:
        for gv in ov.groups:
            stale = [(pos, t) for pos, t in enumerate(gv.params) if id(t) not in ctx.params]
            if not stale:
                continue
            twins = _twins(ctx, gv, stale, orphans, claimed)
            shown = [tw if tw is not None else ctx.display(t, gv, pos)
                     for (pos, t), tw in zip(stale, twins)]
            sharded = any(tw is not None and _is_dtensor(ctx.by_name[tw]) and not _is_dtensor(t)
                          for (_, t), tw in zip(stale, twins))
            out.append(_stale_finding(gv, shown, twins, sharded))
    return out


def _twins(ctx: Context, gv: GroupView, stale: list, orphans: list[int],
           claimed: set[int]) -> list[str | None]:
    """The model parameter that replaced each stale tensor, when it can be told.

    By ``param_names`` when the group has them; otherwise by order and shape: groups are
    built by filtering ``model.parameters()`` in order, so the stale tensors of a group
    match, in order, a subsequence of the unoptimized model parameters of the same shapes.
    """
    out: list[str | None] = []
    if gv.names is not None:
        for pos, _t in stale:
            hit = ctx.resolve_name(str(gv.names[pos])) if pos < len(gv.names) else None
            ok = hit is not None and not ctx.in_optimizer(hit[1])
            out.append(hit[0] if ok else None)
        return out
    for same in (shape_of, _ndim):  # the same shape; failing that, a resized layer
        picked = _subsequence(ctx, [t for _, t in stale], orphans, claimed, same)
        if picked is not None:
            claimed.update(picked)
            return [ctx.names[k][0] for k in picked]
    return [None] * len(stale)


def _ndim(t: Any) -> int | None:
    s = shape_of(t)
    return None if s is None else len(s)


def _subsequence(ctx: Context, tensors: list, orphans: list[int], claimed: set[int],
                 key: Callable[[Any], Any]) -> list[int] | None:
    """Unclaimed orphans matching ``tensors`` in order by ``key``; None unless all match."""
    out, i = [], 0
    for t in tensors:
        want = key(t)
        while i < len(orphans) and (orphans[i] in claimed or key(ctx.params[orphans[i]]) != want):
            i += 1
        if i == len(orphans):
            return None
        out.append(orphans[i])
        i += 1
    return out


def _stale_finding(gv: GroupView, shown: list[str], twins: list, sharded: bool) -> Finding:
    known = [t for t in twins if t is not None]
    n = len(shown)
    if len(known) == n:
        if n == 1:
            msg = (f"parameter {shown[0]!r} in {gv.label} is not in the model (stale: the "
                   f"model's {shown[0]!r} was replaced after the optimizer was built)")
        else:
            msg = (f"{n} parameters in {gv.label} are not in the model (stale: the model's "
                   f"{quoted(shown)} were replaced after the optimizer was built)")
    else:
        if n == 1:
            what = (f"a tensor of shape {shown[0][len('<tensor '):-1]}"
                    if shown[0].startswith("<tensor ") else f"parameter {shown[0]!r}")
            msg = f"{what} in {gv.label} is not in the model"
        else:
            msg = f"{n} tensors in {gv.label} are not in the model: {quoted(shown)}"
        if known:
            msg += (f" ({len(known)} stale: the model's {quoted(known)} replaced after the "
                    f"optimizer was built)")
    if sharded:
        help_ = "fully_shard replaced the model's parameters: build the optimizer after fully_shard"
    else:
        help_ = ("build the optimizer once the model is final (replaced layers, "
                 "load_state_dict(assign=True), deepcopy and FSDP wrapping make new parameters)")
    return Finding("PG102", msg, help=help_, subject=tuple(shown))


# -- PG103 ----------------------------------------------------------------------------------
def check_frozen_parameters(ctx: Context) -> list[Finding]:
    """PG103: a frozen parameter in an optimizer; a warning when it still holds a .grad."""
    out = []
    for _ov, gv in _groups(ctx):
        if all(map(_REQUIRES_GRAD, gv.params)):
            continue
        idle, live = [], []
        seen = set()
        for t in gv.params:
            if t.requires_grad or id(t) in seen or id(t) not in ctx.params:
                continue
            seen.add(id(t))
            (live if t.grad is not None else idle).append(ctx.names[id(t)][0])
        if live:
            head = (f"frozen parameter {live[0]!r} in {gv.label} still holds a .grad"
                    if len(live) == 1 else
                    f"{len(live)} frozen parameters in {gv.label} still hold a .grad: {quoted(live)}")
            out.append(Finding("PG103", f"{head}; step() will update "
                                        f"{'it' if len(live) == 1 else 'them'}",
                               severity="warning",
                               help="clear their .grad (p.grad = None) or leave them out "
                                    "of the optimizer",
                               subject=tuple(live)))
        if idle:
            head = (f"frozen parameter {idle[0]!r} is in {gv.label}" if len(idle) == 1 else
                    f"{len(idle)} frozen parameters are in {gv.label}: {by_module(idle)}")
            out.append(Finding("PG103", f"{head}; skipped while it has no .grad"
                               if len(idle) == 1 else f"{head}; skipped while they have no .grad",
                               severity="info",
                               help="leave frozen parameters out of the optimizer if they stay "
                                    "frozen",
                               subject=tuple(idle)))
    return out


# -- PG104 ----------------------------------------------------------------------------------
def check_empty_groups(ctx: Context) -> list[Finding]:
    """PG104: a group with no parameters."""
    return [
        Finding("PG104", f"{gv.label} has no parameters",
                help="drop the group, or fix the filter that built it",
                subject=(gv.subject,))
        for _ov, gv in _groups(ctx)
        if not gv.params and isinstance(gv.group.get("params"), (list, tuple))
    ]


# -- PG105 ----------------------------------------------------------------------------------
def check_duplicate_in_group(ctx: Context) -> list[Finding]:
    """PG105: the same tensor twice in one group."""
    if not ctx.shared:  # no tensor is listed twice anywhere
        return []
    out = []
    for _ov, gv in _groups(ctx):
        if len(set(map(id, gv.params))) == len(gv.params):
            continue
        counts: dict[int, int] = {}
        first: dict[int, int] = {}
        for pos, t in enumerate(gv.params):
            counts[id(t)] = counts.get(id(t), 0) + 1
            first.setdefault(id(t), pos)
        dups = [(k, n) for k, n in counts.items() if n > 1]
        if not dups:
            continue
        names = [ctx.display(ctx.tensors[k], gv, first[k]) for k, _ in dups]
        if len(dups) == 1:
            msg = (f"parameter {names[0]!r} appears {dups[0][1]} times in {gv.label}: "
                   f"updated {dups[0][1]} times per step")
        else:
            msg = (f"{len(dups)} parameters appear more than once in {gv.label}: "
                   f"{quoted(names)}; each copy is an extra update per step")
        out.append(Finding("PG105", msg, help="list each parameter once",
                           subject=tuple(names)))
    return out


# -- PG106 ----------------------------------------------------------------------------------
_NORM_NAME = re.compile(r"(Norm|Normalization|LRN)(\d[dD])?$")


def _norm_types() -> tuple[type, ...]:
    nn = torch.nn
    types = [nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
             nn.CrossMapLRN2d]
    if hasattr(nn, "RMSNorm"):
        types.append(nn.RMSNorm)
    return tuple(types)


def _at_most_1d(tensors: list) -> list:
    """The tensors with at most one dimension (or an unknown shape), found without a
    Python call per tensor where every tensor has a shape."""
    try:
        dims = list(map(torch.Tensor.dim, tensors))
    except Exception:  # a lazy parameter, a tensor-like object: ask each one
        return [t for t in tensors if (_ndim(t) or 0) <= 1]
    if min(dims, default=2) > 1:
        return []
    return [t for t, d in zip(tensors, dims) if d <= 1]


def no_decay_kind(ctx: Context, p: torch.Tensor) -> str | None:
    """'bias' or 'normalisation' when ``p`` conventionally gets no weight decay."""
    ndim = _ndim(p)
    if ndim is None or ndim > 1:
        return None
    norm_types = _norm_types()
    for mod, local in ctx.owners.get(id(p), ()):
        if isinstance(mod, norm_types) or any(_NORM_NAME.search(c.__name__)
                                              for c in type(mod).__mro__[:-1]):
            return "normalisation"
        if local == "bias":
            return "bias"
    return None


def check_decay_on_norm_or_bias(ctx: Context) -> list[Finding]:
    """PG106: weight decay on a bias or normalisation parameter (module type and ndim <= 1)."""
    if not ctx.options.no_decay:
        return []
    out = []
    for ov, gv in _groups(ctx):
        if "weight_decay" not in ov.hyper_keys:
            continue
        wd = _real(gv.group.get("weight_decay", 0))
        if wd is None or not wd > 0 or math.isinf(wd):
            continue
        hits, kinds, seen = [], set(), set()
        for t in _at_most_1d(gv.params):
            if id(t) in seen or id(t) not in ctx.params or (_ndim(t) or 0) > 1:
                continue
            seen.add(id(t))
            kind = no_decay_kind(ctx, t)
            if kind is not None:
                hits.append(ctx.names[id(t)][0])
                kinds.add(kind)
        if not hits:
            continue
        what = "/".join(sorted(kinds))
        wd_text = f"weight decay {gv.group.get('weight_decay')!r}"
        if len(hits) == 1:
            msg = f"{wd_text} on {what} parameter {hits[0]!r} in {gv.label}"
        else:
            msg = f"{wd_text} on {len(hits)} {what} parameters in {gv.label}: {quoted(hits)}"
        out.append(Finding(
            "PG106",
            msg,
            help="put biases and normalisation parameters in a group with weight_decay=0 "
                 "(no_decay=False turns this policy off)",
            subject=tuple(hits),
        ))
    return out


# -- PG107 ----------------------------------------------------------------------------------
#: state keys torch.optim's own step() keeps in the parameter's shape
PARAM_SHAPED = frozenset({
    "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "exp_inf", "momentum_buffer", "square_avg",
    "acc_delta", "grad_avg", "sum", "ax", "prev", "step_size", "variance",
})


def _expected_shape(key: str, shape: tuple) -> tuple | None:
    if key in PARAM_SHAPED:
        return shape
    if key == "row_var" and len(shape) >= 2:  # Adafactor's factored second moment
        return shape[:-1] + (1,)
    if key == "col_var" and len(shape) >= 2:
        return shape[:-2] + (1, shape[-1])
    return None


def check_state_mismatch(ctx: Context) -> list[Finding]:
    """PG107: optimizer state that does not fit its parameter (shape, or device)."""
    out = []
    for ov in ctx.optimizers:
        # only torch's own step() is known to keep these keys in the parameter's shape
        if not ov.torch_step or ov.torch_class == "LBFGS":
            continue
        state = getattr(ov.opt, "state", None)
        if not isinstance(state, Mapping) or not state:
            continue
        done: set[int] = set()
        # state by tensor id, built in C (no Tensor.__hash__ call per entry) unless it is in
        # the groups' order; .get only: state is a defaultdict, [] would insert
        in_order = None if ctx.shared else _states_in_order(ov, state)
        by_id = None if in_order is not None else dict(zip(map(id, state.keys()), state.values()))
        for gi, gv in enumerate(ov.groups):
            shapes, devices = [], []
            if not ctx.shared:  # every tensor is listed once: no bookkeeping of what was seen
                states = (in_order[gi] if in_order is not None
                          else list(map(by_id.get, map(id, gv.params))))
                if _state_fits(gv.params, states):
                    continue
            else:
                fresh = dict.fromkeys(map(id, gv.params))
                if done.isdisjoint(fresh) and _state_fits(gv.params, list(map(by_id.get, fresh))):
                    done.update(fresh)
                    continue
            if by_id is None:
                by_id = dict(zip(map(id, state.keys()), state.values()))
            for pos, p in enumerate(gv.params):
                if id(p) in done:
                    continue
                done.add(id(p))
                st = by_id.get(id(p))
                pshape = shape_of(p)
                if not isinstance(st, Mapping) or pshape is None:
                    continue
                for key, v in st.items():
                    want = _expected_shape(key, pshape) if isinstance(v, torch.Tensor) else None
                    if want is None:
                        continue
                    if tuple(v.shape) != want:
                        what = f"has shape {shape_str(v)}, the parameter {shape_str(p)}"
                        shapes.append((ctx.display(p, gv, pos), key, what))
                        break
                    if v.device != p.device:
                        what = f"is on {v.device}, the parameter on {p.device}"
                        devices.append((ctx.display(p, gv, pos), key, what))
                        break
            if shapes:
                out.append(_state_finding(
                    gv, shapes, "step() would crash or apply another parameter's moments",
                    "load state saved for this model and this group order, or rebuild the "
                    "optimizer"))
            if devices:
                out.append(_state_finding(
                    gv, devices, "step() would fail",
                    "move the model before the optimizer has state, or reload the state with "
                    "optimizer.load_state_dict (it moves state to each parameter's device)"))
    return out


_SIZE = torch.Tensor.size
_DEVICE = attrgetter("device")
_IS_CPU = attrgetter("is_cpu")
_REQUIRES_GRAD = attrgetter("requires_grad")


def _states_in_order(ov: OptimizerView, state: Mapping) -> list[list] | None:
    """Each group's states, when ``state`` holds exactly the groups' tensors in their order
    (as torch's step() inserts them): one identity pass instead of a lookup per tensor."""
    keys = list(state.keys())
    flat = list(chain.from_iterable(gv.params for gv in ov.groups))
    if len(keys) != len(flat) or not all(map(is_, keys, flat)):
        return None
    values, out, start = list(state.values()), [], 0
    for gv in ov.groups:
        out.append(values[start:start + len(gv.params)])
        start += len(gv.params)
    return out


def _state_fits(params: list, states: list) -> bool:
    """True when every state tensor provably has its parameter's shape and device, checked
    key by key over the whole group with C-level maps and list comparisons (the common case:
    every tensor has the same state keys).  False means "look at each tensor"."""
    if len(states) != len(params):  # a tensor twice in the group
        return False
    pairs = [(p, s) for p, s in zip(params, states) if s] if None in states else None
    if pairs is not None:
        if not pairs:
            return True
        params, states = [p for p, _ in pairs], [s for _, s in pairs]
    if set(map(type, states)) != {dict} or len(set(map(len, states))) != 1:
        return False
    try:
        sizes = list(map(_SIZE, params))
        # all on the CPU (one device, no index): a bool per tensor instead of a device object
        devices = None if all(map(_IS_CPU, params)) else list(map(_DEVICE, params))
        for key in states[0]:
            values = list(map(itemgetter(key), states))  # KeyError: a state without it
            if key not in PARAM_SHAPED and key not in ("row_var", "col_var"):
                continue  # never compared with the parameter ('step'), here or per tensor
            kinds = set(map(type, values))
            if not any(issubclass(k, torch.Tensor) for k in kinds):
                continue  # not a tensor: nothing to compare
            if kinds != {torch.Tensor}:
                return False
            if key not in PARAM_SHAPED:
                if key in ("row_var", "col_var"):
                    return False  # shaped from the parameter's shape: per tensor
                continue
            if list(map(_SIZE, values)) != sizes:
                return False
            if (not all(map(_IS_CPU, values)) if devices is None
                    else list(map(_DEVICE, values)) != devices):
                return False
    except Exception:  # a key missing from one state, a lazy parameter: per tensor
        return False
    return True


def _state_finding(gv: GroupView, items: list[tuple[str, str, str]], effect: str,
                   help_: str) -> Finding:
    if len(items) == 1:
        name, key, what = items[0]
        msg = f"state {key!r} of {name!r} in {gv.label} {what}: {effect}"
    else:
        shown = "; ".join(f"{k!r} of {n!r} {w}" for n, k, w in items[:3])
        more = f"; and {len(items) - 3} more" if len(items) > 3 else ""
        msg = (f"state of {len(items)} parameters in {gv.label} does not fit them: "
               f"{shown}{more}: {effect}")
    return Finding("PG107", msg, help=help_, subject=tuple(n for n, _, _ in items))


# -- PG108 ----------------------------------------------------------------------------------
def check_param_names(ctx: Context) -> list[Finding]:
    """PG108: 'param_names' that disagree with the model's names for those parameters."""
    out = []
    for _ov, gv in _groups(ctx):
        if gv.names is None:
            continue
        if len(gv.names) != len(gv.params):
            out.append(Finding(
                "PG108",
                f"{gv.label} has {len(gv.names)} param_names for {len(gv.params)} parameters",
                help="rebuild the optimizer from model.named_parameters()",
                subject=(gv.subject,),
            ))
            continue
        wrong = []
        for given, p in zip(gv.names, gv.params):
            if id(p) not in ctx.params or ctx.name_matches(p, str(given)):
                continue
            wrong.append((str(given), ctx.names[id(p)][0]))
        if not wrong:
            continue
        pairs = [f"{g!r} is the model's {m!r}" for g, m in wrong]
        shown = "; ".join(pairs[:4]) + (f" and {len(pairs) - 4} more" if len(pairs) > 4 else "")
        n = "a parameter" if len(wrong) == 1 else f"{len(wrong)} parameters"
        out.append(Finding(
            "PG108",
            f"param_names in {gv.label} mislabel {n}: {shown}",
            help="state was loaded by position into differently ordered groups; rebuild the "
                 "groups in the saved order, or remap the saved state by name",
            subject=tuple(m for _, m in wrong),
        ))
    return out


#: code -> check, in report order
CHECKS: dict[str, Check] = {
    "PG003": check_duplicate_parameters,
    "PG004": check_unknown_group_keys,
    "PG005": check_invalid_group_values,
    "PG101": check_unoptimized_parameters,
    "PG102": check_stale_parameters,
    "PG103": check_frozen_parameters,
    "PG104": check_empty_groups,
    "PG105": check_duplicate_in_group,
    "PG106": check_decay_on_norm_or_bias,
    "PG107": check_state_mismatch,
    "PG108": check_param_names,
}
