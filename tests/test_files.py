"""Path resolution inside a run (files.resolving_once) agrees with Path.resolve()."""

from __future__ import annotations

import os
from pathlib import Path

from pglint import files


def _layout(tmp_path: Path) -> list[Path]:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.py").write_text("x = 1\n")
    (tmp_path / "linkdir").symlink_to(real)
    (real / "b.py").symlink_to(real / "sub" / "a.py")
    (real / "c.py").write_text("")
    (tmp_path / "deeplink").symlink_to(real / "sub")  # its ".." is real, not tmp_path
    return [
        real / "sub" / "a.py", real / "b.py", tmp_path / "linkdir" / "sub" / "a.py",
        tmp_path / "linkdir" / "sub" / ".." / "b.py", real / "sub" / ".." / "b.py",
        tmp_path / "deeplink" / ".." / "c.py", tmp_path / "missing" / "c.py", tmp_path / "linkdir", Path("relative.py"),
    ]


def test_resolving_once_gives_what_resolve_gives(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = _layout(tmp_path)
    want = [p.resolve() for p in paths]
    with files.resolving_once():
        assert [files.safe_resolve(p) for p in paths] == want
        assert [files.safe_resolve(p) for p in paths] == want  # from the cache


def test_outside_a_run_nothing_is_remembered(tmp_path):
    f = tmp_path / "d" / "x.py"
    f.parent.mkdir()
    f.write_text("")
    assert files.safe_resolve(f) == f.resolve()
    os.rename(tmp_path / "d", tmp_path / "e")
    (tmp_path / "d").symlink_to(tmp_path / "e")
    assert files.safe_resolve(f) == tmp_path / "e" / "x.py"


def test_relative_posix_is_relative_to(tmp_path):
    """The string fast path gives what ``Path.relative_to`` gives, and None where it
    raises."""
    reals = [p.resolve() for p in _layout(tmp_path)]
    bases = [tmp_path.resolve(), (tmp_path / "real").resolve(),
             (tmp_path / "real" / "sub").resolve(), Path("/"), (tmp_path / "re").resolve(),
             Path("/nonexistent")]
    for real in reals + bases:
        for base in bases:
            try:
                want = real.relative_to(base).as_posix()
            except ValueError:
                want = None
            assert files.relative_posix(real, base) == want, (real, base)


def test_display_names_resolve_to_their_files(tmp_path, monkeypatch):
    """A run names files relative to the working directory and remembers what each name
    resolves to: the name, resolved from scratch, is the same file."""
    from pglint.static import check

    _layout(tmp_path)
    (tmp_path / "real" / "sub" / "deeper").mkdir()
    (tmp_path / "real" / "sub" / "deeper" / "d.py").write_text("")
    monkeypatch.chdir(tmp_path / "real" / "sub")
    for arg in [".", "..", str(tmp_path / "linkdir"), "../../linkdir/sub"]:
        with files.resolving_once():
            pl = check.plan([arg])
            names = [check._display(f) for f in pl.files]
            assert names and all(files.safe_resolve(n) == f.resolve()
                                 for n, f in zip(names, pl.files))
        assert [Path(n).resolve() for n in names] == [f.resolve() for f in pl.files]
