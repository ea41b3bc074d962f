"""Source lines as Python sees them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line.

``str.splitlines`` also splits on ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``, ``\\x85``,
U+2028 and U+2029, which may sit in a string or comment (and ``\\x0c`` before code):
line numbers and offsets computed from it disagree with libcst's positions, and a fix
lands in the wrong place.  Everything in pglint that counts lines uses this module.
"""

from __future__ import annotations

import re

_EOL = re.compile(r"\r\n|\r|\n")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """``text.splitlines(keepends)`` with Python's own line ends only."""
    out = []
    pos = 0
    for m in _EOL.finditer(text):
        out.append(text[pos:m.end() if keepends else m.start()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts, plus ``len(text)``: line ``n`` (1-based) starts at
    ``starts[n - 1]``."""
    starts = [0]
    starts.extend(m.end() for m in _EOL.finditer(text))
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts
