"""What each rule needs to see in a file's bytes before it can possibly fire.

A file is decoded and parsed only when the bytes hold what at least one rule needs;
every other file is skipped unread by libcst (and gets no PG000 entry even if it is not
valid Python: unreadable files are reported among those that pass).  The engine asks
with every rule, whatever the selection, so PG000 entries never depend on --select;
``pattern(select, ignore)`` narrows it for callers that want that.

The table lives here, not in the rule modules, so deciding never imports libcst.
``tests/test_prefilter.py`` keeps it honest: the findings on every fixture are the same
with and without the pre-filter, every optimizer word the analysis knows
(``context._OPT_WORDS``) and every PG010 misspelling is matched.
``PGLINT_NO_PREFILTER=1`` turns it off (every file is parsed).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from pglint import codes

# an optimizer built or extended in the file: torch.optim (any spelling of the import),
# an Optimizer subclass, another package's optimizer class (context._OPT_WORDS), or
# add_param_group on an optimizer built elsewhere
OPTIMIZER = (rb"optim|Optim|Adam|SGD|Lion|Lamb|LAMB|Lars|LARS|Adafactor|Adagrad|Adadelta|"
             rb"RMSprop|RMSProp|Rprop|Novograd|NovoGrad|Sophia|Shampoo|Prodigy|Muon|Adan|"
             rb"AdaBelief|Ranger|add_param_group")
# a one-shot parameter iterator made in the file: .parameters() / .named_parameters()
PARAMETER_ITERATOR = rb"parameters\s*\("
# a misspelt requires_grad (pg010_requires_grad.MISSPELLINGS) after a dot
MISSPELT_REQUIRES_GRAD = (rb"\.\s*(?:require_grads?|requires_grads|requires_gradient|"
                          rb"requiresgrad|require_gradient|requieres_grad|requires_gard|"
                          rb"reqires_grad)(?!\w)")

#: code -> the bytes a file must hold for that rule to possibly fire
NEEDS: dict[str, bytes] = {
    "PG001": OPTIMIZER,  # a dict given to an optimizer
    "PG002": PARAMETER_ITERATOR,  # a one-shot parameter iterable (consumers are everywhere)
    "PG003": OPTIMIZER,
    "PG004": OPTIMIZER,
    "PG005": OPTIMIZER,
    "PG006": OPTIMIZER,  # a set given to an optimizer
    "PG007": OPTIMIZER,  # .parameters uncalled, given to an optimizer
    "PG008": OPTIMIZER,  # a scheduler of an optimizer built here
    "PG009": OPTIMIZER,  # a model changed after an optimizer was built
    "PG010": MISSPELT_REQUIRES_GRAD,
    "PG011": PARAMETER_ITERATOR,  # names from named_parameters() tested against a list
    "PG012": OPTIMIZER,  # a group dict built where an optimizer is built
    "PG105": OPTIMIZER,  # the same tensor twice in a group given to an optimizer
}


@lru_cache(maxsize=64)
def pattern(select: tuple | None = None, ignore: tuple | None = None) -> re.Pattern | None:
    """One regex for the selected rules (None: no static rule is selected)."""
    wanted = []
    for code, needs in NEEDS.items():
        if codes.selected(code, select, ignore) and needs not in wanted:
            wanted.append(needs)
    if not wanted:
        return None
    return re.compile(b"|".join(b"(?:" + w + b")" for w in wanted))


def disabled() -> bool:
    return os.environ.get("PGLINT_NO_PREFILTER", "").strip() not in ("", "0")


def passes(data: bytes, select: tuple | None = None, ignore: tuple | None = None) -> bool:
    """True when a selected rule may fire on ``data`` (always, when turned off)."""
    if disabled():
        return True
    p = pattern(tuple(select) if select is not None else None,
                tuple(ignore) if ignore is not None else None)
    return p is not None and p.search(data) is not None
