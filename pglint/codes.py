"""The one table of finding codes, shared by the static pass and the runtime audit.

A code means the same fault wherever it is reported: in a source file, in a live
training job, in CI output.  Each code's long-form docs live in
``pglint/rule_docs/<CODE>.md`` (``pglint explain CODE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
Scope = Literal["static", "runtime", "both"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Code:
    code: str
    name: str  # kebab-case
    severity: Severity  # default severity; a finding may state its own
    scope: Scope
    summary: str  # one line, used in `pglint rules` and the README table
    fix: Literal["none", "safe", "unsafe"] = "none"


# A file that could not be read or parsed is reported under this code in every output
# format (besides the stderr line and exit 2).  It is not a rule: --select, --ignore,
# per-file-ignores and noqa comments never drop it (exclude the file instead).
UNREADABLE = "PG000"

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(UNREADABLE, "unreadable-file", "error", "static",
             "a file pglint could not read or parse (syntax error, binary, undecodable, too "
             "large): it was not checked"),
        Code("PG001", "group-missing-params", "error", "static",
             "a parameter group dict without a 'params' key", fix="unsafe"),
        Code("PG002", "one-shot-iterable-reused", "error", "static",
             "a generator or iterator of parameters consumed twice; the second use sees nothing",
             fix="safe"),
        Code("PG003", "duplicate-parameters", "error", "both",
             "the same parameters in two groups or two optimizers"),
        Code("PG004", "unknown-group-key", "warning", "both",
             "a group key the optimizer never reads", fix="unsafe"),
        Code("PG005", "invalid-group-value", "error", "both",
             "a group value torch never validates (negative lr, betas outside [0, 1), ...)"),
        Code("PG006", "unordered-parameters", "error", "static",
             "a set passed as the optimizer's parameters: order differs between runs"),
        Code("PG007", "parameters-not-called", "error", "static",
             "'model.parameters' passed without calling it", fix="safe"),
        Code("PG008", "scheduler-flattens-group-lr", "warning", "both",
             "OneCycleLR/CyclicLR with a scalar lr over groups with different lrs"),
        Code("PG009", "optimizer-before-model-change", "error", "static",
             "optimizer built before the model's parameters are replaced"),
        Code("PG010", "misspelled-requires-grad", "error", "static",
             "'require_grad'-style typo: sets an unused attribute and freezes nothing",
             fix="safe"),
        Code("PG011", "name-membership-never-matches", "error", "static",
             "'n in no_decay' with a full parameter name and bare suffixes: never true"),
        Code("PG012", "group-never-used", "error", "static",
             "a parameter group built beside the optimizer that never reaches it"),
        Code("PG101", "unoptimized-parameter", "error", "runtime",
             "a trainable parameter of the model in no optimizer group"),
        Code("PG102", "stale-parameter", "error", "runtime",
             "a parameter in an optimizer that is not in the model"),
        Code("PG103", "frozen-parameter-in-optimizer", "info", "runtime",
             "a frozen parameter in an optimizer (warning if it still holds a .grad)"),
        Code("PG104", "empty-group", "warning", "runtime",
             "a parameter group with no parameters"),
        Code("PG105", "duplicate-in-group", "error", "both",
             "the same parameter twice in one group: updated twice per step"),
        Code("PG106", "decay-on-norm-or-bias", "warning", "runtime",
             "weight decay on a bias or normalisation parameter"),
        Code("PG107", "state-mismatch", "error", "runtime",
             "optimizer state that does not fit its parameter (shape or device)"),
        Code("PG108", "param-names-mismatch", "error", "runtime",
             "'param_names' in a group disagree with the model's names for those parameters"),
        Code("PG109", "rank-mismatch", "error", "runtime",
             "ranks disagree on parameter groups: names or settings"),
        Code("PG110", "parameter-without-gradient", "warning", "runtime",
             "an optimizer parameter that got no gradient in the watched steps (info if frozen)"),
    )
}


def get(code: str) -> Code:
    return CODES[code]


def matches(code: str, patterns: Iterable[str]) -> bool:
    """True when ``code`` is named by one of ``patterns`` (a code or a prefix: PG, PG0, PG00)."""
    if isinstance(patterns, str):
        patterns = [patterns]  # one pattern, never a string split into characters
    return any(code.startswith(p.strip().upper()) for p in patterns if p.strip())


def selected(code: str, select: Iterable[str] | None, ignore: Iterable[str] | None) -> bool:
    """ruff-like selection: the longest matching prefix wins; default selects everything."""
    sel = [p.strip().upper() for p in (select or ["PG"]) if p.strip()]
    ign = [p.strip().upper() for p in (ignore or []) if p.strip()]
    best_sel = max((len(p) for p in sel if code.startswith(p) or p == "ALL"), default=-1)
    best_ign = max((len(p) for p in ign if code.startswith(p) or p == "ALL"), default=-1)
    return best_sel >= 0 and best_sel > best_ign


def unknown_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that name no code (typos in --select/--ignore/config)."""
    out = []
    for p in patterns:
        p = p.strip().upper()
        # a prefix shorter than the linter's own ("P") is a typo, never "everything"
        if p and p != "ALL" and (len(p) < 2 or not any(c.startswith(p) for c in CODES)):
            out.append(p)
    return out
