"""``pglint server`` end to end: a real LSP client (pytest-lsp) drives the server as a
subprocess over stdio."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
pytest.importorskip("pygls")
pytest_asyncio = pytest.importorskip("pytest_asyncio")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from pglint import docs  # noqa: E402

TIMEOUT = 20

BAD = textwrap.dedent("""\
    import torch
    from torch import nn

    model = nn.Linear(4, 4)
    optimizer = torch.optim.AdamW(model.parameters, lr=1e-3)
""")
GOOD = BAD.replace("model.parameters,", "model.parameters(),")
# PG007 (safe fix) and PG004 (unsafe fix: rename the key)
TWO = textwrap.dedent("""\
    import torch
    from torch import nn

    model, head = nn.Linear(4, 4), nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters, lr=1e-3)
    other = torch.optim.SGD([{"params": head.parameters(), "learning_rate": 0.1}], lr=0.01)
""")

# a server whose analysis raises for one document, to show it keeps serving the others
FAULTY_SERVER = [sys.executable, "-c", textwrap.dedent("""\
    import pglint.lsp.analysis as a, pglint.lsp.server as s
    real = a.analyse
    def analyse(text, *args):
        if "BOOM" in text:
            raise RuntimeError("boom")
        return real(text, *args)
    s.analyse = analyse
    s.serve()
""")]


async def start(command: list[str], client_name: str = "visual-studio-code") -> LanguageClient:
    client = await ClientServerConfig(server_command=command).start()
    await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities(client_name), root_uri=None))
    return client


@pytest.fixture
def project(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


class Session:
    """A client plus the helpers every test needs: open, edit, wait for diagnostics."""

    def __init__(self, client: LanguageClient):
        self.client = client
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        # every publishDiagnostics, by uri, recorded as it arrives: waiting with
        # wait_for_notification in a loop misses one that comes right after another
        self.published: dict[str, list] = {}
        protocol = client.protocol
        handle = protocol._handle_notification

        def record(method, params):
            if method == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                self.published.setdefault(params.uri, []).append(list(params.diagnostics))
            handle(method, params)
        protocol._handle_notification = record

    async def diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        """The next diagnostics published for ``uri``."""
        seen = len(self.published.get(uri, ()))

        async def wait():
            while len(self.published.get(uri, ())) == seen:
                await asyncio.sleep(0.01)
            return self.published[uri][seen]
        return await asyncio.wait_for(wait(), TIMEOUT)

    async def open(self, path: Path, text: str) -> list[lsp.Diagnostic]:
        path.write_text(text)
        uri = path.as_uri()
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1,
                                               text=text)))
        return await self.diagnostics(uri)

    def change(self, uri: str, text: str) -> None:
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri,
                                                              version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    async def edit(self, uri: str, text: str) -> list[lsp.Diagnostic]:
        self.change(uri, text)
        return await self.diagnostics(uri)

    async def apply(self, uri: str, edit: lsp.WorkspaceEdit) -> list[lsp.Diagnostic]:
        """Apply a workspace edit as an editor would; the diagnostics that follow."""
        return await self.edit(uri, apply_edits(self.texts[uri], edit.changes[uri]))

    async def actions(self, uri: str, rng: lsp.Range, only=None) -> list[lsp.CodeAction]:
        got = await asyncio.wait_for(self.client.text_document_code_action_async(
            lsp.CodeActionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng,
                                 context=lsp.CodeActionContext(diagnostics=[], only=only))),
            TIMEOUT)
        return list(got or [])

    async def close(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()


def apply_edits(text: str, edits) -> str:
    lines = text.splitlines(keepends=True) + [""]
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(p: lsp.Position) -> int:  # the test texts are ASCII: UTF-16 units == chars
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


@pytest_asyncio.fixture
async def session():
    s = Session(await start([sys.executable, "-m", "pglint", "server"]))
    yield s
    await s.close()


@pytest.mark.asyncio
async def test_open_bad_document_then_fix_by_typing(session, project):
    uri = (project / "train.py").as_uri()
    diags = await session.open(project / "train.py", BAD)
    assert [d.code for d in diags] == ["PG007"]
    d = diags[0]
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert d.source == "pglint"
    assert "'model.parameters'" in d.message
    assert (d.range.start.line, d.range.start.character) == (4, 30)
    assert (d.range.end.line, d.range.end.character) == (4, 30 + len("model.parameters"))
    assert d.code_description.href == docs.url("PG007")
    assert d.code_description.href.endswith("/docs/rules.md#pg007-parameters-not-called")
    assert d.related_information and d.related_information[0].message.startswith("help: ")
    assert await session.edit(uri, GOOD) == []


@pytest.mark.asyncio
async def test_help_goes_into_the_message_without_related_information(project):
    s = Session(await start([sys.executable, "-m", "pglint", "server"], "emacs"))
    try:
        [d] = await s.open(project / "train.py", BAD)
        assert d.related_information is None
        assert "\nhelp: " in d.message
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_quick_fixes_fix_all_and_unsafe_label(session, project):
    uri = (project / "train.py").as_uri()
    diags = await session.open(project / "train.py", TWO)
    assert sorted(d.code for d in diags) == ["PG004", "PG007"]
    by_code = {d.code: d for d in diags}

    actions = await session.actions(uri, by_code["PG004"].range)
    [unsafe] = [a for a in actions if a.title.endswith("(unsafe)")]
    assert not unsafe.is_preferred and "PG004" in unsafe.title
    assert any(a.title == "Disable PG004 for this line" for a in actions)

    actions = await session.actions(uri, by_code["PG007"].range)
    [quick] = [a for a in actions if a.is_preferred]
    assert quick.kind == lsp.CodeActionKind.QuickFix and quick.title.startswith("PG007")
    assert [d.code for d in quick.diagnostics] == ["PG007"]
    after = await session.apply(uri, quick.edit)
    assert [d.code for d in after] == ["PG004"]  # the safe fix left only the other finding
    assert "model.parameters()," in session.texts[uri]

    # fix-all only takes safe fixes: with the PG007 fixed there is nothing safe left
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=6, character=0))
    assert await session.actions(uri, whole, only=["source.fixAll"]) == []
    [pg004] = after
    [unsafe] = [a for a in await session.actions(uri, pg004.range) if a.title.endswith("(unsafe)")]
    assert await session.apply(uri, unsafe.edit) == []
    assert '"lr": 0.1' in session.texts[uri]


@pytest.mark.asyncio
async def test_fix_all_resolves_to_a_clean_document(session, project):
    uri = (project / "train.py").as_uri()
    text = BAD + "head = nn.Linear(4, 2)\nopt2 = torch.optim.SGD(head.parameters, lr=0.1)\n"
    assert [d.code for d in await session.open(project / "train.py", text)] == ["PG007", "PG007"]
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=7, character=0))
    [action] = await session.actions(uri, whole, only=["source.fixAll"])
    assert action.kind == "source.fixAll.pglint" and action.title == "Fix all safe pglint findings"
    if action.edit is None:  # the VS Code client resolves edits lazily
        action = await asyncio.wait_for(
            session.client.code_action_resolve_async(action), TIMEOUT)
    assert await session.apply(uri, action.edit) == []
    assert "model.parameters()" in session.texts[uri] and "head.parameters()" in session.texts[uri]
    # no quick fixes were asked for
    assert await session.actions(uri, whole, only=["source.fixAll"]) == []


@pytest.mark.asyncio
async def test_noqa_action_adds_and_extends(session, project):
    uri = (project / "train.py").as_uri()
    [d] = await session.open(project / "train.py", BAD)
    [noqa] = [a for a in await session.actions(uri, d.range) if a.title.startswith("Disable")]
    assert noqa.title == "Disable PG007 for this line"
    assert await session.apply(uri, noqa.edit) == []
    assert "lr=1e-3)  # noqa: PG007\n" in session.texts[uri]

    text = TWO.replace("lr=0.01)", "lr=0.01)  # noqa: PG007")
    diags = await session.edit(uri, text)
    assert sorted(d.code for d in diags) == ["PG004", "PG007"]
    pg004 = next(d for d in diags if d.code == "PG004")
    [noqa] = [a for a in await session.actions(uri, pg004.range) if a.title.startswith("Disable")]
    diags = await session.apply(uri, noqa.edit)
    assert [d.code for d in diags] == ["PG007"]
    assert "# noqa: PG007, PG004\n" in session.texts[uri]


@pytest.mark.asyncio
async def test_no_noqa_action_where_the_line_ends_inside_a_string(session, project):
    uri = (project / "train.py").as_uri()
    text = BAD.replace("lr=1e-3)", 'lr=1e-3); doc = """\nnotes\n"""')
    [d] = await session.open(project / "train.py", text)
    titles = [a.title for a in await session.actions(uri, d.range)]
    assert "Disable PG007 for this line" not in titles
    assert any(t.startswith("PG007") for t in titles)


@pytest.mark.asyncio
async def test_hover_shows_the_rule_docs(session, project):
    uri = (project / "train.py").as_uri()
    [d] = await session.open(project / "train.py", BAD)
    hover = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=4, character=35))), TIMEOUT)
    assert hover is not None and hover.range == d.range
    sections = docs.sections("PG007")
    assert sections["What it does"] in hover.contents.value
    assert sections["Why is this bad?"] in hover.contents.value
    assert "Use instead" not in hover.contents.value
    nothing = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=0, character=3))), TIMEOUT)
    assert nothing is None


@pytest.mark.asyncio
async def test_config_change_is_picked_up(session, project):
    uri = (project / "train.py").as_uri()
    assert [d.code for d in await session.open(project / "train.py", TWO)] == ["PG007", "PG004"]

    def changed(name: str) -> None:
        session.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=(project / name).as_uri(),
                                   type=lsp.FileChangeType.Changed)]))

    (project / "pyproject.toml").write_text('[tool.pglint]\nignore = ["PG007"]\n')
    changed("pyproject.toml")
    assert [d.code for d in await session.diagnostics(uri)] == ["PG004"]

    (project / "pyproject.toml").write_text('[tool.pglint]\nextra-keys = ["learning_rate"]\n')
    changed("pyproject.toml")
    assert [d.code for d in await session.diagnostics(uri)] == ["PG007"]

    (project / "pyproject.toml").write_text('[tool.pglint]\nper-file-ignores = {"train.py" = ["PG0"]}\n')
    changed("pyproject.toml")
    assert await session.diagnostics(uri) == []

    (project / "pyproject.toml").write_text('[tool.pglint]\nexclude = ["train.py"]\n')
    changed("pyproject.toml")
    assert await session.diagnostics(uri) == []

    # saving pyproject.toml in the editor counts as a change too
    (project / "pyproject.toml").write_text('[tool.pglint]\nselect = ["PG004"]\n')
    session.client.text_document_did_save(lsp.DidSaveTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=(project / "pyproject.toml").as_uri())))
    assert [d.code for d in await session.diagnostics(uri)] == ["PG004"]


@pytest.mark.asyncio
async def test_project_key_reads_refresh_when_a_file_changes(session, project):
    uri = (project / "train.py").as_uri()
    diags = await session.open(project / "train.py", TWO)
    assert "PG004" in [d.code for d in diags]
    reader = project / "sched.py"
    reader.write_text("def scale(opt):\n    for g in opt.param_groups:\n"
                      "        g['lr'] *= g['learning_rate']\n")
    session.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=reader.as_uri(), type=lsp.FileChangeType.Created)]))
    assert [d.code for d in await session.diagnostics(uri)] == ["PG007"]
    reader.unlink()
    session.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=reader.as_uri(), type=lsp.FileChangeType.Deleted)]))
    assert sorted(d.code for d in await session.diagnostics(uri)) == ["PG004", "PG007"]


@pytest.mark.asyncio
async def test_syntax_error_mid_edit_clears_and_recovers(session, project):
    uri = (project / "train.py").as_uri()
    assert [d.code for d in await session.open(project / "train.py", BAD)] == ["PG007"]
    half = BAD.replace("lr=1e-3)\n", "lr=\n")
    assert await session.edit(uri, half) == []
    assert await session.edit(uri, half + "    1e-3)\nfor x in\n") == []
    assert [d.code for d in await session.edit(uri, BAD)] == ["PG007"]
    # nothing was logged as an error: a syntax error is the editor's Python support's business
    assert not [m for m in session.client.log_messages if m.type == lsp.MessageType.Error]


@pytest.mark.asyncio
async def test_changes_are_debounced(session, project):
    uri = (project / "train.py").as_uri()
    await session.open(project / "train.py", BAD)
    for i in range(5):  # typing: only the last text is checked
        session.change(uri, BAD + f"x = {i}\n")
    session.change(uri, GOOD)
    assert await session.diagnostics(uri) == []
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(session.client.wait_for_notification(
            lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 1.0)


@pytest.mark.asyncio
async def test_close_clears_diagnostics(session, project):
    uri = (project / "train.py").as_uri()
    await session.open(project / "train.py", BAD)
    session.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert await session.diagnostics(uri) == []


@pytest.mark.asyncio
async def test_internal_error_is_logged_and_the_server_keeps_serving(project):
    s = Session(await start(FAULTY_SERVER))
    try:
        assert await s.open(project / "broken.py", BAD + "# BOOM\n") == []
        errors = [m.message for m in s.client.log_messages if m.type == lsp.MessageType.Error]
        assert any("internal error" in m and "RuntimeError: boom" in m for m in errors)
        assert [d.code for d in await s.open(project / "train.py", BAD)] == ["PG007"]
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_broken_config_is_reported_not_crashed_on(session, project):
    (project / "pyproject.toml").write_text('[tool.pglint]\nselct = ["PG"]\n')
    assert await session.open(project / "train.py", BAD) == []
    warnings = [m.message for m in session.client.log_messages]
    assert any("unknown [tool.pglint] option(s): selct" in m for m in warnings)


def test_server_without_pygls_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['pygls'] = None\n"
            "from pglint.cli import main; sys.exit(main(['server']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "pip install 'pglint[lsp]'" in r.stderr


@pytest.mark.asyncio
async def test_notebook_cells_are_one_program(session, project):
    """A generator made in one cell and used up in two others: found across cells, shown
    on the cell that holds the second use; a fix there clears it."""
    nb_uri = (project / "train.ipynb").as_uri()
    cells = ["import torch\nfrom torch import nn\nmodel = nn.Linear(4, 4)\n"
             "params = model.parameters()\n",
             "# notes",
             "%matplotlib inline\nopt = torch.optim.SGD(params, lr=0.1)\n",
             "ema = [p.detach().clone() for p in params]\n"]
    kinds = [lsp.NotebookCellKind.Code, lsp.NotebookCellKind.Markup,
             lsp.NotebookCellKind.Code, lsp.NotebookCellKind.Code]
    uris = [f"vscode-notebook-cell:{project / 'train.ipynb'}#cell{i}" for i in range(4)]
    code = [i for i, k in enumerate(kinds) if k == lsp.NotebookCellKind.Code]
    session.client.notebook_document_did_open(lsp.DidOpenNotebookDocumentParams(
        notebook_document=lsp.NotebookDocument(
            uri=nb_uri, notebook_type="jupyter-notebook", version=1,
            cells=[lsp.NotebookCell(kind=k, document=u) for k, u in zip(kinds, uris)]),
        cell_text_documents=[lsp.TextDocumentItem(uri=uris[i], language_id="python", version=1,
                                                  text=cells[i]) for i in code]))
    published = await published_for(session.client, [uris[i] for i in code])
    assert list(published[uris[0]]) == [] and list(published[uris[2]]) == []
    [d] = published[uris[3]]
    assert d.code == "PG002" and d.range.start.line == 0
    # positions in cell terms: the magic line and the markdown cell count as in the notebook
    assert "line 4 in cell 1" in d.message and "consumed at line 2 in cell 3" in d.message

    hover = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uris[3]), position=d.range.start)),
        TIMEOUT)
    assert docs.sections("PG002")["What it does"] in hover.contents.value
    [fix] = [a for a in await session.actions(uris[3], d.range) if a.is_preferred]
    fixed = apply_edits(cells[0], fix.edit.changes[uris[0]]) if uris[0] in fix.edit.changes \
        else None
    assert fixed is not None and "params = list(model.parameters())" in fixed

    session.client.diagnostics.clear()
    session.client.notebook_document_did_change(lsp.DidChangeNotebookDocumentParams(
        notebook_document=lsp.VersionedNotebookDocumentIdentifier(uri=nb_uri, version=2),
        change=lsp.NotebookDocumentChangeEvent(cells=lsp.NotebookDocumentCellChanges(
            text_content=[lsp.NotebookDocumentCellContentChanges(
                document=lsp.VersionedTextDocumentIdentifier(uri=uris[0], version=2),
                changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)])]))))
    published = await published_for(session.client, [uris[i] for i in code])
    assert all(list(published[uris[i]]) == [] for i in code)


async def published_for(client: LanguageClient, uris: list[str]) -> dict:
    """The diagnostics published for each of ``uris`` (several arrive in one burst)."""
    for _ in range(TIMEOUT * 10):
        if all(u in client.diagnostics for u in uris):
            break
        await asyncio.sleep(0.1)
    assert sorted(client.diagnostics) == sorted(uris), client.log_messages
    return dict(client.diagnostics)


def test_every_prefix_of_a_file_is_analysed_without_raising(project):
    """What a half-typed buffer goes through on each keystroke: never an exception."""
    from pglint.lsp.analysis import Projects, analyse, fix_all, noqa_edit

    projects = Projects()
    sources = [p.read_text() for p in sorted((Path(__file__).parent.parent / "fixtures").glob("PG00[1-4]/bad_*.py"))[:6]]
    checked = errors = 0
    for text in sources:
        for cut in range(0, len(text), max(1, len(text) // 25)):
            a = analyse(text[:cut], project / "train.py", projects)
            checked += 1
            errors += a.error is not None
            for f in a.findings:
                noqa_edit(a, f)
            fix_all(a, project / "train.py", projects)
    assert checked > 100 and 0 < errors < checked  # many prefixes do not parse; none raised


def test_files_under_a_virtualenv_or_excluded_get_no_findings(project):
    from pglint.lsp.analysis import Projects, analyse

    projects = Projects()
    (project / "pyproject.toml").write_text('[tool.pglint]\nexclude = ["legacy/"]\n')
    for rel in ("train.py", ".venv/lib/site.py", "legacy/old.py", "build/x.py"):
        a = analyse(BAD, project / rel, projects)
        assert [f.code for f in a.findings] == (["PG007"] if rel == "train.py" else []), rel


@pytest.mark.asyncio
async def test_positions_are_utf16_code_units(session, project):
    prefix = 's = "\U0001d11e"; optimizer = torch.optim.AdamW('  # an astral character: 2 units
    text = BAD.replace("optimizer = torch.optim.AdamW(", prefix)
    [d] = await session.open(project / "train.py", text)
    assert d.range.start.character == len(prefix) + 1
    assert d.range.end.character == len(prefix) + 1 + len("model.parameters")


@pytest.mark.asyncio
async def test_saving_a_project_file_refreshes_key_reads(session, project):
    uri = (project / "train.py").as_uri()
    assert sorted(d.code for d in await session.open(project / "train.py", TWO)) == [
        "PG004", "PG007"]
    reader = project / "sched.py"
    assert await session.open(reader, "def scale(opt):\n    pass\n") == []
    text = "def scale(opt):\n    for g in opt.param_groups:\n        g['lr'] *= g['learning_rate']\n"
    session.change(reader.as_uri(), text)
    reader.write_text(text)  # the editor writes the file, then says so
    session.client.text_document_did_save(lsp.DidSaveTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=reader.as_uri())))
    assert [d.code for d in await session.diagnostics(uri)] == ["PG007"]
