"""Run pglint over real code: a few PyPI packages that build optimizers.

    python scripts/realcode.py                       # timm transformers lightning diffusers accelerate peft
    python scripts/realcode.py --packages timm,peft  # another set
    python scripts/realcode.py --refresh             # download and unpack again (newest versions)
    python scripts/realcode.py --dir /path/to/torch  # also check a source tree as it is

Each package's newest wheel is fetched with
``pip download --no-deps --only-binary=:all: -d .realcode/dl NAME`` (nothing is pinned; the
versions used are printed) and unpacked into ``.realcode/src/NAME``; both steps are skipped
when already done, unless ``--refresh``.  Then ``python -m pglint check --output-format json``
runs once per package, and the script prints a table (.py/.ipynb files, files pglint checked,
findings per code, seconds), every finding as ``path:line:col: CODE message``, and a total.

An unpacked wheel is made its own project root for pglint (an empty ``pyproject.toml`` is
written next to the package), and git is kept from seeing the enclosing repository (in which
``.realcode/`` is git-ignored, so pglint's discovery would otherwise find no files at all).

Exit status: 0 = report printed (findings are expected: this is a report, not a gate);
2 = pglint itself failed: it exited 2 with a traceback, died, printed no valid JSON, or
reported a file as "cannot be checked" that CPython compiles fine (a file with a genuine
syntax error is listed but is not a failure); 1 = a package could not be fetched or unpacked.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PACKAGES = ("timm", "transformers", "lightning", "diffusers", "accelerate", "peft")
MARKER = ".realcode-wheel"  # in an unpacked tree: the wheel it came from
ROOT_MARKER_TEXT = ("# Written by scripts/realcode.py: makes this unpacked wheel its own\n"
                    "# project root for pglint (configuration, PG004 key scan).\n")
_ERROR_LINE = re.compile(r"^pglint: error: (?P<path>.+?\.(?:pyi?|ipynb)): (?P<reason>.+)$")
_CHECKED = re.compile(r"\((\d+)(?: files?)? checked in")  # "(3 files checked in" / "(3 checked in"
_SKIP_DIRS = {"__pycache__", ".git"}


def _norm(name: str) -> str:
    """PEP 503 normalisation, as wheel file names use it (with '_')."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _req_name(spec: str) -> str:
    """'timm', 'timm==1.0' or 'timm[extra]' -> 'timm'."""
    return re.split(r"[\s<>=!~;\[@]", spec.strip(), maxsplit=1)[0]


@dataclass
class Source:
    label: str
    path: Path
    version: str = "-"
    files: int = 0
    checked: int | None = None
    findings: list = field(default_factory=list)
    seconds: float = 0.0
    unchecked: list = field(default_factory=list)  # (path, reason, genuine syntax error?)
    crash: str | None = None
    problem: str | None = None  # fetch/unpack failed: not checked


# --------------------------------------------------------------------------- fetching

def _wheels(dl: Path, name: str) -> list[Path]:
    want = _norm(name)
    return [w for w in dl.glob("*.whl") if _norm(w.name.split("-", 1)[0]) == want]


def _version_of(wheel_name: str) -> str:
    parts = wheel_name[:-len(".whl")].split("-")
    return parts[1] if len(parts) >= 2 else "?"


def fetch(spec: str, work: Path, refresh: bool) -> Source:
    name = _req_name(spec)
    dl, src = work / "dl", work / "src" / name
    source = Source(name, src)
    marker = src / MARKER
    if refresh:
        for w in _wheels(dl, name) if dl.is_dir() else []:
            w.unlink()
        shutil.rmtree(src, ignore_errors=True)
    if marker.is_file():
        source.version = _version_of(marker.read_text(encoding="utf-8").strip())
        return source
    dl.mkdir(parents=True, exist_ok=True)
    wheels = _wheels(dl, name)
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "-d", str(dl), spec]
        print(f"fetching {spec} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = _wheels(dl, name)
        if proc.returncode != 0 or not wheels:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            source.problem = "pip download failed: " + " | ".join(tail)
            return source
    wheel = max(wheels, key=lambda w: w.stat().st_mtime)
    tmp = src.parent / f".{name}.unpacking"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
    except (zipfile.BadZipFile, OSError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        source.problem = f"cannot unpack {wheel.name}: {e}"
        return source
    if not (tmp / "pyproject.toml").exists():
        (tmp / "pyproject.toml").write_text(ROOT_MARKER_TEXT, encoding="utf-8")
    (tmp / MARKER).write_text(wheel.name + "\n", encoding="utf-8")
    shutil.rmtree(src, ignore_errors=True)
    tmp.rename(src)
    source.version = _version_of(wheel.name)
    return source


# --------------------------------------------------------------------------- checking

def count_python_files(path: Path) -> int:
    """The .py and .ipynb files under ``path``, each counted once (symlinks to a file
    already counted are the same file to pglint)."""
    seen = set()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for f in filenames:
            if f.endswith((".py", ".ipynb")):
                p = Path(dirpath, f)
                seen.add(p.resolve() if p.is_symlink() else p)
    return len(seen)


def _genuine_syntax_error(path: Path) -> bool:
    """Does CPython itself refuse to compile the file (for a notebook: one of its code
    cells, IPython's ``%``/``!`` lines left out)?"""
    try:
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            for cell in cells:
                if cell.get("cell_type") != "code":
                    continue
                src = cell.get("source", "")
                lines = src if isinstance(src, list) else src.splitlines(keepends=True)
                text = "".join("\n" if ln.lstrip().startswith(("%", "!")) else ln
                               for ln in lines)
                compile(text, str(path), "exec", dont_inherit=True)
            return False
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, AttributeError):  # ValueError covers bad JSON too
        return True
    except (OSError, RecursionError, MemoryError):
        return False
    return False


def check(source: Source, jobs: int, timeout: float, work: Path,
          from_root: bool = False) -> None:
    """Run pglint on ``source.path``: named from this repository's root, or with
    ``from_root`` as a user would, ``pglint check .`` run in the tree's own root."""
    source.files = count_python_files(source.path)
    cwd = source.path if from_root else ROOT
    cmd = [sys.executable, "-m", "pglint", "check", "--output-format", "json",
           "--jobs", str(jobs), "." if from_root else str(source.path)]
    env = dict(os.environ)
    # ``python -m pglint`` run from another tree's root must still find this pglint
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # pglint asks git which files are ignored; the unpacked wheels live in a git-ignored
    # folder of this repository, so keep git from finding the repository above them
    env["GIT_CEILING_DIRECTORIES"] = os.pathsep.join(
        filter(None, [str((work / "src").resolve()), env.get("GIT_CEILING_DIRECTORIES")]))
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        source.seconds = time.perf_counter() - started
        source.crash = f"pglint did not finish within {timeout:.0f}s"
        return
    source.seconds = time.perf_counter() - started
    stderr = proc.stderr or ""
    m = _CHECKED.search(stderr)
    source.checked = int(m.group(1)) if m else None
    if source.checked is None and proc.returncode == 2:
        # no count when every checked file was clean but some could not be checked:
        # ask pglint which files it reads (``--show-files``); the unchecked come off below
        shown = subprocess.run(cmd[:4] + ["--show-files", cmd[-1]], cwd=cwd, env=env,
                               capture_output=True, text=True, timeout=timeout)
        if shown.returncode == 0:
            source.checked = len(shown.stdout.splitlines())
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    # a file pglint could not check: a PG000 entry in the JSON, and a line on stderr
    errors = {}
    if isinstance(data, list):
        source.findings = [f for f in data if f.get("code") != "PG000"]
        errors = {f.get("filename"): f.get("message") for f in data if f.get("code") == "PG000"}
    for line in stderr.splitlines():
        e = _ERROR_LINE.match(line)
        if e is not None:
            errors.setdefault(e.group("path"), e.group("reason"))
    for path, reason in errors.items():
        p = Path(path)
        full = p if p.is_absolute() else cwd / p
        source.unchecked.append((path, reason, _genuine_syntax_error(full)))
    if m is None and source.checked is not None:
        source.checked -= len(source.unchecked)
    if "Traceback (most recent call last)" in stderr:
        source.crash = f"pglint exited {proc.returncode} with a traceback:\n{stderr.strip()}"
    elif proc.returncode not in (0, 1, 2):
        source.crash = f"pglint exited {proc.returncode}:\n{stderr.strip()}"
    elif data is None or not isinstance(data, list):
        source.crash = (f"pglint exited {proc.returncode} without a JSON list on stdout:\n"
                        f"{stderr.strip() or proc.stdout[:2000]}")
    elif any(not genuine for _, _, genuine in source.unchecked):
        bad = [f"{p}: {r}" for p, r, genuine in source.unchecked if not genuine]
        source.crash = "pglint could not check files CPython compiles:\n" + "\n".join(bad)
    elif proc.returncode == 2 and not source.unchecked:
        source.crash = f"pglint exited 2:\n{stderr.strip()}"


# --------------------------------------------------------------------------- report

def _codes(findings: list) -> str:
    c = Counter(f.get("code", "?") for f in findings)
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "-"


def report(sources: list[Source], total_seconds: float, jobs: int,
           noun: str = "package", version: str = "version") -> None:
    """The table (one row per source, then a total), every finding, every file pglint could
    not check, and pglint's failures.  ``noun``/``version`` name the first two columns."""
    print(f"pglint on real code (python {sys.version.split()[0]}, --jobs {jobs})")
    w = max([len(noun)] + [len(s.label) for s in sources])
    print(f"{noun:{w}}  {version:12} {'files':>6} {'checked':>7} {'unparsable':>10} "
          f"{'findings':>8}  {'seconds':>7}  codes")
    for s in sources:
        if s.problem:
            print(f"{s.label:{w}}  {s.version:12} {'-':>6} {'-':>7} {'-':>10} {'-':>8}  "
                  f"{'-':>7}  NOT CHECKED: {s.problem}")
            continue
        checked = "?" if s.checked is None else str(s.checked)
        note = "  CRASH" if s.crash else ""
        print(f"{s.label:{w}}  {s.version:12} {s.files:6d} {checked:>7} {len(s.unchecked):10d} "
              f"{len(s.findings):8d}  {s.seconds:7.2f}  {_codes(s.findings)}{note}")
    checked = [s for s in sources if not s.problem]
    findings = [f for s in sources for f in s.findings]
    unchecked = [(s.label, *u) for s in sources for u in s.unchecked]
    n_checked = sum(s.checked or 0 for s in checked)
    print(f"{'total':{w}}  {str(len(checked)):12} {sum(s.files for s in checked):6d} "
          f"{n_checked:7d} {len(unchecked):10d} {len(findings):8d}  "
          f"{sum(s.seconds for s in checked):7.2f}  {_codes(findings)}")
    for s in sources:
        if s.checked is not None and not s.problem and s.checked + len(s.unchecked) != s.files:
            print(f"note: {s.label}: {s.files} .py/.ipynb files, but pglint checked "
                  f"{s.checked} and could not check {len(s.unchecked)}")
    print()
    print(f"== findings ({len(findings)}) ==")
    for s in sources:
        where = f"{s.label}: " if noun != "package" else ""
        for f in s.findings:
            print(f"{where}{f.get('filename')}:{f.get('line')}:{f.get('column')}: "
                  f"{f.get('code')} {f.get('message')}")
    if unchecked:
        print()
        print(f"== files pglint could not check ({len(unchecked)}) ==")
        for label, path, reason, genuine in unchecked:
            verdict = "genuine syntax error" if genuine else "PGLINT FAILURE (CPython compiles it)"
            where = f"{label}: " if noun != "package" else ""
            print(f"{where}{path}: {reason}  [{verdict}]")
    crashed = [s for s in sources if s.crash]
    if crashed:
        print()
        print(f"== pglint failures ({len(crashed)}) ==")
        for s in crashed:
            print(f"-- {s.label}: {s.crash}")
    print()
    print(f"total: {len(checked)} {noun}(s), {sum(s.files for s in checked)} .py/.ipynb files, "
          f"{len(findings)} finding(s) ({_codes(findings)}), "
          f"{len(unchecked)} file(s) pglint could not check, "
          f"{sum(s.seconds for s in checked):.2f}s in pglint, {total_seconds:.2f}s in all"
          + (f"; {len(crashed)} pglint failure(s)" if crashed else "")
          + (f"; {len(sources) - len(checked)} not checked" if len(checked) < len(sources)
             else ""))


def _split(values: list | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Run pglint over a few real PyPI packages.")
    p.add_argument("--packages", nargs="+", metavar="NAME",
                   help=f"packages to fetch, space or comma separated "
                        f"(default: {' '.join(DEFAULT_PACKAGES)})")
    p.add_argument("--dir", action="append", default=[], metavar="PATH",
                   help="also check this source tree as it is (no download); repeatable")
    p.add_argument("--refresh", action="store_true", help="download and unpack again")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="pglint worker processes (default: cores)")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds pglint may take per package (default 1800)")
    p.add_argument("--workdir", type=Path, default=ROOT / ".realcode",
                   help="where wheels and sources go (default: .realcode/)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    work = args.workdir.resolve()
    packages = _split(args.packages) if args.packages else (
        [] if args.dir else list(DEFAULT_PACKAGES))
    sources = [fetch(spec, work, args.refresh) for spec in packages]
    for d in args.dir:
        path = Path(d).resolve()
        s = Source(path.name, path)
        if not path.is_dir():
            s.problem = "no such directory"
        sources.append(s)
    for s in sources:
        if s.problem is None:
            check(s, args.jobs, args.timeout, work)
    report(sources, time.perf_counter() - started, args.jobs)
    return exit_status(sources)


def exit_status(sources: list[Source]) -> int:
    """2 when pglint crashed on a source, 1 when a source could not be fetched or run."""
    if any(s.crash for s in sources):
        return 2
    if any(s.problem for s in sources):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
