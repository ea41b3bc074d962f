"""Runtime audit under wrappers and process groups: DDP, FSDP1, FSDP2, torch.compile, ranks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
nn = torch.nn

from pglint import audit
from pglint.runtime.distributed import RANK_MISMATCH, check_ranks, digest

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch built without gloo")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def process_group(tmp_path_factory):
    init = tmp_path_factory.mktemp("pg") / "init"
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))


def no_decay_groups(model: nn.Module):
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}]


def assert_clean(report) -> None:
    assert report.findings == [], str(report)


def test_check_ranks_without_process_group_is_empty():
    if dist.is_initialized():
        pytest.skip("a process group is active")
    model = make_model()
    assert check_ranks(torch.optim.Adam(model.parameters()), model) == []


def test_ddp_wrapped_model_is_clean_and_named_without_prefix(process_group):
    model = make_model()
    opt = torch.optim.AdamW(no_decay_groups(model))
    ddp = nn.parallel.DistributedDataParallel(model)  # after the optimizer: same Parameters
    assert_clean(audit(ddp, opt))
    named = torch.optim.Adam(ddp.named_parameters())  # names 'module.0.weight'
    assert_clean(audit(ddp, named))
    assert_clean(audit(model, named))
    # names in findings are the unwrapped model's
    partial = torch.optim.Adam(model[0].parameters())
    f = audit(ddp, partial).findings[0]
    assert f.code == "PG101" and f.subject == ("1.weight", "1.bias", "3.weight", "3.bias")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_compile_wrapper_is_clean_and_named_without_prefix():
    model = make_model()
    opt = torch.optim.AdamW(no_decay_groups(model))
    compiled = torch.compile(model)  # wrapping only: never called, nothing compiles
    assert type(compiled).__name__ == "OptimizedModule"
    assert_clean(audit(compiled, opt))
    opt2 = torch.optim.AdamW(compiled.parameters())  # decay on everything
    f = audit(compiled, opt2).findings[0]
    assert f.code == "PG106" and f.subject == ("0.bias", "1.weight", "1.bias", "3.bias")
    model.sub = torch.compile(nn.Linear(2, 2))  # a compiled submodule: '_orig_mod.' inside
    f = audit(compiled, opt).findings[0]
    assert f.code == "PG101" and f.subject == ("sub.weight", "sub.bias")


def test_fsdp1_wrapper_names(process_group):
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # world size 1: FSDP switches to NO_SHARD
        fsdp = FSDP(make_model(), use_orig_params=True, device_id=torch.device("cpu"))
    assert next(iter(dict(fsdp.named_parameters()))).startswith("_fsdp_wrapped_module.")
    opt = torch.optim.AdamW(fsdp.parameters())
    f = audit(fsdp, opt).findings[0]
    assert f.code == "PG106" and f.subject == ("0.bias", "1.weight", "1.bias", "3.bias")


def test_fully_shard_after_the_optimizer_is_reported(process_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    model = make_model()
    opt = torch.optim.AdamW(no_decay_groups(model))
    fully_shard(model, mesh=init_device_mesh("cpu", (1,)))
    report = audit(model, opt)
    assert [f.code for f in report.findings] == ["PG101", "PG102", "PG102"]
    pg101, stale0, stale1 = report.findings
    assert pg101.subject == ("0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias")
    assert stale0.message == ("2 parameters in group 0 are not in the model (stale: the model's "
                              "'0.weight', '3.weight' were replaced after the optimizer was "
                              "built)")
    assert stale0.help.startswith("fully_shard replaced the model's parameters")
    assert set(stale1.subject) == {"0.bias", "1.weight", "1.bias", "3.bias"}


def test_fully_shard_before_the_optimizer_is_clean(process_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    model = make_model()
    fully_shard(model, mesh=init_device_mesh("cpu", (1,)))
    opt = torch.optim.AdamW(no_decay_groups(model))
    assert_clean(audit(model, opt))
    model(torch.randn(3, 4)).sum().backward()
    opt.step()  # DTensor state
    assert_clean(audit(model, opt))
    named = torch.optim.Adam(model.named_parameters())
    assert_clean(audit(model, named))


def test_check_ranks_single_rank(process_group):
    model = make_model()
    opt = torch.optim.AdamW(no_decay_groups(model))
    assert check_ranks(opt, model) == []
    assert check_ranks([opt, torch.optim.SGD(model.parameters(), lr=0.1)]) == []
    d = digest(opt, model)
    assert d[0]["groups"][1]["names"] == ["0.bias", "1.weight", "1.bias", "3.bias"]


RANK_SCRIPT = """
import json, os, sys
import torch, torch.distributed as dist
from torch import nn
from pglint.runtime.distributed import check_ranks

rank, init, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=2)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
decay = [p for n, p in model.named_parameters() if p.ndim > 1]
rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
if rank == 1:  # this rank's filter dropped the head bias and uses another lr
    rest = rest[:-1]
opt = torch.optim.AdamW([{"params": decay, "lr": 1e-3 if rank == 0 else 1e-2},
                         {"params": rest, "weight_decay": 0.0}])
findings = check_ranks(opt, model, timeout=30)
with open(out, "w") as f:
    json.dump([[x.code, x.severity, x.message, list(x.subject)] for x in findings], f)
dist.destroy_process_group()
os._exit(0)  # skip interpreter teardown: seconds on a small machine
"""


def test_check_ranks_two_processes_disagree(tmp_path):
    script = tmp_path / "ranks.py"
    script.write_text(textwrap.dedent(RANK_SCRIPT))
    init = tmp_path / "init"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(r), str(init), str(tmp_path / f"{r}")],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for r in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    import json

    results = [json.loads((tmp_path / f"{r}").read_text()) for r in range(2)]
    assert results[0] == results[1]  # every rank gets the same findings
    assert [(c, s) for c, s, _, _ in results[0]] == [(RANK_MISMATCH, "error")] * 2
    assert results[0][0][2] == "'lr' in group 0 differs across ranks: 0.001 on rank 0; 0.01 on rank 1"
    assert results[0][1][2] == ("group 1 holds different parameters across ranks: "
                                "'2.bias' only on rank 0")


ABSENT_SCRIPT = """
import json, os, sys, time
import torch, torch.distributed as dist
from torch import nn
from pglint.runtime.distributed import check_ranks, digest

rank, absent, init, out, timeout = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
                                    sys.argv[4], float(sys.argv[5]))
dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=2)
if rank == absent:  # never calls check_ranks; stays alive until the other rank is done
    deadline = time.monotonic() + 120
    while not os.path.exists(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(0)
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
digest(opt, model)  # warm: the first digest loads pglint's tables
start = time.monotonic()
try:
    check_ranks(opt, model, timeout=timeout)
    result = {"error": None}
except Exception as e:
    result = {"error": f"{type(e).__name__}: {e}"}
result["elapsed"] = time.monotonic() - start
with open(out + ".tmp", "w") as f:
    json.dump(result, f)
os.replace(out + ".tmp", out)
os._exit(0)
"""


@pytest.mark.parametrize("absent", [0, 1])
def test_check_ranks_missing_rank_is_a_bounded_wait_naming_it(tmp_path, absent):
    import json

    timeout = 4.0
    script = tmp_path / "absent.py"
    script.write_text(textwrap.dedent(ABSENT_SCRIPT))
    out = tmp_path / "out.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(r), str(absent), str(tmp_path / "init"),
                          str(out), str(timeout)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for r in range(2)
    ]
    outs = [p.communicate(timeout=180)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    result = json.loads(out.read_text())
    present = 1 - absent
    assert result["error"] == (
        f"TimeoutError: check_ranks: rank {absent} did not call check_ranks within 4 s "
        f"(this is rank {present}); call it on every rank at the same point"), outs
    # bounded: it waited the timeout, and not much longer (the old barrier waited for the
    # absent process to exit on rank 1, or the group's 30-minute timeout)
    assert timeout <= result["elapsed"] < 3 * timeout, result
