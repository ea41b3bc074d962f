"""A finding is a plain frozen value, never a syntax node or a tensor."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pglint import codes


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] (character offsets into the file's text) with ``text``.

    The 1-based line and column of start and end come along for output formats; in a
    notebook, offsets, lines and columns are within code cell ``cell`` (1-based index in
    the notebook's cells) and its source text.
    """

    start: int
    end: int
    text: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    cell: int | None = None


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: str = ""  # "" -> the code's default severity
    help: str | None = None
    # static findings: where in a file (1-based lines and columns)
    filename: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    # runtime findings: the parameter name(s) or group involved
    subject: tuple[str, ...] = ()
    fix: Fix | None = field(default=None, compare=False)
    # notebooks: the 1-based index of the cell in the notebook's cells; line and column
    # are then within that cell
    cell: int | None = None

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", codes.get(self.code).severity)

    @property
    def name(self) -> str:
        return codes.get(self.code).name

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["name"] = self.name
        d["subject"] = list(self.subject)
        fix = d.pop("fix")
        d["fix"] = (
            None
            if fix is None
            else {
                "title": fix["title"],
                "applicability": "safe" if fix["safe"] else "unsafe",
                "edits": [dict(e) for e in fix["edits"]],
            }
        )
        return d

    def sort_key(self) -> tuple:
        return (self.filename or "", self.cell or 0, self.line or 0, self.column or 0,
                self.code, self.message)
