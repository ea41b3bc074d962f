"""``check_ranks``: do all ranks hold the same parameter groups with the same settings?

Every rank sends a small digest (per group: tensor count, a hash of the parameter
names, the hyperparameters) to every other over gloo (a pickle in a uint8 tensor, as
``all_gather_object`` does, minus its need for numpy); only when names
disagree is a second gather of the names themselves made, so the common case moves a
few hundred bytes per rank.  Every rank first waits at most ``timeout`` seconds for the
others (keys in the job's store), so a rank that never calls ``check_ranks`` makes every
other rank raise ``TimeoutError`` naming it instead of hanging the job; the exchange
itself runs on a gloo group made with ``timeout``, so it is bounded too.

Findings use the proposed code PG109 (rank-mismatch, error), not yet in
``pglint/codes.py``.
"""

from __future__ import annotations

import hashlib
import pickle
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from pglint import hyperparams
from pglint.finding import Finding
from pglint.runtime import args
from pglint.runtime.context import Context, Options, shape_str
from pglint.runtime.report import fmt_value
from pglint.runtime.unwrap import as_optimizer_list

RANK_MISMATCH = "PG109"

_gloo_groups: dict[float, Any] = {}


def _finding(message: str, subject: tuple[str, ...], help_: str) -> Finding:
    # severity stated so the Finding is valid before PG109 is in the code table
    return Finding(RANK_MISMATCH, message, severity="error", help=help_, subject=subject)


def _names(ctx: Context, gv, model_given: bool) -> list[str]:
    out = []
    for pos, t in enumerate(gv.params):
        if model_given and ctx.name(t) is not None:
            out.append(ctx.name(t))
        elif gv.names is not None and pos < len(gv.names):
            out.append(str(gv.names[pos]))
        else:
            out.append(f"#{pos} {shape_str(t)}")
    return out


def digest(optimizers: Any, model: Any = None) -> list[dict[str, Any]]:
    """This rank's per-optimizer, per-group digest (names and settings)."""
    ctx = Context(model if model is not None else [], as_optimizer_list(optimizers), Options())
    out = []
    for ov in ctx.optimizers:
        groups = []
        for gv in ov.groups:
            names = _names(ctx, gv, model is not None)
            settings = {
                str(k): fmt_value(v) for k, v in gv.group.items()
                if k not in hyperparams.BOOKKEEPING_KEYS
            }
            groups.append({
                "label": gv.label,
                "count": len(names),
                "hash": hashlib.sha1("\n".join(names).encode()).hexdigest(),
                "names": names,
                "settings": settings,
            })
        out.append({"label": ov.label or "optimizer", "class": ov.class_name, "groups": groups})
    return out


def _gloo_group(group: Any, timeout: float) -> Any:
    """The group the exchange runs on: the caller's, else a gloo group made with ``timeout``.

    A group of its own (not the default one, whose timeout is the job's, often 30 minutes)
    bounds every collective of the exchange by ``timeout``.  Made once per timeout, after
    every rank has arrived (``new_group`` is itself a collective over all ranks).
    """
    if group is not None:
        return group
    if timeout not in _gloo_groups:
        _gloo_groups[timeout] = dist.new_group(backend="gloo",
                                               timeout=timedelta(seconds=timeout))
    return _gloo_groups[timeout]


_calls: dict[str, int] = {}


def _arrive(group: Any, timeout: float) -> None:
    """Wait at most ``timeout`` seconds for every rank of ``group`` to call ``check_ranks``.

    Every rank writes a key for this call into the job's store and waits for the others'
    keys, so the wait is bounded on every rank (a ``monitored_barrier`` bounds it only on
    rank 0: the other ranks block in a receive for the group's whole timeout), and a rank
    that gives up knows exactly which ranks never came.
    """
    store_of = getattr(dist.distributed_c10d, "_get_default_store", None)
    store = store_of() if store_of is not None else None
    if store is None or not hasattr(store, "check"):  # fall back: bounded on rank 0 only
        dist.monitored_barrier(group=group, timeout=timedelta(seconds=timeout),
                               wait_all_ranks=True)
        return
    ranks = dist.get_process_group_ranks(group if group is not None else dist.group.WORLD)
    name = getattr(group, "group_name", None) or "world"
    call = _calls[name] = _calls.get(name, -1) + 1
    keys = {r: f"pglint/check_ranks/{name}/{call}/{r}" for r in ranks}
    store.set(keys[dist.get_rank()], "1")
    try:
        store.wait(list(keys.values()), timedelta(seconds=timeout))
    except RuntimeError:  # the store's timeout (DistStoreError is a RuntimeError)
        missing = [r for r, k in keys.items() if not store.check([k])]
        if not missing:
            return  # the last rank came just as the wait ended
        raise TimeoutError(
            f"check_ranks: {_ranks(missing)} did not call check_ranks within {timeout:g} s "
            f"(this is rank {dist.get_rank()}); call it on every rank at the same point"
        ) from None


def _all_gather(obj: Any, pg: Any) -> list[Any]:
    """``all_gather_object`` without numpy (torch's own needs it to decode the bytes)."""
    data = pickle.dumps(obj)
    payload = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    world = dist.get_world_size(pg)
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([len(data)], dtype=torch.int64), group=pg)
    longest = max(int(n.item()) for n in sizes)
    padded = torch.zeros(longest, dtype=torch.uint8)
    padded[: len(data)] = payload
    bufs = [torch.empty(longest, dtype=torch.uint8) for _ in range(world)]
    dist.all_gather(bufs, padded, group=pg)
    return [pickle.loads(bytes(b[: int(n.item())].tolist())) for b, n in zip(bufs, sizes)]


def _exchange(func: Any, *a: Any) -> Any:
    try:
        return func(*a)
    except RuntimeError as e:  # a rank left after arriving: the group's timeout ended the wait
        raise RuntimeError(f"check_ranks: the exchange between ranks failed: {e}") from e


def _ranks(rs: list[int]) -> str:
    return ("rank " if len(rs) == 1 else "ranks ") + ", ".join(str(r) for r in rs)


def _by_value(values: list[Any]) -> list[tuple[Any, list[int]]]:
    out: list[tuple[Any, list[int]]] = []
    for rank, v in enumerate(values):
        for seen, rs in out:
            if seen == v:
                rs.append(rank)
                break
        else:
            out.append((v, [rank]))
    return out


def _spread(values: list[Any]) -> str:
    return "; ".join(f"{v} on {_ranks(rs)}" for v, rs in _by_value(values))


def check_ranks(optimizers: Any, model: Any = None, *, timeout: float = 60.0,
                group: Any = None) -> list[Finding]:
    """Compare every rank's parameter groups (names and settings); a collective call.

    Call it on every rank at the same point (after building the optimizers).  Returns
    the same findings on every rank; ``[]`` when torch.distributed is not initialized.
    """
    timeout = args.timeout(timeout)
    if group is not None and not (dist.is_available() and isinstance(group, dist.ProcessGroup)):
        raise TypeError(f"group must be a torch.distributed ProcessGroup or None, "
                        f"got {type(group).__name__}")
    mine = digest(optimizers, model)  # checks the arguments, process group or not
    if not (dist.is_available() and dist.is_initialized()):
        return []
    _arrive(group, timeout)
    pg = _exchange(_gloo_group, group, timeout)
    light = [{**o, "groups": [{k: v for k, v in g.items() if k != "names"} for g in o["groups"]]}
             for o in mine]
    gathered = _exchange(_all_gather, light, pg)

    out: list[Finding] = []
    help_ = "every rank must build the same groups with the same settings"
    counts = [len(d) for d in gathered]
    if len(set(counts)) > 1:
        out.append(_finding(f"ranks hold different numbers of optimizers: {_spread(counts)}",
                            ("optimizers",), help_))
        return out
    need_names: list[tuple[int, int]] = []
    for oi in range(counts[0]):
        opts = [d[oi] for d in gathered]
        who = opts[0]["label"]
        classes = [o["class"] for o in opts]
        if len(set(classes)) > 1:
            out.append(_finding(f"{who} is a different class across ranks: {_spread(classes)}",
                                (who,), help_))
        n_groups = [len(o["groups"]) for o in opts]
        if len(set(n_groups)) > 1:
            out.append(_finding(f"{who} has different numbers of groups across ranks: "
                                f"{_spread(n_groups)}", (who,), help_))
            continue
        for gi in range(n_groups[0]):
            groups = [o["groups"][gi] for o in opts]
            label = groups[0]["label"]
            if len({g["hash"] for g in groups}) > 1:
                need_names.append((oi, gi))
            keys = sorted({k for g in groups for k in g["settings"]})
            for key in keys:
                vals = [g["settings"].get(key, "<missing>") for g in groups]
                if len(set(vals)) > 1:
                    out.append(_finding(f"{key!r} in {label} differs across ranks: "
                                        f"{_spread(vals)}", (label,), help_))
    if need_names:  # every rank saw the same digests, so every rank makes this call
        names_in = _exchange(_all_gather, {
            f"{oi}/{gi}": mine[oi]["groups"][gi]["names"] for oi, gi in need_names}, pg)
        for oi, gi in need_names:
            per_rank = [n[f"{oi}/{gi}"] for n in names_in]
            label = gathered[0][oi]["groups"][gi]["label"]
            out.append(_finding(_names_message(label, per_rank), (label,), help_))
    return out


def _names_message(label: str, per_rank: list[list[str]]) -> str:
    ref = per_rank[0]
    for rank, names in enumerate(per_rank[1:], start=1):
        if names == ref:
            continue
        only0 = [n for n in ref if n not in set(names)]
        only_r = [n for n in names if n not in set(ref)]
        if only0 or only_r:
            parts = []
            if only0:
                parts.append(f"{_q(only0)} only on rank 0")
            if only_r:
                parts.append(f"{_q(only_r)} only on rank {rank}")
            return f"{label} holds different parameters across ranks: {'; '.join(parts)}"
        return f"{label} holds the same parameters in a different order on rank {rank} than on rank 0"
    return f"{label} holds different parameters across ranks"


def _q(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


__all__ = ["RANK_MISMATCH", "check_ranks", "digest"]
