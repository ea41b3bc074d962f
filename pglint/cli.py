"""The ``pglint`` command: ``check``, ``audit``, ``explain``, ``rules``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from pglint import __version__, codes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes_arg(value: str) -> list[str]:
    return [v.strip().upper() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pglint",
        description="Find silent mistakes in PyTorch optimizer parameter groups.",
    )
    p.add_argument("--version", action="version", version=f"pglint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="check Python source (never imports or runs it)")
    c.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    c.add_argument("--select", type=_codes_arg, help="codes or prefixes to report (PG00,PG101)")
    c.add_argument("--ignore", type=_codes_arg, help="codes or prefixes not to report")
    c.add_argument("--extend-select", type=_codes_arg, default=[], help=argparse.SUPPRESS)
    c.add_argument("--output-format", choices=("text", "concise", "grouped", "json",
                                               "json-lines", "junit", "github", "gitlab",
                                               "sarif"),
                   default="text")
    c.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    c.add_argument("--diff", action="store_true", help="print fixes as a diff, write nothing")
    c.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that change "
                                                               "training behaviour")
    c.add_argument("--statistics", action="store_true", help="count findings per code")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument("--config", metavar="FILE", help="a pyproject.toml to read [tool.pglint] from")
    c.add_argument("--extra-keys", type=lambda v: [k.strip() for k in v.split(",") if k.strip()],
                   default=[], help="group keys to accept (PG004), comma separated")
    c.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    c.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")

    a = sub.add_parser("audit", help="import a factory returning (model, optimizer) and audit it")
    a.add_argument("target", metavar="MODULE:FUNCTION")
    a.add_argument("--select", type=_codes_arg)
    a.add_argument("--ignore", type=_codes_arg)
    a.add_argument("--output-format", choices=("text", "json"), default="text")
    a.add_argument("--extra-keys", type=lambda v: [k.strip() for k in v.split(",") if k.strip()],
                   default=[])
    a.add_argument("--no-decay-policy", action="store_true",
                   help="do not report weight decay on norm/bias parameters (PG106)")
    a.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                   default="warning", help="lowest severity that exits 1 (default: warning)")

    e = sub.add_parser("explain", help="print a rule's documentation")
    e.add_argument("code", metavar="CODE")

    sub.add_parser("rules", help="list every rule")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("check", "audit", "explain", "rules", "-h", "--help",
                                "--version"):
        argv = ["check", *argv]  # `pglint src/` is `pglint check src/`
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_ERROR if e.code else EXIT_CLEAN
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return {"check": _check, "audit": _audit, "explain": _explain, "rules": _rules}[
            args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _check(args) -> int:
    from pglint import config, report
    from pglint.static import check

    bad = codes.unknown_patterns((args.select or []) + (args.ignore or []) + args.extend_select)
    if bad:
        print(f"pglint: error: unknown code(s): {', '.join(bad)} (see `pglint rules`)",
              file=sys.stderr)
        return EXIT_ERROR
    started = time.perf_counter()
    try:
        run, missing = check.run(
            args.paths, select=args.select, extend_select=args.extend_select,
            ignore=args.ignore, extra_keys=args.extra_keys,
            config_path=args.config, fix=args.fix, diff=args.diff,
            unsafe_fixes=args.unsafe_fixes, jobs=args.jobs,
        )
    except config.ConfigError as e:
        print(f"pglint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    for m in missing:
        print(f"pglint: error: {m}: no such file or directory", file=sys.stderr)
    for r in run.errors:
        print(f"pglint: error: {r.path}: {r.error}", file=sys.stderr)
    for note in run.notes:
        print(f"pglint: warning: {note}", file=sys.stderr)
    findings = run.findings
    if args.diff:
        sys.stdout.write("".join(run.diffs))
    elif args.statistics:
        sys.stdout.write(report.statistics(findings))
    else:
        sys.stdout.write(report.render(findings, args.output_format,
                                       files=[r.path for r in run.results]))
    if not args.quiet:
        _summary(run, findings, missing, time.perf_counter() - started, args)
    if missing or run.errors:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if run.diffs else EXIT_CLEAN
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN


def _summary(run, findings, missing, seconds, args) -> None:
    checked = sum(1 for r in run.results if not r.error)
    files = len({f.filename for f in findings})
    parts = []
    if run.fixed:
        parts.append(f"Fixed {run.fixed} finding{'s' * (run.fixed != 1)}"
                     + (" (diff only)" if args.diff and not args.fix else "") + ".")
    if findings:
        fixable = sum(1 for f in findings if f.fix is not None and f.fix.safe)
        unsafe = sum(1 for f in findings if f.fix is not None and not f.fix.safe)
        parts.append(f"Found {len(findings)} finding{'s' * (len(findings) != 1)} in "
                     f"{files} file{'s' * (files != 1)} ({checked} checked in {seconds:.2f}s).")
        if fixable and not args.fix:
            parts.append(f"[*] {fixable} fixable with `pglint check --fix`.")
        if unsafe and not args.unsafe_fixes:
            parts.append(f"{unsafe} more fixable with `--fix --unsafe-fixes`.")
    elif not run.errors and not missing:
        parts.append(f"All checks passed ({checked} file{'s' * (checked != 1)} "
                     f"checked in {seconds:.2f}s).")
    if run.errors:
        parts.append(f"{len(run.errors)} file{'s' * (len(run.errors) != 1)} could not be checked.")
    print(" ".join(parts), file=sys.stderr)


def _audit(args) -> int:
    bad = codes.unknown_patterns((args.select or []) + (args.ignore or []))
    if bad:
        print(f"pglint: error: unknown code(s): {', '.join(bad)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        from pglint.runtime.command import run_audit
    except ImportError as e:
        print(f"pglint: error: `pglint audit` needs torch ({e}); "
              f"pip install 'pglint[runtime]'", file=sys.stderr)
        return EXIT_ERROR
    return run_audit(args.target, output_format=args.output_format, select=args.select,
                     ignore=args.ignore, extra_keys=tuple(args.extra_keys),
                     no_decay=not args.no_decay_policy, fail_on=args.fail_on)


def _explain(args) -> int:
    from pglint import docs

    code = args.code.strip().upper()
    if code not in codes.CODES:
        print(f"pglint: error: unknown code {args.code!r} (see `pglint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(docs.text(code))
    return EXIT_CLEAN


def _rules(args) -> int:
    for c in codes.CODES.values():
        fix = {"safe": " [fix]", "unsafe": " [unsafe fix]"}.get(c.fix, "")
        print(f"{c.code}  {c.name:34} {c.severity:8} {c.scope:8} {c.summary}{fix}")
    return EXIT_CLEAN
