"""Export an approved campaign: progress, cancel (kills the writer), refusals, then the files."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, ProgressBar, Static

from queries.campaigns.model import Campaign
from queries.campaigns.parse import load_campaign
from queries.campaigns.presets import attributes_note
from queries.core.errors import KizunaError, QueryCancelled
from queries.core.i18n import N_, _
from queries.engines.jobs import Job
from queries.handoff.approval import check_unchanged
from queries.handoff.approval_record import Approval, load_approval
from queries.handoff.checks import PreviousExport, previous_export, send_time_passed
from queries.handoff.export import spare
from queries.handoff.export.run import ExportResult, export_campaign, prewarm
from queries.handoff.refusals import (
    ChangedSinceApproval,
    DriftExceeded,
    ExportError,
    NotApproved,
    ReplaceNeeded,
    SendTimePassed,
)
from tui.fmt import pad
from tui.keymap import bind
from tui.kizuna import session_of
from tui.widgets.header import SnapshotHeader
from tui.widgets.tick import TickBox
from tui.workers import JobSlot

BAD = "bold $text-error"
LOUD = "bold reverse $text-error"
GOOD = "bold $text-success"
TITLES: dict[type[KizunaError], str] = {
    NotApproved: N_("Not approved"),
    ChangedSinceApproval: N_("Changed since the approval"),
    DriftExceeded: N_("The count drifted"),
    SendTimePassed: N_("The send time has passed"),
    ReplaceNeeded: N_("Exported before"),
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
        return Content.assemble(
            (_("✗ Not approved"), BAD), _(" — approve it first (A on the review)")
        )
    who = _("by {by} at {at}").format(by=record.approved_by, at=record.approved_at)
    if changes:
        return Content.assemble(
            (_("✗ Changed since approved") + " ", BAD), who, ":\n  " + "\n  ".join(changes)
        )
    count = " " + _("for {n} recipients").format(n=f"{record.recipients:,}")
    return Content.assemble((_("✓ Approved") + " ", GOOD), who + count)


def error_content(error: KizunaError) -> Content:
    """A refusal or failure as a clear message (changed files listed, drift explained)."""
    default = N_("Export refused") if isinstance(error, ExportError) else N_("Failed")
    title = TITLES.get(type(error), default)
    lines = [Content.assemble(("✗ " + _(title) + ": ", BAD), str(error))]
    if isinstance(error, ExportError):
        for change in error.audit.get("changes", []):
            lines.append(Content.styled(f"  • {change}", "$text-warning"))
    if isinstance(error, (DriftExceeded, SendTimePassed)):
        lines.append(Content.styled(_("  tick “force” (f) to export anyway (recorded)"), "dim"))
    return Content("\n").join(lines)


def _file_head() -> str:
    """The file table's heading, padded by display width (Japanese takes two cells)."""
    name, rows, size = _("file"), _("rows"), _("bytes")
    return f"  {pad(name, 24)} {pad(rows, 10, right=True)} {pad(size, 12, right=True)}"


def result_content(res: ExportResult, note: str | None = None) -> Content:
    """The finished export: folder, files with rows and bytes, loud warnings (`note`: the
    attribute-only note in the reader's language; the manifest keeps it in English)."""
    m = res.manifest
    lines = [
        Content.assemble(
            (_("✓ Exported") + " ", GOOD),
            _("{n} recipients (+{holdout} holdout)").format(
                n=f"{res.recipients:,}", holdout=f"{res.holdout:,}"
            ),
        ),
        Content.assemble((_("folder: "), "dim"), str(res.folder)),
        Content.styled(_file_head(), "bold"),
    ]
    for f in res.files:
        rows = "" if f.rows is None else f"{f.rows:,}"
        lines.append(Content(f"  {f.name:<24} {rows:>10} {f.bytes:>12,}"))
    if m.policies_off:
        off = ", ".join(m.policies_off)
        lines.append(
            Content.assemble(
                ("✗ ", LOUD), (_("policies switched OFF: {names}").format(names=off), BAD)
            )
        )
    if m.send_at_passed:
        lines.append(Content.assemble(("✗ ", LOUD), (_("forced past a send_at already past"), BAD)))
    prev = m.replaces
    if prev:
        lines.append(
            Content.styled(
                _("replaces the export of {when} ({n} recipients): upload only this one").format(
                    when=prev["when"], n=f"{prev['recipients']:,}"
                ),
                "$text-warning",
            )
        )
    if m.messages_note:
        text = note or m.messages_note
        lines.append(Content.styled(_("note: {text}").format(text=text), "$text-warning"))
    d = m.drift
    if m.forced and d.get("percent", 0) > d.get("limit", 0):
        moved = f"{d.get('approved', 0):,} approved → {d.get('now', 0):,} ({d.get('percent')}%)"
        lines.append(
            Content.assemble(
                ("✗ ", LOUD), (_("forced past drift_limit: {moved}").format(moved=moved), BAD)
            )
        )
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
        self.check_slot = JobSlot(self, "export-check")
        self.export_slot = JobSlot(self, "export")
        self.exporting = False  # from Export until ExportFinished (a cancel is still running)
        self.result: ExportResult | None = None
        self.previous: PreviousExport | None = None
        self.replace_confirmed = False

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static(
            Content.assemble((_("Export") + "  ", "bold"), self.campaign_path.name),
            id="export-title",
        )
        yield Static(Content.styled(_("checking the approval…"), "italic"), id="export-approval")
        with Horizontal(id="export-form"):
            yield TickBox(
                _("force past drift_limit / a past send_at (recorded)"), id="export-force"
            )
            yield Button(_("Export"), id="export-go", variant="primary", disabled=True)
            yield Button(_("Cancel"), id="export-cancel", variant="error", disabled=True)
        yield ProgressBar(id="export-bar", show_eta=True)
        yield Static("", id="export-status")
        with VerticalScroll(id="export-scroll"):
            yield Static("", id="export-result")
        yield Footer(compact=True)

    @property
    def running(self) -> bool:
        return self.exporting

    def on_mount(self) -> None:
        self.app.sub_title = _("Export {stem}").format(stem=self.campaign_path.stem)
        self.query_one(ProgressBar).display = False
        self.check()
        prewarm(session_of(self))  # the writer starts and opens while the marketer reads

    def on_unmount(self) -> None:
        self.check_slot.cancel()
        self.export_slot.cancel()  # leaving the screen (or quitting) kills a running export
        spare.discard()

    def check(self) -> None:
        """Load the campaign and read its approval status in a thread worker."""
        session, path = session_of(self), self.campaign_path

        def body(job: Job) -> ApprovalChecked:
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
            return ApprovalChecked(c, rec, changes, notes, prev)

        self.check_slot.start(body, on_error=lambda exc: ExportFinished(None, exc))

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
                    "⚠ "
                    + _("exported before: {when}; exporting again replaces it").format(
                        when=event.previous.describe()
                    ),
                    "$text-warning",
                )
            )
        self.query_one("#export-approval", Static).update(Content("\n").join([status, *extra]))
        self.query_one("#export-go", Button).disabled = False
        self.query_one("#export-go", Button).focus()
        self._status(Content.styled(_("e exports · esc goes back"), "dim"))

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
            self.notify(_("The campaign is still loading."), severity="warning")
            return
        if self.previous is not None and not self.replace_confirmed:
            self.replace_confirmed = True  # the next press goes ahead
            self._status(
                Content.assemble(
                    (_("Replace? "), BAD),
                    _(
                        "this replaces {when}; press e again to export and replace it, "
                        "esc to go back"
                    ).format(when=self.previous.describe()),
                )
            )
            return
        replace = self.previous is not None
        session, c = session_of(self), self.campaign
        force = self.query_one("#export-force", Checkbox).value
        batch, pause = self.batch_size, self.pause

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgressed(done, total))

        def waiting(text: str) -> None:
            self.post_message(ExportWaiting(text))

        def body(job: Job) -> ExportFinished:
            res = export_campaign(
                session,
                c,
                force=force,
                progress=progress,
                waiting=waiting,
                cancel=job,
                batch_size=batch,
                pause=pause,
                replace=replace,
            )
            return ExportFinished(res, None)

        def cancelled(exc: QueryCancelled) -> ExportFinished:
            return ExportFinished(None, exc, cancelled=True)

        self.query_one("#export-result", Static).update("")
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#export-go", Button).disabled = True
        self.query_one("#export-cancel", Button).disabled = False
        self._status(Content.styled(_("exporting… esc cancels"), "italic"))
        self.exporting = True
        self.export_slot.start(
            body, on_error=lambda exc: ExportFinished(None, exc), on_cancelled=cancelled
        )

    @on(ExportProgressed)
    def _progressed(self, event: ExportProgressed) -> None:
        self.query_one(ProgressBar).update(total=max(event.total, 1), progress=event.done)
        done = _("exporting… {done} of {total} rows · esc cancels").format(
            done=f"{event.done:,}", total=f"{event.total:,}"
        )
        self._status(Content.styled(done, "italic"))

    @on(ExportWaiting)
    def _waiting(self, event: ExportWaiting) -> None:
        self._status(Content.styled(event.text + " · " + _("esc cancels"), "italic"))

    @on(ExportFinished)
    def _finished(self, event: ExportFinished) -> None:
        self.exporting = False
        prewarm(session_of(self))  # ready for the next press (after a refusal, a replace)
        self.query_one("#export-go", Button).disabled = self.campaign is None
        self.query_one("#export-cancel", Button).disabled = True
        self.query_one(ProgressBar).display = event.result is not None
        out = self.query_one("#export-result", Static)
        if event.cancelled:
            self._status(
                Content.assemble((_("✗ Export cancelled: "), BAD), _("nothing was written"))
            )
        elif event.error is not None:
            self._status(Content.styled(_("esc goes back"), "dim"))
            out.update(error_content(event.error))
        else:
            assert event.result is not None
            self.result = event.result
            m = event.result.manifest
            self.previous = PreviousExport(m.export_id, event.result.recipients, m.created_at)
            self.replace_confirmed = False
            self._status(Content.styled(_("esc goes back"), "dim"))
            note = attributes_note(self.campaign) if self.campaign else None
            out.update(result_content(event.result, note))
            self.notify(_("Exported to {folder}").format(folder=event.result.folder), timeout=8)

    def action_cancel(self) -> None:
        """Cancel a running export (its writer process is killed); else go back."""
        if self.running:
            self.export_slot.cancel()
            self._status(Content.styled(_("cancelling…"), "italic"))
            return
        self.dismiss(self.result)
