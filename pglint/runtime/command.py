"""``pglint audit MODULE:FUNCTION``: import a factory, audit what it returns, print the report.

Exit status as for ``pglint check``: 0 clean, 1 findings at or above ``fail_on``, 2 a usage
or import error (with a one-line message on stderr).  This module imports torch only
when ``run_audit`` runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from pglint.runtime import args
from pglint.runtime.report import FAIL_LEVELS

USAGE = "expected MODULE:FUNCTION (e.g. train:build or path/to/train.py:build)"


class _UsageError(Exception):
    pass


def _load(target: str) -> Any:
    mod_name, sep, func_name = target.rpartition(":")
    if not sep or not mod_name or not func_name:
        raise _UsageError(f"bad target {target!r}: {USAGE}")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        if mod_name.endswith(".py") or os.sep in mod_name or "/" in mod_name:
            path = Path(mod_name).resolve()
            if not path.is_file():
                raise _UsageError(f"cannot import {mod_name!r}: no such file")
            if str(path.parent) not in sys.path:
                sys.path.insert(0, str(path.parent))
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                raise _UsageError(f"cannot import {mod_name!r}")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(path.stem, module)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except _UsageError:
        raise
    except ModuleNotFoundError as e:
        raise _UsageError(f"cannot import {mod_name!r}: {e}") from e
    except KeyboardInterrupt:
        raise
    except SystemExit as e:
        raise _UsageError(f"importing {mod_name!r} exited ({_exit_call(e)})") from e
    except BaseException as e:  # the user's module failed while importing
        raise _UsageError(f"importing {mod_name!r} raised {_one_line(e)}") from e
    func = getattr(module, func_name, None)
    if func is None:
        raise _UsageError(f"module {mod_name!r} has no attribute {func_name!r}")
    if not callable(func):
        raise _UsageError(f"{target!r} is not callable")
    return func


def _one_line(e: BaseException) -> str:
    where = traceback.extract_tb(e.__traceback__)
    loc = f" at {Path(where[-1].filename).name}:{where[-1].lineno}" if where else ""
    return f"{type(e).__name__}: {e}{loc}"


def _exit_call(e: SystemExit) -> str:
    where = traceback.extract_tb(e.__traceback__)
    loc = f" at {Path(where[-1].filename).name}:{where[-1].lineno}" if len(where) > 1 else ""
    return f"sys.exit({e.code!r}){loc}"


def _split(result: Any) -> tuple[Any, Any]:
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result[0], result[1]
    raise _UsageError(
        f"the factory returned {type(result).__name__}; expected (model, optimizer) "
        "or (model, [optimizers])"
    )


def run_audit(
    target: str,
    *,
    output_format: str = "text",
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extra_keys: Iterable[str] = (),
    no_decay: bool = True,
    fail_on: str = "warning",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        if output_format not in ("text", "json"):
            raise _UsageError(f"unknown output format {output_format!r} for audit: text, json")
        if fail_on not in FAIL_LEVELS:
            raise _UsageError(f"fail-on must be error, warning, info or never, got {fail_on!r}")
        try:
            args.options(select=select, ignore=ignore, extra_keys=extra_keys, no_decay=no_decay)
        except (TypeError, ValueError) as e:
            raise _UsageError(str(e)) from e
        func = _load(target)
        try:
            from pglint.runtime.audit import audit
        except ImportError as e:
            raise _UsageError(f"pglint audit needs torch: {e}") from e
        try:
            result = func()
        except KeyboardInterrupt:
            raise
        except SystemExit as e:  # sys.exit(0) in a factory is not a clean audit
            raise _UsageError(f"the factory {target} exited ({_exit_call(e)})") from e
        except BaseException as e:
            raise _UsageError(f"{target} raised {_one_line(e)}") from e
        model, optimizers = _split(result)
        try:
            report = audit(model, optimizers, select=select, ignore=ignore,
                           extra_keys=tuple(extra_keys), no_decay=no_decay)
        except (TypeError, ValueError) as e:  # not a module / not an optimizer
            raise _UsageError(f"{target} returned something pglint cannot audit: {e}") from e
    except _UsageError as e:
        print(f"pglint audit: error: {e}", file=stderr)
        return 2
    if output_format == "json":
        print(json.dumps(report.to_dict(), indent=2), file=stdout)
    else:
        print(report, file=stdout)
    return 1 if report.failures(fail_on) else 0
