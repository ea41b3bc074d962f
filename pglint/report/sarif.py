"""SARIF 2.1.0: rules with their docs, results with their fixes.

Columns count Unicode code points (``columnKind``).  A notebook's result is located by
line and column within its cell; the location's ``properties.cell`` names the cell (the
1-based index in the notebook's cells), and so does each fix replacement's.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from pglint import codes, docs
from pglint.finding import Edit, Finding

LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rule(code: str) -> dict:
    c = codes.get(code)
    try:
        full = docs.sections(code).get("What it does") or c.summary
    except OSError:
        full = c.summary
    return {"id": code, "name": c.name,
            "shortDescription": {"text": c.summary},
            "fullDescription": {"text": full, "markdown": full},
            "helpUri": docs.url(code),
            "help": {"text": f"{c.summary}: see {docs.url(code)}"},
            "defaultConfiguration": {"level": LEVEL[c.severity]},
            "properties": {"fix": c.fix, "scope": c.scope}}


def _uri(filename: str) -> str:
    return quote(filename.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def _region(line, column, end_line, end_column) -> dict:
    r = {"startLine": line or 1, "startColumn": column or 1}
    if end_line:
        r["endLine"] = end_line
        r["endColumn"] = end_column or 1
    return r


def _replacement(e: Edit) -> dict:
    if e.line is not None:
        region = _region(e.line, e.column, e.end_line, e.end_column)
    else:  # character offsets only
        region = {"charOffset": e.start, "charLength": e.end - e.start}
    r = {"deletedRegion": region, "insertedContent": {"text": e.text}}
    if e.cell is not None:
        r["properties"] = {"cell": e.cell}
    return r


def _result(f: Finding, index: dict) -> dict:
    r = {"ruleId": f.code, "ruleIndex": index[f.code], "level": LEVEL.get(f.severity, "warning"),
         "message": {"text": f.message + (f"\nhelp: {f.help}" if f.help else "")}}
    if f.filename:
        loc: dict = {"physicalLocation": {
            "artifactLocation": {"uri": _uri(f.filename)},
            "region": _region(f.line, f.column, f.end_line, f.end_column)}}
        if f.cell is not None:
            loc["properties"] = {"cell": f.cell}
        r["locations"] = [loc]
        if f.fix is not None and f.fix.edits:
            r["fixes"] = [{
                "description": {"text": f.fix.title},
                "artifactChanges": [{"artifactLocation": {"uri": _uri(f.filename)},
                                     "replacements": [_replacement(e) for e in f.fix.edits]}],
                "properties": {"applicability": "safe" if f.fix.safe else "unsafe"}}]
    return r


def sarif(findings: list[Finding]) -> str:
    from pglint import __version__

    used = sorted({f.code for f in findings})
    index = {c: i for i, c in enumerate(used)}
    unreadable = any(f.code == codes.UNREADABLE for f in findings)
    doc = {"version": "2.1.0",
           "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "pglint", "version": __version__,
                                         "informationUri": docs.RULES_URL,
                                         "rules": [_rule(c) for c in used]}},
                     "invocations": [{"executionSuccessful": not unreadable}],
                     "columnKind": "unicodeCodePoints",
                     "results": [_result(f, index) for f in findings]}]}
    return json.dumps(doc, indent=2) + "\n"
