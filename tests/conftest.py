from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pglint.cli import main


@pytest.fixture
def project(tmp_path: Path):
    """A throwaway project: write(name, source) creates files under a pyproject root."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")

    def write(name: str, source: str, raw: bytes | None = None) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            p.write_bytes(raw)
        else:
            p.write_text(textwrap.dedent(source))
        return p

    write.root = tmp_path
    return write


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run `pglint ARGS` in-process from a directory; returns (exit, stdout, stderr)."""

    def run(*args: str, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run
