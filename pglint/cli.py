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


def _per_file_arg(value: str) -> tuple[str, list[str]]:
    pattern, sep, rest = value.rpartition(":")
    found = _codes_arg(rest)
    if not sep or not pattern or not found:
        raise argparse.ArgumentTypeError(f"expected PATTERN:CODES (tests/*:PG003), got {value!r}")
    return pattern, found


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pglint",
        description="Find silent mistakes in PyTorch optimizer parameter groups.",
    )
    p.add_argument("--version", action="version", version=f"pglint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="check Python source (never imports or runs it)")
    c.add_argument("paths", nargs="*", default=[], metavar="PATH",
                   help="files or directories (default: .); - reads stdin")
    c.add_argument("--select", type=_codes_arg, metavar="CODES", help="codes or prefixes to report (PG00,PG101)")
    c.add_argument("--ignore", type=_codes_arg, metavar="CODES", help="codes or prefixes not to report")
    c.add_argument("--extend-select", type=_codes_arg, metavar="CODES", default=[],
                   help="codes or prefixes to report on top of the selection")
    c.add_argument("--extend-ignore", type=_codes_arg, metavar="CODES", default=[],
                   help="codes or prefixes not to report, on top of the configured ignore")
    c.add_argument("--per-file-ignores", type=_per_file_arg, action="append", default=[],
                   metavar="PATTERN:CODES",
                   help="ignore CODES (comma separated) in files matching PATTERN; repeatable")
    c.add_argument("--output-format", choices=("text", "concise", "grouped", "json",
                                               "json-lines", "junit", "github", "gitlab",
                                               "sarif"),
                   default="text", help="how findings are printed (default: text)")
    c.add_argument("-o", "--output-file", metavar="FILE",
                   help="write the findings (or diff) to FILE instead of stdout")
    c.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    c.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that change "
                                                               "training behaviour")
    c.add_argument("--fix-only", action="store_true",
                   help="apply fixes, do not report (or exit 1 for) what is left")
    c.add_argument("--diff", action="store_true",
                   help="print the fixes as a diff and write nothing (also with --fix); "
                        "exit 1 when there is something to fix")
    c.add_argument("--exit-non-zero-on-fix", action="store_true",
                   help="exit 1 when a fix was applied, even if nothing is left")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument("--statistics", action="store_true", help="count findings per code")
    c.add_argument("--config", metavar="FILE",
                   help="settings file: a [tool.pglint] table, or settings at its top level")
    c.add_argument("--extra-keys", type=lambda v: [k.strip() for k in v.split(",") if k.strip()],
                   default=[], metavar="KEYS",
                   help="group keys to accept (PG004), comma separated")
    c.add_argument("--force-exclude", action="store_true",
                   help="apply exclude to files named on the command line (pre-commit)")
    c.add_argument("--stdin-filename", metavar="NAME",
                   help="the name of the source read from stdin (config, excludes, output)")
    c.add_argument("--show-files", action="store_true",
                   help="list the files that would be checked, and exit")
    c.add_argument("--show-settings", action="store_true",
                   help="print the resolved settings, and exit")
    c.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: cores)")
    c.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="also say on stderr which configuration was read")

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
    sub.add_parser("server", help="run the language server over stdio (needs pglint[lsp])")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("check", "audit", "explain", "rules", "server", "-h", "--help",
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
        return {"check": _check, "audit": _audit, "explain": _explain, "rules": _rules,
                "server": _server}[
            args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _check(args) -> int:
    from pglint import config
    from pglint.static import check

    pfi: dict = {}
    for pattern, found in args.per_file_ignores:
        pfi.setdefault(pattern, []).extend(found)
    bad = codes.unknown_patterns((args.select or []) + (args.ignore or []) + args.extend_select
                                 + args.extend_ignore + [c for v in pfi.values() for c in v])
    if bad:
        print(f"pglint: error: unknown code(s): {', '.join(bad)} (see `pglint rules`)",
              file=sys.stderr)
        return EXIT_ERROR
    if check.STDIN in args.paths and args.paths != [check.STDIN]:
        print("pglint: error: '-' (stdin) cannot be combined with other paths", file=sys.stderr)
        return EXIT_ERROR
    started = time.perf_counter()
    try:
        plan = check.plan(args.paths, config_path=args.config, force_exclude=args.force_exclude,
                          stdin_filename=args.stdin_filename, extend_ignore=args.extend_ignore,
                          per_file_ignores=pfi)
    except config.ConfigError as e:
        print(f"pglint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    try:
        out = None if not args.output_file else open(  # noqa: SIM115 (closed below)
            args.output_file, "w", encoding="utf-8")
    except OSError as e:
        print(f"pglint: error: cannot write {args.output_file}: {e.strerror or e}",
              file=sys.stderr)
        return EXIT_ERROR
    try:
        return _check_planned(args, plan, out, started)
    finally:
        if out is not None:
            out.close()


def _settings(args, plan) -> str:
    cfg = plan.cfg
    source = (f"{cfg.source} ({cfg.table})" if cfg.source is not None
              else "none (defaults)")
    select = (args.select or cfg.select) + args.extend_select
    rows = [("config", source), ("root", str(cfg.root)), ("select", select),
            ("ignore", cfg.ignore + (args.ignore or [])), ("exclude", cfg.exclude),
            ("extra-keys", sorted(set(cfg.extra_keys) | set(args.extra_keys))),
            ("per-file-ignores", cfg.per_file_ignores), ("force-exclude", args.force_exclude),
            ("fix", "unsafe" if args.unsafe_fixes else ("safe" if args.fix or args.fix_only
                                                        else "off")),
            ("output-format", args.output_format)]
    return "".join(f"{k} = {v if isinstance(v, str) else _toml(v)}\n" for k, v in rows)


def _toml(v) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)


def _check_planned(args, plan, out, started) -> int:
    from pglint import report
    from pglint.static import check

    stdout = out or sys.stdout
    if args.verbose:
        print(f"pglint: settings from {plan.cfg.source} ({plan.cfg.table})"
              if plan.cfg.source is not None else "pglint: no configuration: default settings",
              file=sys.stderr)
    if args.show_settings:
        stdout.write(_settings(args, plan))
        return EXIT_CLEAN
    if args.show_files:
        stdout.write("".join(f"{check._display(f)}\n" for f in plan.files)
                     + (f"{plan.stdin}\n" if plan.stdin else ""))
        for m in plan.missing:
            print(f"pglint: error: {m}: no such file or directory", file=sys.stderr)
        return EXIT_ERROR if plan.missing else EXIT_CLEAN
    reading_stdin = plan.stdin is not None or plan.stdin_excluded
    data = sys.stdin.buffer.read() if reading_stdin else None
    fix = args.fix or args.fix_only
    stdin_fix = reading_stdin and fix and not args.diff
    if plan.stdin_excluded:  # --force-exclude: nothing to check; --fix echoes the source
        if stdin_fix:
            sys.stdout.buffer.write(data)
        return EXIT_CLEAN
    run, missing = check.run(
        args.paths, select=args.select, extend_select=args.extend_select,
        ignore=args.ignore, extra_keys=args.extra_keys, fix=fix, diff=args.diff,
        unsafe_fixes=args.unsafe_fixes, jobs=args.jobs, stdin=data, the_plan=plan,
    )
    for m in missing:
        print(f"pglint: error: {m}: no such file or directory", file=sys.stderr)
    for r in run.errors:
        print(f"pglint: error: {r.path}: {r.error}", file=sys.stderr)
    for note in run.notes:
        print(f"pglint: warning: {note}", file=sys.stderr)
    findings = run.findings
    if stdin_fix:  # as ruff: the fixed source on stdout, the findings on stderr
        text = run.fixed_text.get(plan.stdin)
        if text is not None:
            sys.stdout.write(text)
        else:
            sys.stdout.buffer.write(data)
        stdout = out or sys.stderr
    if args.diff:
        stdout.write("".join(run.diffs))
    elif args.fix_only:
        pass
    elif args.statistics:
        stdout.write(report.statistics(findings))
    else:
        stdout.write(report.render(findings, args.output_format,
                                   files=[r.path for r in run.results]))
    if not args.quiet:
        _summary(run, findings, missing, time.perf_counter() - started, args)
    if missing or run.errors:
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if run.diffs else EXIT_CLEAN
    if args.exit_non_zero_on_fix and run.fixed:
        return EXIT_FINDINGS
    if args.fix_only:
        return EXIT_CLEAN
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def _summary(run, findings, missing, seconds, args) -> None:
    checked = sum(1 for r in run.results if not r.error)
    files = len({f.filename for f in findings})
    parts = []
    if args.diff:
        parts.append(f"Would fix {run.fixed} finding{'s' * (run.fixed != 1)}."
                     if run.fixed else "No fixes would be applied.")
    elif run.fixed:
        parts.append(f"Fixed {run.fixed} finding{'s' * (run.fixed != 1)}.")
    elif args.fix_only:
        parts.append("No fixes applied.")
    if args.diff or args.fix_only:
        pass  # what is left is not reported
    elif findings:
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
    _quiet_torch_import()
    try:
        from pglint.runtime.command import run_audit
    except ImportError as e:
        print(f"pglint: error: `pglint audit` needs torch ({e}); "
              f"pip install 'pglint[runtime]'", file=sys.stderr)
        return EXIT_ERROR
    return run_audit(args.target, output_format=args.output_format, select=args.select,
                     ignore=args.ignore, extra_keys=tuple(args.extra_keys),
                     no_decay=not args.no_decay_policy, fail_on=args.fail_on)


def _quiet_torch_import() -> None:
    """Import torch once without its "Failed to initialize NumPy" warning (torch without
    numpy installed), so `pglint audit` output never starts with it.  Only that warning."""
    import contextlib
    import warnings

    # no torch (or a broken one): run_audit reports it
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.filterwarnings("ignore", message="Failed to initialize NumPy",
                                category=UserWarning)
        import torch  # noqa: F401


def _explain(args) -> int:
    from pglint import docs

    code = args.code.strip().upper()
    if code not in codes.CODES:
        print(f"pglint: error: unknown code {args.code!r} (see `pglint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(docs.text(code))
    return EXIT_CLEAN


def _server(args) -> int:
    from pglint.lsp import main as serve

    return serve()


def _rules(args) -> int:
    for c in codes.CODES.values():
        fix = {"safe": " [fix]", "unsafe": " [unsafe fix]"}.get(c.fix, "")
        print(f"{c.code}  {c.name:34} {c.severity:8} {c.scope:8} {c.summary}{fix}")
    return EXIT_CLEAN
