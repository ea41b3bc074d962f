"""Long fuzzing run: generated optimizer programs through ``pglint check`` and its fixes.

    python scripts/fuzz.py --minutes 30 [--seed N] [--jobs 2] [--timeout 30] [--out DIR]

Programs come from the grammar in ``tests/fuzzing.py`` (one seed per program, so every
program can be written again from its seed); each is checked with safe fixes and with
``--unsafe-fixes`` against the properties listed there.  Work runs in worker processes;
a program that takes longer than ``--timeout`` seconds is a hang (the worker is killed
and replaced).  Failing programs are saved to ``--out`` (one ``.py`` and one ``.txt``
with what went wrong); move the ones that show a new fault into
``tests/data/fuzz_regressions/`` so the suite keeps them.  Prints programs tried,
crashes, hangs and fix failures; exits 1 when any was found.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import fuzzing  # noqa: E402

CRASH_MARKS = ("internal error", "check: exit", "--fix: exit", "valid Python rejected")


def kind(problem: str) -> str:
    return "crash" if problem.startswith(CRASH_MARKS) else "fix failure"


FIXTURES = sorted((ROOT / "fixtures").rglob("*.py"))


def _program(seed: int) -> str:
    """Three of four programs from the grammar, one a mutated fixture file."""
    rng = random.Random(seed)
    if seed % 4 == 3 and FIXTURES:
        return fuzzing.mutant(rng, rng.choice(FIXTURES).read_text(encoding="utf-8"))
    return fuzzing.program(rng)


def _worker(tasks, results) -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        while True:
            seed = tasks.get()
            if seed is None:
                return
            source = _program(seed)
            found = []
            if not fuzzing.compiles(source) and seed % 4 != 3 and "big = " not in source:
                results.put((seed, ["generator wrote invalid Python"]))  # mutants may not
                continue
            for unsafe in (False, True):
                try:
                    got = fuzzing.problems(source, work, unsafe=unsafe)
                except Exception as e:  # the oracle itself must not die either
                    got = [f"internal error: oracle raised {type(e).__name__}: {e}"]
                found += [("--unsafe-fixes: " if unsafe else "") + p for p in got]
                if got:
                    break
            results.put((seed, found))


class Worker:
    def __init__(self, ctx) -> None:
        self.tasks, self.results = ctx.Queue(), ctx.Queue()
        # not daemonic: pglint starts a child process for a file that looks too deep
        self.proc = ctx.Process(target=_worker, args=(self.tasks, self.results))
        self.proc.start()
        self.seed: int | None = None
        self.since = 0.0

    def give(self, seed: int) -> None:
        self.seed, self.since = seed, time.monotonic()
        self.tasks.put(seed)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join(5)


def _minimize(path: Path) -> int:
    source = path.read_bytes().decode("utf-8")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)

        def first(text: str) -> str | None:
            for unsafe in (False, True):
                got = fuzzing.problems(text, work, unsafe=unsafe)
                if got:
                    return got[0].split(":")[0]
            return None

        what = first(source)
        if what is None:
            print(f"{path}: no problem found", file=sys.stderr)
            return 1
        small = fuzzing.minimize(source, lambda t: first(t) == what)
    sys.stdout.write(small)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: from time)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per program")
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures"))
    ap.add_argument("--minimize", type=Path, metavar="FILE",
                    help="print FILE reduced to the lines its first problem needs, and stop")
    args = ap.parse_args(argv)
    if args.minimize:
        return _minimize(args.minimize)
    first = args.seed if args.seed is not None else int(time.time())
    ctx = mp.get_context("spawn")
    workers = [Worker(ctx) for _ in range(max(1, args.jobs))]
    deadline = time.monotonic() + args.minutes * 60
    next_seed = first
    tried = crashes = hangs = fix_failures = invalid = 0
    saved: list[Path] = []

    def save(seed: int, what: str, problems: list[str]) -> None:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = args.out / f"{what.replace(' ', '_')}-{seed}"
        stem.with_suffix(".py").write_bytes(_program(seed).encode("utf-8"))
        stem.with_suffix(".txt").write_text(f"seed {seed}\n" + "\n".join(problems) + "\n")
        saved.append(stem.with_suffix(".py"))

    for w in workers:
        w.give(next_seed)
        next_seed += 1
    started = last_note = time.monotonic()
    while workers:
        for i, w in enumerate(list(workers)):
            try:
                seed, problems = w.results.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() - w.since > args.timeout:
                    tried += 1
                    hangs += 1
                    save(w.seed, "hang", [f"no result within {args.timeout:g} s"])
                    print(f"hang: seed {w.seed}", flush=True)
                    w.stop()
                    workers[i] = w = Worker(ctx)
                    if time.monotonic() < deadline:
                        w.give(next_seed)
                        next_seed += 1
                    else:
                        w.stop()
                        workers.remove(w)
                continue
            tried += 1
            if problems == ["generator wrote invalid Python"]:
                invalid += 1
            elif problems:
                k = kind(problems[0].removeprefix("--unsafe-fixes: "))
                if k == "crash":
                    crashes += 1
                else:
                    fix_failures += 1
                save(seed, k, problems)
                print(f"{k}: seed {seed}: {problems[0][:160]}", flush=True)
            if time.monotonic() < deadline:
                w.give(next_seed)
                next_seed += 1
            else:
                w.tasks.put(None)
                w.proc.join(10)
                workers.remove(w)
        if time.monotonic() - last_note > 60:
            last_note = time.monotonic()
            print(f"... {tried} tried, crashes {crashes}, hangs {hangs}, "
                  f"fix failures {fix_failures}", flush=True)
    elapsed = time.monotonic() - started
    print(f"seeds {first}..{next_seed - 1}: {tried} programs tried in {elapsed / 60:.1f} min "
          f"({tried / max(elapsed, 1e-9):.1f}/s, each with safe and unsafe fixes); "
          f"crashes {crashes}, hangs {hangs}, fix failures {fix_failures}, "
          f"invalid programs from the generator {invalid}")
    if saved:
        print(f"failing programs saved to {args.out}/ ({len(saved)})")
    return 1 if crashes or hangs or fix_failures else 0


if __name__ == "__main__":
    sys.exit(main())
