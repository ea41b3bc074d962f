"""Run pglint over whole public repositories of training code, as their users would.

    python scripts/realcode_repos.py                       # every repository in the list
    python scripts/realcode_repos.py --repos karpathy/nanoGPT,huggingface/trl
    python scripts/realcode_repos.py --mirrors /work/.mirror --jobs 2
    python scripts/realcode_repos.py --json-out findings.json   # every finding, for triage

The list is ``scripts/realcode_repos.toml``: each repository's ``owner/name``, its kind and the
commit checked.  Each one is laid out as a git checkout at that commit in
``.realcode/repos/OWNER__NAME/`` (git-ignored here), sparse: its ``.py`` and ``.ipynb`` files
and its ``pyproject.toml``/``setup.cfg``/``.gitignore`` files, nothing else.  The objects come
from a local mirror when there is one (``--mirrors DIR`` holding ``OWNER+NAME/repo``, a git
directory, as the search tool's ``fetch`` leaves them; shared, nothing copied), else from
``https://github.com/OWNER/NAME`` (a blob-less clone).  A checkout already at the commit is
reused, unless ``--refresh``.

Then ``pglint check --output-format json --jobs N .`` runs with the checkout's root as the
working directory, so discovery, ``.gitignore``, the project root and configuration are what a
user of that repository gets.  The script prints a table (files, files checked, files that
could not be parsed, findings by code, seconds per repository, and a total), then every
finding as ``REPO: path:line:col: CODE message``.

Exit status as in ``scripts/realcode.py``: 0 = report printed (findings are a report, not a
gate); 2 = pglint itself failed; 1 = a repository could not be laid out.  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realcode import ROOT, Source, _split, check, exit_status, report  # noqa: E402

LIST = Path(__file__).resolve().parent / "realcode_repos.toml"
# what a checkout holds: the code pglint reads and the files that steer its discovery/config
SPARSE = ("*.py", "*.ipynb", "pyproject.toml", "setup.cfg", ".gitignore")


def load_list(path: Path) -> list[dict]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    repos = data.get("repo", [])
    for r in repos:
        if not (isinstance(r.get("name"), str) and r["name"].count("/") == 1
                and isinstance(r.get("commit"), str)):
            raise SystemExit(f"{path}: every [[repo]] needs name = 'owner/name' and commit")
    return repos


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=cwd,
                          capture_output=True, text=True)


def _head(dest: Path) -> str | None:
    if not (dest / ".git").exists():
        return None
    proc = _git("-C", str(dest), "rev-parse", "HEAD")
    return proc.stdout.strip() if proc.returncode == 0 else None


def lay_out(entry: dict, work: Path, mirrors: Path | None, refresh: bool) -> Source:
    """A sparse git checkout of ``entry`` at its commit; ``Source.problem`` says why not."""
    name, commit = entry["name"], entry["commit"]
    dest = work / "repos" / name.replace("/", "__")
    source = Source(name, dest, version=commit[:12])
    if not refresh and _head(dest) == commit:
        return source
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    mirror = mirrors / name.replace("/", "+") / "repo" if mirrors else None
    if mirror is not None and (mirror / "objects").is_dir():
        clone = ["clone", "--quiet", "--no-checkout", "--shared", str(mirror), str(dest)]
    else:
        clone = ["clone", "--quiet", "--no-checkout", "--filter=blob:none",
                 f"https://github.com/{name}.git", str(dest)]
    print(f"laying out {name} at {commit[:12]} ...", file=sys.stderr, flush=True)
    steps = [clone,
             ["-C", str(dest), "sparse-checkout", "set", "--no-cone", *SPARSE],
             ["-C", str(dest), "checkout", "--quiet", "--detach", commit]]
    for step in steps:
        proc = _git(*step)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-2:]
            source.problem = f"git {step[0] if step[0] != '-C' else step[2]} failed: " + \
                " | ".join(tail)
            shutil.rmtree(dest, ignore_errors=True)
            return source
    return source


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Run pglint over whole public repositories.")
    p.add_argument("--list", type=Path, default=LIST, help=f"repository list (default: {LIST.name})")
    p.add_argument("--repos", nargs="+", metavar="OWNER/NAME",
                   help="only these repositories of the list, space or comma separated")
    p.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                   help="local mirrors, OWNER+NAME/repo git directories (default: /work/.mirror); "
                        "a repository without one is cloned from GitHub")
    p.add_argument("--refresh", action="store_true", help="lay every checkout out again")
    p.add_argument("--jobs", type=int, default=max(1, min(4, (os.cpu_count() or 2) // 2)),
                   help="pglint worker processes per repository (default: half the cores, "
                        "at most 4: repositories run one after another)")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds pglint may take per repository (default 1800)")
    p.add_argument("--workdir", type=Path, default=ROOT / ".realcode",
                   help="where checkouts go, under repos/ (default: .realcode/)")
    p.add_argument("--json-out", type=Path, metavar="FILE",
                   help="also write every finding, with its repository, as JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    work = args.workdir.resolve()
    entries = load_list(args.list)
    if args.repos:
        wanted = {r.lower() for r in _split(args.repos)}
        unknown = wanted - {e["name"].lower() for e in entries}
        if unknown:
            print(f"not in {args.list.name}: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 1
        entries = [e for e in entries if e["name"].lower() in wanted]
    mirrors = args.mirrors if args.mirrors and args.mirrors.is_dir() else None
    sources = [lay_out(e, work, mirrors, args.refresh) for e in entries]
    for s in sources:
        if s.problem is None:
            print(f"checking {s.label} ...", file=sys.stderr, flush=True)
            check(s, args.jobs, args.timeout, work, from_root=True)
    report(sources, time.perf_counter() - started, args.jobs,
           noun="repository", version="commit")
    if args.json_out:
        rows = [dict(f, repository=s.label, commit=s.version) for s in sources
                for f in s.findings]
        args.json_out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return exit_status(sources)


if __name__ == "__main__":
    sys.exit(main())
