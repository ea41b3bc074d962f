"""Output formats: pure functions of a list of findings."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from pglint import codes
from pglint.finding import Finding

FORMATS = ("text", "concise", "json", "github", "sarif")


def text(findings: Iterable[Finding], show_help: bool = True) -> str:
    lines = []
    for f in findings:
        where = f"{f.filename}:{f.line}:{f.column}: " if f.filename else ""
        subject = f" [{', '.join(f.subject)}]" if f.subject and not f.filename else ""
        fixable = " [*]" if f.fix is not None and f.fix.safe else ""
        lines.append(f"{where}{f.code}{fixable} {f.message}{subject}")
        if show_help and f.help:
            lines.append(f"  help: {f.help}")
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def _escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return s.replace(":", "%3A").replace(",", "%2C") if prop else s


def github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's lines."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in findings:
        props = ",".join(
            f"{k}={_escape(str(v), True)}" for k, v in (
                ("file", f.filename), ("line", f.line), ("col", f.column),
                ("endLine", f.end_line), ("endColumn", f.end_column),
                ("title", f"pglint ({f.code})")) if v is not None)
        msg = f"{f.code} {f.message}" + (f"\nhelp: {f.help}" if f.help else "")
        out.append(f"::{level.get(f.severity, 'warning')} {props}::{_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


def sarif(findings: list[Finding]) -> str:
    from pglint import __version__

    used = sorted({f.code for f in findings})
    rules = [{"id": c, "name": codes.get(c).name,
              "shortDescription": {"text": codes.get(c).summary},
              "helpUri": f"https://pypi.org/project/pglint/#{c.lower()}"} for c in used]
    level = {"error": "error", "warning": "warning", "info": "note"}
    results = []
    for f in findings:
        r = {"ruleId": f.code, "level": level.get(f.severity, "warning"),
             "message": {"text": f.message + (f"\nhelp: {f.help}" if f.help else "")}}
        if f.filename:
            r["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": f.filename},
                "region": {"startLine": f.line, "startColumn": f.column,
                           "endLine": f.end_line, "endColumn": f.end_column}}}]
        results.append(r)
    doc = {"version": "2.1.0",
           "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "pglint", "version": __version__,
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def render(findings: list[Finding], fmt: str) -> str:
    if fmt == "text":
        return text(findings)
    if fmt == "concise":
        return text(findings, show_help=False)
    if fmt == "json":
        return as_json(findings)
    if fmt == "github":
        return github(findings)
    if fmt == "sarif":
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
