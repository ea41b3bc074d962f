"""GitLab Code Quality: a Code Climate JSON array of issues.

Each issue's fingerprint is a hash of the code, the path, and the message with its line
numbers taken out ("line 12" -> "line"), plus a counter for identical ones: it survives
edits elsewhere in the file (lines moving), and no two findings share one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from pglint import codes
from pglint.finding import Finding

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
_LINE_REF = re.compile(r"\b(line|cell) \d+")


def fingerprint(f: Finding, nth: int) -> str:
    stable = _LINE_REF.sub(r"\1", f.message)
    key = "\0".join((f.code, f.filename or "", stable, str(nth)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def gitlab(findings: Iterable[Finding]) -> str:
    seen: dict = {}
    out = []
    for f in findings:
        base = fingerprint(f, 0)
        nth = seen.get(base, 0)
        seen[base] = nth + 1
        at = f"cell {f.cell}, line {f.line}: " if f.cell is not None else ""
        issue = {
            "type": "issue",
            "check_name": f.code,
            "description": f"{at}{f.code} {f.message} [{codes.get(f.code).name}]",
            "categories": ["Bug Risk"],
            "severity": SEVERITY.get(f.severity, "minor"),
            "fingerprint": fingerprint(f, nth),
            "location": {"path": f.filename or "",
                         "lines": {"begin": f.line or 1, "end": f.end_line or f.line or 1}},
        }
        if f.help:
            issue["content"] = {"body": f"help: {f.help}"}
        out.append(issue)
    return json.dumps(out, indent=2) + "\n"
