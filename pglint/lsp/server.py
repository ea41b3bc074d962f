"""The LSP side of ``pglint server`` (pygls): diagnostics, code actions, hover.

Every document is checked by ``analysis.analyse`` on open, on save and 0.3 s after the
last change (on the unsaved text), on a worker thread (the server keeps answering); a
result for a text that has changed since is not published (the newer text's check is
already scheduled).  Each open document keeps its incremental state (``incremental.py``:
only what an edit changes is re-analysed) and its latest analysis, for code actions and
hover; both are dropped when the document closes.  A document whose
check fails (a syntax error while typing) has its diagnostics cleared; an internal error
is logged to the client and the server goes on.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from pglint import __version__, codes, docs
from pglint.lsp.analysis import (
    SOURCE_SUFFIXES,
    Analysis,
    Projects,
    analyse,
    analyse_notebook,
    fix_all,
    noqa_edit,
)
from pglint.lsp.incremental import Incremental

DEBOUNCE_S = 0.3
FIX_ALL_KIND = "source.fixAll.pglint"
FIX_ALL_TITLE = "Fix all safe pglint findings"
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "info": lsp.DiagnosticSeverity.Information}
_CONFIG_FILES = ("pyproject.toml", ".git")


class PglintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "pglint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            notebook_document_sync=lsp.NotebookDocumentSyncOptions(notebook_selector=[
                lsp.NotebookDocumentFilterWithCells(
                    notebook="*", cells=[lsp.NotebookCellLanguage(language="python")])]))
        self.projects = Projects()
        self.analyses: dict[str, Analysis] = {}  # uri -> latest analysis (open documents only)
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tracked: set[str] = set()  # the open documents pglint checks
        # open notebooks: uri -> (cell texts checked, {cell uri: Analysis},
        # {cell number: cell uri}); and the cell uris last given diagnostics
        self.notebooks: dict[str, tuple] = {}
        self.published_cells: dict[str, set] = {}
        self.reported: dict[str, str] = {}  # uri -> the check error last logged for it
        self.debounce = DEBOUNCE_S
        self.incremental: dict[str, Incremental] = {}  # uri -> its state (open documents)
        # one check at a time (the worker's, or code actions' on the main thread): the
        # static pass keeps per-check state (project.DEPENDS)
        self.check_lock = threading.Lock()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pglint-check")

    # -- analysis ---------------------------------------------------------------------
    def path_of(self, uri: str) -> Path | None:
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        return Path(fs) if fs else None

    def has_document(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents  # pygls keys them unquoted

    def is_tracked(self, uri: str) -> bool:
        return uri in self.tracked or self.notebook_of(uri) is not None

    def notebook_of(self, cell_uri: str):
        nb = self.workspace.get_notebook_document(cell_uri=cell_uri)
        return nb if nb is not None and nb.uri in self.notebooks else None

    def current(self, uri: str) -> Analysis:
        """The analysis of the document's present text (recomputed when it is stale)."""
        nb = self.notebook_of(uri)
        if nb is not None:
            return self.notebook_analyses(nb.uri)[uri]
        text = self.workspace.get_text_document(uri).source
        a = self.analyses.get(uri)
        if a is None or a.text != text:
            a = self.analyses[uri] = self.analyse(uri, text)
        return a

    def analyse(self, uri: str, text: str, inc: Incremental | None = None) -> Analysis:
        """Check ``text`` as document ``uri`` (any thread)."""
        with self.check_lock:
            return analyse(text, self.path_of(uri), self.projects,
                           inc or self.incremental.get(uri))

    def notebook_analyses(self, nb_uri: str) -> dict[str, Analysis]:
        """Cell uri -> Analysis for an open notebook's code cells, checked as one program."""
        nb = self.workspace.get_notebook_document(notebook_uri=nb_uri)
        cells = {i: cell.document for i, cell in enumerate(nb.cells, 1)
                 if cell.kind == lsp.NotebookCellKind.Code
                 and self.has_document(cell.document)}
        sources = {i: self.workspace.get_text_document(u).source for i, u in cells.items()}
        key = tuple(sorted(sources.items()))
        cached = self.notebooks.get(nb_uri)
        if cached is None or cached[0] != key:
            with self.check_lock:
                by_cell = analyse_notebook(sources, self.path_of(nb_uri), self.projects)
            cached = self.notebooks[nb_uri] = (key, {cells[i]: a for i, a in by_cell.items()},
                                               cells)
        return cached[1]

    def workspace_edit(self, uri: str, a: Analysis, edits) -> lsp.WorkspaceEdit:
        """Edits of a finding in ``uri`` (analysis ``a``); a notebook fix may edit another
        cell (``Edit.cell``): those go to that cell's document."""
        changes: dict = {}
        nb = self.notebook_of(uri)
        for e in edits:
            target, ta = uri, a
            if nb is not None and getattr(e, "cell", None) is not None:
                by_uri, cells = self.notebooks[nb.uri][1], self.notebooks[nb.uri][2]
                target = cells[e.cell]
                ta = by_uri[target]
            changes.setdefault(target, []).append(self.text_edit(ta, e.start, e.end, e.text))
        return lsp.WorkspaceEdit(changes=changes)

    def diagnose_notebook(self, nb_uri: str) -> None:
        self.timers.pop(nb_uri, None)
        if nb_uri not in self.notebooks:
            return
        try:
            by_cell = self.notebook_analyses(nb_uri)
            errors = [a for a in by_cell.values() if a.error]
            self.report(nb_uri, errors[0] if errors else None)
            publish = {u: [self.diagnostic(u, a, f) for f in a.findings]
                       for u, a in by_cell.items()}
        except Exception:
            self.notebooks[nb_uri] = ((), {}, {})
            self.log(f"pglint: internal error while checking {nb_uri}:\n"
                     f"{traceback.format_exc()}", lsp.MessageType.Error)
            publish = {}
        gone = self.published_cells.get(nb_uri, set()) - set(publish)
        for u in sorted(gone):
            publish[u] = []
        self.published_cells[nb_uri] = {u for u in publish if u not in gone}
        for u, diagnostics in publish.items():
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=u, diagnostics=diagnostics))

    def diagnose(self, uri: str) -> None:
        if uri in self.notebooks:
            self.diagnose_notebook(uri)
            return
        self.timers.pop(uri, None)
        if uri not in self.tracked or not self.has_document(uri):
            return
        doc = self.workspace.get_text_document(uri)
        text, version = doc.source, doc.version
        a = self.analyses.get(uri)
        if a is not None and a.text == text:
            self.publish(uri, version, a)
            return
        inc = self.incremental.get(uri)
        job = asyncio.get_running_loop().run_in_executor(self.worker, self.analyse, uri, text,
                                                         inc)
        job.add_done_callback(lambda done: self.checked(uri, text, version, done))

    def checked(self, uri: str, text: str, version, done: asyncio.Future) -> None:
        """A worker's check is in (on the main thread): publish it unless the document
        closed or changed meanwhile."""
        if uri not in self.tracked or not self.has_document(uri):
            return
        try:
            a = done.result()
        except Exception as e:  # one document's failure never stops the server
            self.analyses.pop(uri, None)
            tb = "".join(traceback.format_exception(e))
            self.log(f"pglint: internal error while checking {uri}:\n{tb}", lsp.MessageType.Error)
            a = None
        doc = self.workspace.get_text_document(uri)
        if doc.source != text:
            return  # stale: the newer text's check is scheduled
        if a is not None:
            self.analyses[uri] = a
        self.publish(uri, version, a)

    def publish(self, uri: str, version, a: Analysis | None) -> None:
        diagnostics = []
        if a is not None:
            try:
                self.report(uri, a)
                diagnostics = [self.diagnostic(uri, a, f) for f in a.findings]
            except Exception:
                self.analyses.pop(uri, None)
                self.log(f"pglint: internal error while checking {uri}:\n"
                         f"{traceback.format_exc()}", lsp.MessageType.Error)
                diagnostics = []
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=version))

    def cancel_pending(self, uri: str) -> None:
        """Drop the debounced check waiting for ``uri``, if any."""
        old = self.timers.pop(uri, None)
        if old is not None:
            old.cancel()

    def schedule(self, uri: str) -> None:
        self.cancel_pending(uri)
        self.timers[uri] = asyncio.get_running_loop().call_later(self.debounce, self.diagnose, uri)

    def diagnose_now(self, uri: str) -> None:
        self.cancel_pending(uri)
        self.diagnose(uri)

    def diagnose_all(self) -> None:
        with self.check_lock:  # project files or settings changed: nothing is reused
            for inc in self.incremental.values():
                inc.clear()
        for uri in list(self.tracked):
            self.analyses.pop(uri, None)
            self.diagnose_now(uri)
        for uri in list(self.notebooks):
            self.notebooks[uri] = ((), {}, {})
            self.diagnose_now(uri)

    def report(self, uri: str, a: Analysis | None) -> None:
        """Log why a document could not be checked, once per distinct reason; a syntax
        error is left to the editor's Python support."""
        error = a.error if a is not None and a.error_kind != "syntax" else None
        if error is None:
            self.reported.pop(uri, None)
            return
        if self.reported.get(uri) != error:
            self.reported[uri] = error
            self.log(f"pglint: {self.path_of(uri) or uri}: {error}",
                     lsp.MessageType.Error if a.error_kind == "internal"
                     else lsp.MessageType.Warning)

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    # -- conversions --------------------------------------------------------------------
    def position(self, a: Analysis, line: int, column: int) -> lsp.Position:
        """0-based line and code-point column -> the client's position encoding."""
        units = self.workspace.position_codec.client_num_units(a.index.line(line)[:column])
        return lsp.Position(line=line, character=units)

    def at_offset(self, a: Analysis, offset: int) -> lsp.Position:
        return self.position(a, *a.index.position(offset))

    def diagnostic(self, uri: str, a: Analysis, f) -> lsp.Diagnostic:
        rng = lsp.Range(start=self.position(a, f.line - 1, f.column - 1),
                        end=self.position(a, f.end_line - 1, f.end_column - 1))
        message, related = f.message, None
        if f.help:
            if self._related_information():
                related = [lsp.DiagnosticRelatedInformation(
                    location=lsp.Location(uri=uri, range=rng), message=f"help: {f.help}")]
            else:
                message = f"{message}\nhelp: {f.help}"
        return lsp.Diagnostic(
            range=rng, message=message, severity=_SEVERITY.get(f.severity), code=f.code,
            code_description=lsp.CodeDescription(href=docs.url(f.code)), source="pglint",
            related_information=related)

    def _related_information(self) -> bool:
        td = self.client_capabilities.text_document
        pd = td.publish_diagnostics if td is not None else None
        return bool(pd and pd.related_information)

    def text_edit(self, a: Analysis, start: int, end: int, text: str) -> lsp.TextEdit:
        return lsp.TextEdit(range=lsp.Range(start=self.at_offset(a, start),
                                            end=self.at_offset(a, end)), new_text=text)

    def fix_all_edit(self, uri: str) -> lsp.WorkspaceEdit | None:
        a = self.current(uri)
        new = fix_all(a, self.path_of(uri), self.projects)
        if new is None:
            return None
        old = a.text
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while (tail < min(len(old), len(new)) - head
               and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]):
            tail += 1
        edit = self.text_edit(a, head, len(old) - tail, new[head:len(new) - tail])
        return lsp.WorkspaceEdit(changes={uri: [edit]})


server = PglintServer()


def _contains(rng: lsp.Range, pos: lsp.Position) -> bool:
    return ((rng.start.line, rng.start.character) <= (pos.line, pos.character)
            <= (rng.end.line, rng.end.character))


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return ((a.start.line, a.start.character) <= (b.end.line, b.end.character)
            and (b.start.line, b.start.character) <= (a.end.line, a.end.character))


# -- lifecycle and document sync ---------------------------------------------------------
@server.feature(lsp.INITIALIZED)
def initialized(ls: PglintServer, params: lsp.InitializedParams) -> None:
    root = ls.workspace.root_path
    if root:
        ls.projects.fallback_root = Path(root)
    ws = ls.client_capabilities.workspace
    watched = ws.did_change_watched_files if ws is not None else None
    if watched is not None and watched.dynamic_registration:
        ls.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
            id="pglint-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[
                lsp.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
                lsp.FileSystemWatcher(glob_pattern="**/*.py")]))]))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PglintServer, params: lsp.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    path = ls.path_of(doc.uri)
    if doc.language_id.startswith("python") or (path is not None and path.suffix in (".py", ".pyi")):
        ls.tracked.add(doc.uri)
        ls.incremental[doc.uri] = Incremental()
        ls.diagnose_now(doc.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PglintServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in ls.tracked:
        ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PglintServer, params: lsp.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = ls.path_of(uri)
    if path is not None and path.name == "pyproject.toml":
        ls.projects.config_changed()
        ls.diagnose_all()
    elif path is not None and path.suffix in SOURCE_SUFFIXES:
        # its group-key reads count for the whole project (PG004)
        if ls.projects.file_changed(path):
            ls.diagnose_all()
        elif uri in ls.tracked:
            ls.diagnose_now(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PglintServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.cancel_pending(uri)
    ls.analyses.pop(uri, None)
    ls.incremental.pop(uri, None)
    ls.reported.pop(uri, None)
    if uri in ls.tracked:
        ls.tracked.discard(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: PglintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    config_changed = reads_changed = False
    for change in params.changes:
        path = ls.path_of(change.uri)
        if path is None:
            continue
        if path.name in _CONFIG_FILES:
            config_changed = True
        elif path.suffix in SOURCE_SUFFIXES:
            reads_changed = ls.projects.file_changed(path) or reads_changed
    if config_changed:
        ls.projects.config_changed()
    if config_changed or reads_changed:
        ls.diagnose_all()


# -- notebooks (LSP 3.17): the code cells checked as one program, as `pglint check` does --
@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: PglintServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.notebooks[uri] = ((), {}, {})
    ls.diagnose_now(uri)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_did_change(ls: PglintServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
    if params.notebook_document.uri in ls.notebooks:
        ls.schedule(params.notebook_document.uri)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_did_save(ls: PglintServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    path = ls.path_of(uri)
    if path is not None and ls.projects.file_changed(path):
        ls.diagnose_all()
    elif uri in ls.notebooks:
        ls.diagnose_now(uri)


@server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_did_close(ls: PglintServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.cancel_pending(uri)
    ls.notebooks.pop(uri, None)
    ls.reported.pop(uri, None)
    for cell in sorted(ls.published_cells.pop(uri, set())):
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=cell,
                                                                          diagnostics=[]))


# -- code actions and hover --------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True))
def code_action(ls: PglintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    if not ls.is_tracked(uri):
        return []
    a = ls.current(uri)
    only = params.context.only

    def wanted(kind: str) -> bool:
        return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)

    out: list[lsp.CodeAction] = []
    if wanted(lsp.CodeActionKind.QuickFix):
        for f in a.findings:
            d = ls.diagnostic(uri, a, f)
            if not _overlaps(d.range, params.range):
                continue
            if f.fix is not None:
                out.append(lsp.CodeAction(
                    title=f"{f.code}: {f.fix.title}" + ("" if f.fix.safe else " (unsafe)"),
                    kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
                    is_preferred=f.fix.safe, edit=ls.workspace_edit(uri, a, f.fix.edits)))
            e = noqa_edit(a, f)
            if e is not None:
                out.append(lsp.CodeAction(
                    title=f"Disable {f.code} for this line", kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[d], edit=lsp.WorkspaceEdit(
                        changes={uri: [ls.text_edit(a, e.start, e.end, e.text)]})))
    in_notebook = ls.notebook_of(uri) is not None  # fix-all rechecks a file, not a cell
    if (wanted(FIX_ALL_KIND) and not in_notebook
            and any(f.fix is not None and f.fix.safe for f in a.findings)):
        action = lsp.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, data={"uri": uri})
        if not _resolves_edits(ls):  # the client cannot ask later: compute it now
            action.edit = ls.fix_all_edit(uri)
            if action.edit is None:
                return out
        out.append(action)
    return out


def _resolves_edits(ls: PglintServer) -> bool:
    td = ls.client_capabilities.text_document
    ca = td.code_action if td is not None else None
    support = ca.resolve_support if ca is not None else None
    return bool(support and "edit" in support.properties)


@server.feature(lsp.CODE_ACTION_RESOLVE)
def code_action_resolve(ls: PglintServer, action: lsp.CodeAction) -> lsp.CodeAction:
    uri = (action.data or {}).get("uri") if isinstance(action.data, dict) else None
    if action.kind == FIX_ALL_KIND and uri in ls.tracked:
        action.edit = ls.fix_all_edit(uri) or lsp.WorkspaceEdit(changes={uri: []})
    return action


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: PglintServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    if not ls.is_tracked(uri):
        return None
    a = ls.current(uri)
    hits = [d for d in (ls.diagnostic(uri, a, f) for f in a.findings)
            if _contains(d.range, params.position)]
    if not hits:
        return None
    seen: list[str] = []
    for d in hits:
        if d.code not in seen:
            seen.append(d.code)
    return lsp.Hover(contents=lsp.MarkupContent(
        kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(rule_markdown(c) for c in seen)),
        range=hits[0].range)


def rule_markdown(code: str) -> str:
    """A rule's "What it does" and "Why is this bad?" sections, for hover."""
    sec = docs.sections(code)
    return (f"**{code}** `{codes.get(code).name}`\n\n"
            f"**What it does**\n\n{sec.get('What it does', '')}\n\n"
            f"**Why is this bad?**\n\n{sec.get('Why is this bad?', '')}\n\n"
            f"[{code} docs]({docs.url(code)})")


def serve() -> None:
    server.start_io()
