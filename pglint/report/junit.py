"""JUnit XML: one test case per checked file, a <failure> per finding in it, an <error>
for a file that could not be read or parsed (PG000)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET

from pglint import codes
from pglint.finding import Finding
from pglint.report import where

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(s: str) -> str:
    """Text XML 1.0 can hold (a control character in a file name or message is replaced)."""
    return _NOT_XML.sub("\ufffd", s)


def junit(findings: Iterable[Finding], files: Sequence[str]) -> str:
    by_file: dict = {name: [] for name in files}
    for f in findings:
        by_file.setdefault(f.filename or "pglint", []).append(f)
    failed = sum(1 for fs in by_file.values()
                 if any(f.code != codes.UNREADABLE for f in fs))
    errors = sum(1 for fs in by_file.values() if any(f.code == codes.UNREADABLE for f in fs))
    counts = {"tests": str(len(by_file)), "failures": str(failed), "errors": str(errors)}
    root = ET.Element("testsuites", name="pglint", **counts)
    suite = ET.SubElement(root, "testsuite", name="pglint", skipped="0", **counts)
    for name, fs in by_file.items():
        case = ET.SubElement(suite, "testcase", name=_x(name), classname="pglint", file=_x(name))
        for f in fs:
            tag = "error" if f.code == codes.UNREADABLE else "failure"
            el = ET.SubElement(case, tag, type=f.code, message=_x(f"{f.code} {f.message}"))
            el.text = _x(f"{where(f) or name}: {f.code} {f.severity}: {f.message}"
                         + (f"\nhelp: {f.help}" if f.help else ""))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
