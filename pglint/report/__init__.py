"""Output formats: pure functions of a list of findings (and, for junit, of the list of
checked files: a clean file is a passing test case)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

from pglint import codes
from pglint.finding import Finding

FORMATS = ("text", "concise", "grouped", "json", "json-lines", "junit", "github", "gitlab",
           "sarif")


def where(f: Finding) -> str:
    """``train.py:6:36``, or ``nb.ipynb:cell 5:3:1`` in a notebook (as ruff prints it)."""
    if not f.filename:
        return ""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.filename}:{cell}{f.line}:{f.column}"


def _line(f: Finding, position: str) -> str:
    """``PG002 [*] error: message`` after the position."""
    subject = f" [{', '.join(f.subject)}]" if f.subject and not f.filename else ""
    fixable = " [*]" if f.fix is not None and f.fix.safe else ""
    return f"{position}{f.code}{fixable} {f.severity}: {f.message}{subject}"


def text(findings: Iterable[Finding], show_help: bool = True) -> str:
    lines = []
    for f in findings:
        lines.append(_line(f, f"{where(f)}: " if f.filename else ""))
        if show_help and f.help:
            lines.append(f"  help: {f.help}")
    return "\n".join(lines) + ("\n" if lines else "")


def grouped(findings: Iterable[Finding]) -> str:
    """Findings under a header per file, as ruff's grouped format."""
    by_file: dict = {}
    for f in findings:
        by_file.setdefault(f.filename or "", []).append(f)
    blocks = []
    for filename, fs in by_file.items():
        rows = []
        for f in fs:
            pos = where(f)[len(filename) + 1:] if filename else ""
            rows.append("  " + _line(f, f"{pos} " if pos else ""))
            if f.help:
                rows.append(f"    help: {f.help}")
        blocks.append((f"{filename}:\n" if filename else "") + "\n".join(rows) + "\n")
    return "\n".join(blocks)


def as_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def json_lines(findings: Iterable[Finding]) -> str:
    return "".join(json.dumps(f.to_dict()) + "\n" for f in findings)


def _escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return s.replace(":", "%3A").replace(",", "%2C") if prop else s


def github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's lines.  A
    notebook's finding is annotated on the file, its cell and line in the message."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in findings:
        in_cell = f.cell is not None
        props = ",".join(
            f"{k}={_escape(str(v), True)}" for k, v in (
                ("file", f.filename), ("line", None if in_cell else f.line),
                ("col", None if in_cell else f.column),
                ("endLine", None if in_cell else f.end_line),
                ("endColumn", None if in_cell else f.end_column),
                ("title", f"pglint ({f.code})")) if v is not None)
        at = f"cell {f.cell}, line {f.line}: " if in_cell else ""
        msg = f"{at}{f.code} {f.message}" + (f"\nhelp: {f.help}" if f.help else "")
        out.append(f"::{level.get(f.severity, 'warning')} {props}::{_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


def render(findings: list[Finding], fmt: str, files: Sequence[str] | None = None) -> str:
    """``findings`` in format ``fmt``; ``files`` are the checked files (junit reports a
    passing test case for each clean one)."""
    if fmt == "text":
        return text(findings)
    if fmt == "concise":
        return text(findings, show_help=False)
    if fmt == "grouped":
        return grouped(findings)
    if fmt == "json":
        return as_json(findings)
    if fmt == "json-lines":
        return json_lines(findings)
    if fmt == "github":
        return github(findings)
    if fmt == "junit":
        from pglint.report.junit import junit

        return junit(findings, files or ())
    if fmt == "gitlab":
        from pglint.report.gitlab import gitlab

        return gitlab(findings)
    if fmt == "sarif":
        from pglint.report.sarif import sarif

        return sarif(findings)
    raise ValueError(f"unknown output format {fmt!r}")


def statistics(findings: list[Finding]) -> str:
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fix is not None and f.fix.safe)
    rows = []
    for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if fixable[c] else "   "
        rows.append(f"{n:5d}\t{c}\t{mark} {codes.get(c).name}")
    return "\n".join(rows) + ("\n" if rows else "")
