"""Export an approved campaign: progress, cancel (kills the writer), refusals, then the files."""

from __future__ import annotations

import threading
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, ProgressBar, Static
from textual.worker import Worker

from queries.campaigns.model import Campaign
from queries.campaigns.parse import load_campaign
from queries.campaigns.presets import attributes_note
from queries.core.errors import KizunaError, QueryCancelled
from queries.handoff.approval import check_unchanged
from queries.handoff.approval_record import Approval, load_approval
from queries.handoff.checks import PreviousExport, previous_export, send_time_passed
from queries.handoff.export.run import ExportResult, export_campaign
from queries.handoff.refusals import (
    ChangedSinceApproval,
    DriftExceeded,
    ExportError,
    NotApproved,
    ReplaceNeeded,
    SendTimePassed,
)
from tui.keymap import bind
from tui.widgets.header import SnapshotHeader
from tui.widgets.tick import TickBox

BAD = "bold $text-error"
LOUD = "bold reverse $text-error"
GOOD = "bold $text-success"
TITLES: dict[type[KizunaError], str] = {
    NotApproved: "Not approved",
    ChangedSinceApproval: "Changed since the approval",
    DriftExceeded: "The count drifted",
    SendTimePassed: "The send time has passed",
    ReplaceNeeded: "Exported before",
}


class ApprovalChecked(Message):
    """The campaign loaded; its approval on record (or None) and what changed since."""

    def __init__(
        self,
        campaign: Campaign,
        record: Approval | None,
        changes: list[str],
        notes: list[str] | None = None,
        previous: PreviousExport | None = None,
    ) -> None:
        super().__init__()
        self.campaign = campaign
        self.record = record
        self.changes = changes
        self.notes = notes or []  # send time past, attributes-only file
        self.previous = previous  # the export a new one replaces


class ExportProgressed(Message):
    """The export wrote `done` of `total` rows."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ExportWaiting(Message):
    """Another export in the workspace holds the lock; `text` says whose."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ExportFinished(Message):
    """The export finished (`result`), was refused or failed (`error`), or was cancelled."""

    def __init__(
        self, result: ExportResult | None, error: KizunaError | None, cancelled: bool = False
    ) -> None:
        super().__init__()
        self.result = result
        self.error = error
        self.cancelled = cancelled


def approval_content(record: Approval | None, changes: list[str]) -> Content:
    """The approval status: who and when, or why the export will be refused."""
    if record is None:
        return Content.assemble(("✗ Not approved", BAD), " — approve it first (A on the review)")
    who = f"by {record.approved_by} at {record.approved_at}"
    if changes:
        return Content.assemble(
            ("✗ Changed since approved ", BAD), who, ":\n  " + "\n  ".join(changes)
        )
    count = f" for {record.recipients:,} recipients"
    return Content.assemble(("✓ Approved ", GOOD), who + count)


def error_content(error: KizunaError) -> Content:
    """A refusal or failure as a clear message (changed files listed, drift explained)."""
    default = "Export refused" if isinstance(error, ExportError) else "Failed"
    title = TITLES.get(type(error), default)
    lines = [Content.assemble((f"✗ {title}: ", BAD), str(error))]
    if isinstance(error, ExportError):
        for change in error.audit.get("changes", []):
            lines.append(Content.styled(f"  • {change}", "$text-warning"))
    if isinstance(error, (DriftExceeded, SendTimePassed)):
        lines.append(Content.styled("  tick “force” (f) to export anyway (recorded)", "dim"))
    return Content("\n").join(lines)


def result_content(res: ExportResult) -> Content:
    """The finished export: folder, files with rows and bytes, loud warnings."""
    m = res.manifest
    lines = [
        Content.assemble(
            ("✓ Exported ", GOOD), f"{res.recipients:,} recipients (+{res.holdout:,} holdout)"
        ),
        Content.assemble(("folder: ", "dim"), str(res.folder)),
        Content.styled(f"  {'file':<24} {'rows':>10} {'bytes':>12}", "bold"),
    ]
    for f in res.files:
        rows = "" if f.get("rows") is None else f"{f['rows']:,}"
        lines.append(Content(f"  {f['name']:<24} {rows:>10} {f['bytes']:>12,}"))
    if m.get("policies_off"):
        off = ", ".join(m["policies_off"])
        lines.append(Content.assemble(("✗ ", LOUD), (f"policies switched OFF: {off}", BAD)))
    if m.get("send_at_passed"):
        lines.append(Content.assemble(("✗ ", LOUD), ("forced past a send_at already past", BAD)))
    prev = m.get("replaces")
    if prev:
        lines.append(
            Content.styled(
                f"replaces the export of {prev['when']} ({prev['recipients']:,} recipients): "
                "upload only this one",
                "$text-warning",
            )
        )
    if m.get("messages_note"):
        lines.append(Content.styled(f"note: {m['messages_note']}", "$text-warning"))
    d = m.get("drift") or {}
    if m.get("forced") and d.get("percent", 0) > d.get("limit", 0):
        moved = f"{d.get('approved', 0):,} approved → {d.get('now', 0):,} ({d.get('percent')}%)"
        lines.append(Content.assemble(("✗ ", LOUD), (f"forced past drift_limit: {moved}", BAD)))
    return Content("\n").join(lines)


class ExportScreen(Screen[ExportResult | None]):
    """Runs the engine's export with progress; esc or Cancel kills it; shows the files."""

    DEFAULT_CSS = """
    ExportScreen #export-title { height: 1; padding: 0 1; }
    ExportScreen #export-approval { height: auto; padding: 0 1; }
    ExportScreen #export-form { height: auto; padding: 0 1; }
    ExportScreen #export-bar { padding: 0 1; }
    ExportScreen #export-status { height: auto; padding: 0 1; }
    ExportScreen #export-scroll { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        bind("e", "export", "Export", id="export.start"),
        bind("f", "toggle_force", "Force", id="export.force", show=False),
        bind("escape", "cancel", "Cancel / back", id="export.cancel"),
    ]

    batch_size = 50_000  # rows per batch the writer reports progress after
    pause = 0.0  # seconds between batches (tests slow the writer to cancel it)

    def __init__(self, campaign_path: Path) -> None:
        super().__init__()
        self.campaign_path = Path(campaign_path)
        self.campaign: Campaign | None = None
        self.cancel_event = threading.Event()
        self.worker: Worker[None] | None = None
        self.result: ExportResult | None = None
        self.previous: PreviousExport | None = None
        self.replace_confirmed = False

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static(
            Content.assemble(("Export  ", "bold"), self.campaign_path.name), id="export-title"
        )
        yield Static(Content.styled("checking the approval…", "italic"), id="export-approval")
        with Horizontal(id="export-form"):
            yield TickBox("force past drift_limit / a past send_at (recorded)", id="export-force")
            yield Button("Export", id="export-go", variant="primary", disabled=True)
            yield Button("Cancel", id="export-cancel", variant="error", disabled=True)
        yield ProgressBar(id="export-bar", show_eta=True)
        yield Static("", id="export-status")
        with VerticalScroll(id="export-scroll"):
            yield Static("", id="export-result")
        yield Footer(compact=True)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def on_mount(self) -> None:
        self.app.sub_title = f"Export {self.campaign_path.stem}"
        self.query_one(ProgressBar).display = False
        self.check()

    def on_unmount(self) -> None:
        self.cancel_event.set()  # leaving the screen (or quitting) kills a running export

    def check(self) -> None:
        """Load the campaign and read its approval status in a thread worker."""
        session, path = self.app.session, self.campaign_path

        def work() -> None:
            try:
                c = load_campaign(path, session.catalog, session.ws.root, session.store)
                rec = load_approval(session.ws, c.stem)
                changes: list[str] = []
                if rec is not None:
                    try:
                        check_unchanged(session, c, rec)
                    except ChangedSinceApproval as exc:
                        changes = list(exc.audit.get("changes", []))
                notes = [n for n in (send_time_passed(c), attributes_note(c)) if n]
                prev = previous_export(session.ws, c.stem)
            except KizunaError as exc:
                self.post_message(ExportFinished(None, exc))
                return
            self.post_message(ApprovalChecked(c, rec, changes, notes, prev))

        self.run_worker(work, thread=True, group="export-check", exit_on_error=False)

    def _status(self, content: Content | str) -> None:
        self.query_one("#export-status", Static).update(content)

    @on(ApprovalChecked)
    def _checked(self, event: ApprovalChecked) -> None:
        self.campaign = event.campaign
        self.previous = event.previous
        status = approval_content(event.record, event.changes)
        extra = [Content.styled(f"⚠ {n}", "$text-warning") for n in event.notes]
        if event.previous is not None:
            extra.append(
                Content.styled(
                    f"⚠ exported before: {event.previous.describe()}; exporting again replaces it",
                    "$text-warning",
                )
            )
        self.query_one("#export-approval", Static).update(Content("\n").join([status, *extra]))
        self.query_one("#export-go", Button).disabled = False
        self.query_one("#export-go", Button).focus()
        self._status(Content.styled("e exports · esc goes back", "dim"))

    @on(Button.Pressed, "#export-go")
    def _go(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _stop(self) -> None:
        self.action_cancel()

    def action_toggle_force(self) -> None:
        box = self.query_one("#export-force", Checkbox)
        box.value = not box.value

    def action_export(self) -> None:
        """Run the engine's export in a thread worker (the writing is a child process)."""
        if self.running:
            return
        if self.campaign is None:
            self.notify("The campaign is still loading.", severity="warning")
            return
        if self.previous is not None and not self.replace_confirmed:
            self.replace_confirmed = True  # the next press goes ahead
            self._status(
                Content.assemble(
                    ("Replace? ", BAD),
                    f"this replaces {self.previous.describe()}; press e again to export and "
                    "replace it, esc to go back",
                )
            )
            return
        replace = self.previous is not None
        session, c = self.app.session, self.campaign
        force = self.query_one("#export-force", Checkbox).value
        cancel = self.cancel_event = threading.Event()
        batch, pause = self.batch_size, self.pause

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgressed(done, total))

        def waiting(text: str) -> None:
            self.post_message(ExportWaiting(text))

        def work() -> None:
            try:
                res = export_campaign(
                    session,
                    c,
                    force=force,
                    progress=progress,
                    waiting=waiting,
                    cancel=cancel,
                    batch_size=batch,
                    pause=pause,
                    replace=replace,
                )
            except QueryCancelled as exc:
                self.post_message(ExportFinished(None, exc, cancelled=True))
            except KizunaError as exc:
                self.post_message(ExportFinished(None, exc))
            except Exception as exc:  # an engine bug must not take the app down
                self.post_message(ExportFinished(None, KizunaError(f"unexpected error: {exc!r}")))
            else:
                self.post_message(ExportFinished(res, None))

        self.query_one("#export-result", Static).update("")
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#export-go", Button).disabled = True
        self.query_one("#export-cancel", Button).disabled = False
        self._status(Content.styled("exporting… esc cancels", "italic"))
        self.worker = self.run_worker(work, thread=True, group="export", exit_on_error=False)

    @on(ExportProgressed)
    def _progressed(self, event: ExportProgressed) -> None:
        self.query_one(ProgressBar).update(total=max(event.total, 1), progress=event.done)
        done = f"exporting… {event.done:,} of {event.total:,} rows · esc cancels"
        self._status(Content.styled(done, "italic"))

    @on(ExportWaiting)
    def _waiting(self, event: ExportWaiting) -> None:
        self._status(Content.styled(f"{event.text} · esc cancels", "italic"))

    @on(ExportFinished)
    def _finished(self, event: ExportFinished) -> None:
        self.query_one("#export-go", Button).disabled = self.campaign is None
        self.query_one("#export-cancel", Button).disabled = True
        self.query_one(ProgressBar).display = event.result is not None
        out = self.query_one("#export-result", Static)
        if event.cancelled:
            self._status(Content.assemble(("✗ Export cancelled: ", BAD), "nothing was written"))
        elif event.error is not None:
            self._status(Content.styled("esc goes back", "dim"))
            out.update(error_content(event.error))
        else:
            assert event.result is not None
            self.result = event.result
            m = event.result.manifest
            self.previous = PreviousExport(m["export_id"], event.result.recipients, m["created_at"])
            self.replace_confirmed = False
            self._status(Content.styled("esc goes back", "dim"))
            out.update(result_content(event.result))
            self.notify(f"Exported to {event.result.folder}", timeout=8)

    def action_cancel(self) -> None:
        """Cancel a running export (its writer process is killed); else go back."""
        if self.running:
            self.cancel_event.set()
            self._status(Content.styled("cancelling…", "italic"))
            return
        self.dismiss(self.result)
