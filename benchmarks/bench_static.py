"""pglint's static pass against ruff, side by side, medians of alternating runs.

    python benchmarks/bench_static.py                 # transformers + diffusers, 3 rounds
    python benchmarks/bench_static.py --trees diffusers --rounds 1

Fetches the corpora with ``pip download --no-deps`` (wheels unzipped under
``benchmarks/.corpora/``, git-ignored), installs ruff if it is missing, then runs each
pair of commands alternately and prints median CPU (the children's user+sys, from
``os.wait4``) and wall times and their ratios.  Ratios, not absolute times, are what
compare: both tools run in the same minutes on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPORA = HERE / ".corpora"

SMALL_FILE = '''\
import torch
from torch import nn

model = nn.Linear(4, 2)
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}%s],
    lr=3e-4,
)
'''


def fetch(name: str) -> Path:
    """The unzipped wheel of ``name`` (downloaded once)."""
    CORPORA.mkdir(exist_ok=True)
    (CORPORA / ".gitignore").write_text("*\n")
    tree = CORPORA / name
    if tree.is_dir():
        return tree
    wheels = sorted(CORPORA.glob(f"{name}-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-d", str(CORPORA), name], check=True)
        wheels = sorted(CORPORA.glob(f"{name}-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        z.extractall(tree)
    (tree / "pyproject.toml").write_text("")  # its own project root, default settings
    return tree


def ruff_command() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "ruff"], check=True)
        exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    return [exe]


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float, str, str]:
    """(CPU seconds of the process and its children, wall seconds, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err,
                             env={**os.environ, **(env or {})})
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ru.ru_utime + ru.ru_stime, wall, out.read().decode(), err.read().decode()


JSON = ("--output-format", "json")
# the corpora live in a git-ignored folder, which ruff would otherwise skip
NO_GITIGNORE = ("--no-respect-gitignore",)


def pglint(*args: str) -> list[str]:
    return [sys.executable, "-m", "pglint", "check", "--exit-zero", *args]


def has_flag(flag: str) -> bool:
    return flag in subprocess.run(pglint("--help"), capture_output=True, text=True).stdout


def compare(label: str, ours: list[str], theirs: list[str], rounds: int, peer: str,
            before=None, cwd=None, env=None) -> dict:
    """Alternate the two commands ``rounds`` times; print and return the medians."""
    a_cpu, a_wall, b_cpu, b_wall = [], [], [], []
    last = stdout = ""
    for i in range(rounds):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if before is not None:
                before()
            if which == 0:
                cpu, wall, out, err = run(ours, cwd, env)
                a_cpu.append(cpu)
                a_wall.append(wall)
                last = err.strip().splitlines()[-1] if err.strip() else ""
                stdout = out
            else:
                cpu, wall, _, _ = run(theirs, cwd)
                b_cpu.append(cpu)
                b_wall.append(wall)
    m: dict = {k: statistics.median(v) for k, v in
         (("cpu", a_cpu), ("wall", a_wall), ("peer_cpu", b_cpu), ("peer_wall", b_wall))}
    print(f"{label:44} pglint {m['cpu']:8.3f}s CPU {m['wall']:8.3f}s wall | "
          f"{peer} {m['peer_cpu']:7.3f}s CPU {m['peer_wall']:7.3f}s wall | "
          f"ratio {m['cpu'] / m['peer_cpu']:6.2f}x CPU {m['wall'] / m['peer_wall']:6.2f}x wall")
    if last:
        print(f"{'':44} ({last})")
    sys.stdout.flush()
    m["stdout"] = stdout
    return m


def census(tree: Path) -> tuple[int, int]:
    """(files pglint checks, files passing its pre-filter: the ones it parses)."""
    from pglint import config
    from pglint.static import check, engine

    prefilter = engine.passes_prefilter
    files, _ = check.discover([str(tree)], config.load(tree))
    parsed = 0
    for f in files:
        if f.suffix == ".ipynb":
            parsed += 1
            continue
        with contextlib.suppress(OSError):
            parsed += prefilter(f.read_bytes())
    return len(files), parsed


def findings(out: str) -> int:
    return len(json.loads(out)) if out.strip() else 0


def git_repo_with(tree: Path, finding: bool) -> tuple[Path, Path]:
    """A git repository holding ``tree`` and a small train.py (with a PG004 finding or not)."""
    repo = CORPORA / f"repo-{tree.name}"
    if not (repo / ".git").is_dir():
        shutil.copytree(tree, repo / "src", dirs_exist_ok=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    train = repo / "train.py"
    extra = ', {"params": [], "learning_rate": 2e-5}' if finding else ""
    train.write_text(SMALL_FILE % extra)
    return repo, train


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trees", nargs="*", default=["transformers", "diffusers"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--small-rounds", type=int, default=9)
    ap.add_argument("--jobs", type=int, default=None, help="pglint --jobs for the tree runs")
    ap.add_argument("--no-scaling", action="store_true", help="skip the --jobs 1 vs 2 runs")
    ap.add_argument("--no-trees", action="store_true", help="only the one-file runs")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold whole-tree runs")
    ap.add_argument("--equivalence", action="store_true",
                    help="also run once with the pre-filter off and compare the findings")
    args = ap.parse_args()
    ruff = ruff_command()
    # as an installed wheel has them (pip compiles at install): without the .pyc files,
    # and with PYTHONDONTWRITEBYTECODE set, every run would compile pglint's source again
    import compileall
    import importlib.util

    package = Path(importlib.util.find_spec("pglint").origin).parent
    compileall.compile_dir(str(package), quiet=1)
    cold = ["--no-cache"] if has_flag("--no-cache") else []
    cache = bool(cold)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"pglint: {sys.executable} -m pglint; ruff: "
          f"{subprocess.run([*ruff, '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"{os.cpu_count()} cores; cache: {'yes' if cache else 'no (this pglint has none)'}")
    for name in [] if args.no_trees else args.trees:
        tree = fetch(name)
        files, parsed = census(tree)
        lines = sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))
        print(f"\n== {name}: {files} files checked ({lines:,} lines), {parsed} parsed "
              f"(pass the pre-filter)")
        got = {"stdout": ""} if args.no_cold else compare(
            f"{name} cold, whole tree", pglint(*cold, *jobs, *JSON, str(tree)),
                [*ruff, "check", "--select", "ALL", "--no-cache", "--isolated", "--exit-zero",
                 "-q", *NO_GITIGNORE, str(tree)], args.rounds, "ruff ALL")
        if not args.no_cold:
            print(f"{'':44} findings: {findings(got['stdout'])}")
        if args.equivalence:
            _, _, out, _ = run(pglint(*cold, *JSON, str(tree)), env={"PGLINT_NO_PREFILTER": "1"})
            print(f"{'':44} findings without the pre-filter (every file parsed): "
                  f"{findings(out)}, identical: {out == got['stdout']}")
        if cache:
            run(pglint(*jobs, str(tree)))  # fill the cache
            run([*ruff, "check", "--exit-zero", "-q", *NO_GITIGNORE, str(tree)])
            compare(f"{name} warm (unchanged tree)", pglint(*jobs, str(tree)),
                    [*ruff, "check", "--exit-zero", "-q", *NO_GITIGNORE, str(tree)], args.rounds,
                    "ruff default")
        if not args.no_scaling:
            one = compare(f"{name} cold --jobs 1", pglint(*cold, "--jobs", "1", str(tree)),
                          [*ruff, "check", "--no-cache", "--exit-zero", "-q", *NO_GITIGNORE, str(tree)],
                          args.rounds, "ruff default")
            two = compare(f"{name} cold --jobs 2", pglint(*cold, "--jobs", "2", str(tree)),
                          [*ruff, "check", "--no-cache", "--exit-zero", "-q", *NO_GITIGNORE, str(tree)],
                          args.rounds, "ruff default")
            print(f"{'':44} 2 processes: {one['wall'] / two['wall']:.2f}x faster (wall) than 1")

    print("\n== one file (what pre-commit does)")
    with tempfile.TemporaryDirectory() as d:
        train = Path(d) / "train.py"
        train.write_text(SMALL_FILE % "")
        compare("one small file", pglint(str(train)), [*ruff, "check", "--exit-zero", "-q",
                                                       str(train)], args.small_rounds, "ruff")
        compare("one small file, changed (no cache)", pglint(*cold, str(train)),
                [*ruff, "check", "--no-cache", "--exit-zero", "-q", str(train)],
                args.small_rounds, "ruff")
        # what any check that parses pays before pglint runs: the interpreter and libcst
        compare("  floor: python -c 'import libcst'", [sys.executable, "-c", "import libcst"],
                [*ruff, "check", "--no-cache", "--exit-zero", "-q", str(train)],
                args.small_rounds, "ruff")
    if args.trees:
        big = fetch(args.trees[0])
        repo, train = git_repo_with(big, finding=True)
        run(pglint(str(train)), cwd=repo)  # a warm cache for the project scan, if any
        ours = compare(f"one file, PG004 finding, {big.name} repo", pglint("train.py"),
                       [*ruff, "check", "--exit-zero", "-q", "train.py"], args.small_rounds,
                       "ruff", cwd=repo)
        _, _, out, _ = run(pglint("train.py"), cwd=repo)
        print(f"{'':44} finding reported: {'PG004' in out}")
        repo, train = git_repo_with(big, finding=False)
        clean = compare(f"the same file without it, {big.name} repo", pglint("train.py"),
                        [*ruff, "check", "--exit-zero", "-q", "train.py"], args.small_rounds,
                        "ruff", cwd=repo)
        print(f"{'':44} with/without the finding: {ours['wall'] / clean['wall']:.2f}x wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
