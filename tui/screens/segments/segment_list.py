"""The opening screen: saved segments with their audience, counted in the background."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Footer, LoadingIndicator, Static

from queries.core.errors import KizunaError
from queries.core.i18n import _, ngettext
from queries.segments.model import Segment
from tui.fmt import PENDING, clip
from tui.keymap import bind
from tui.messages import SegmentCounted, SegmentsCounted
from tui.screens.segments.segment_files import SegmentFilesMixin
from tui.widgets.audience import pct_text
from tui.widgets.header import SnapshotHeader
from tui.widgets.row_key import highlighted_key
from tui.workers import JobSlot


class SegmentListScreen(SegmentFilesMixin):
    """Saved segments: new, open, duplicate, rename, delete; each one's audience size."""

    BINDINGS = [
        bind("n", "new", "New", id="list.new"),
        bind("enter", "open", "Open", id="list.open", show=False),
        bind("d", "duplicate", "Duplicate", id="list.duplicate"),
        bind("r", "rename", "Rename", id="list.rename"),
        bind("delete,x", "delete", "Delete", id="list.delete", key_display="del"),
        bind("c", "campaigns", "Campaigns", id="list.campaigns"),
        bind("q", "app.quit", "Quit", id="list.quit"),
        bind("ctrl+r", "recount", "Recount", id="list.recount", show=False),
        bind("escape", "stop", "Stop counting", id="list.stop", show=False),
        bind("R", "retry", "Retry opening", id="list.retry", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.count_slot = JobSlot(self, "segment-counts")
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static("", id="list-status")
        yield LoadingIndicator(id="list-loading")
        yield DataTable(id="segments", cursor_type="row", zebra_stripes=True)
        yield Static("", id="segment-detail")
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#segments", DataTable)

    def status(self, content: str | Content) -> None:
        self.query_one("#list-status", Static).update(content)

    # -- session lifecycle -----------------------------------------------------------------
    def on_mount(self) -> None:
        table = self.table
        table.add_column(_("Segment"), key="name")
        table.add_column(_("Audience"), key="count")
        table.add_column(_("% base"), key="pct")
        table.add_column(_("Description"), key="description")
        if self.app.session is not None:
            self.session_ready()
        else:
            self.status(Content.styled(_("Opening the workspace…"), "italic"))

    def session_progress(self, text: str) -> None:
        self.status(Content.styled(text, "italic"))

    def session_ready(self) -> None:
        self.query_one("#list-loading").display = False
        for header in self.query(SnapshotHeader):
            header.refresh_header()
        self.refill()
        self.table.focus()

    def session_failed(self, error: KizunaError) -> None:
        self.query_one("#list-loading").display = False
        self.status(
            Content.assemble(
                (_("✗ Could not open the workspace: "), "bold $text-error"),
                error.render(),
                ("\n" + _("Fix it and press R to retry, or q to quit."), "dim"),
            )
        )

    def action_retry(self) -> None:
        if self.app.session is None:
            self.query_one("#list-loading").display = True
            self.status(Content.styled(_("Opening the workspace…"), "italic"))
            self.app.open_session()

    def on_screen_resume(self) -> None:
        if self.app.session is not None:
            self.refill(select=self.app.last_stem)

    def on_screen_suspend(self) -> None:
        self.action_stop(quiet=True)

    # -- the table -------------------------------------------------------------------------
    def refill(self, select: str | None = None) -> None:
        """List the saved segments (cached counts shown at once), then count the rest."""
        store = self.app.session.store
        base = self.app.session.snapshot.base_size
        table = self.table
        keep = select or self.current_stem()
        table.clear()
        desc_cells = max(16, self.size.width - 54)
        todo: list[str] = []
        self.errors = {}
        for stem in store.names():
            try:
                seg = store.load(stem)
                name, desc = seg.name, seg.description
            except KizunaError as exc:
                self.errors[stem] = self.short(exc.render())
                name, desc = stem, ""
            cached = self.app.cached_count(stem)
            if stem in self.errors:
                count, pct = Text(_("✗ invalid"), style="bold"), ""
            elif cached is None:
                count, pct = Text(PENDING, justify="right"), ""
                todo.append(stem)
            else:
                count = Text(f"{cached:,}", justify="right")
                pct = Text(pct_text(cached, base), justify="right")
            table.add_row(Text(clip(name, 30)), count, pct, Text(clip(desc, desc_cells)), key=stem)
        if not table.row_count:
            self.status(
                Content.assemble(_("No saved segments yet. "), (_("Press n to build one."), "bold"))
            )
        if keep is not None:
            try:
                table.move_cursor(row=table.get_row_index(keep))
            except Exception:
                pass
        self._detail()
        if todo:
            self.count_all(todo)
        elif table.row_count:
            self.status(Content.styled(self.saved_text(), "dim"))

    def saved_text(self) -> str:
        n = self.table.row_count
        return ngettext("{n} saved segment", "{n} saved segments", n).format(n=n)

    def short(self, message: str) -> str:
        """Error text with the workspace's folder left out (segments/x.yaml:3 …)."""
        root = str(self.app.session.ws.root)
        return message.replace(root + "/", "")

    def current_stem(self) -> str | None:
        return highlighted_key(self.table)

    @on(DataTable.RowHighlighted, "#segments")
    def _highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        stem = self.current_stem()
        detail = self.query_one("#segment-detail", Static)
        if stem is None:
            detail.update("")
            return
        if stem in self.errors:
            detail.update(
                Content.assemble(
                    (f"segments/{stem}.yaml  ", "bold"), ("✗ " + self.errors[stem], "$text-error")
                )
            )
            return
        seg = self.app.session.store.load(stem)
        detail.update(
            Content.assemble(
                (f"segments/{stem}.yaml", "bold"),
                "  ",
                (seg.description or _("(no description)"), "dim"),
            )
        )

    # -- counting --------------------------------------------------------------------------
    def count_all(self, stems: list[str]) -> None:
        session = self.app.session
        self.status(
            Content.assemble(
                (_("counting {n} segments…").format(n=len(stems)), "italic"),
                ("  " + _("esc stops"), "dim"),
            )
        )

        def body(job):
            loaded = []
            for stem in stems:
                try:
                    loaded.append((stem, session.store.load(stem)))
                except KizunaError as exc:
                    self.post_message(SegmentCounted(stem, None, exc.render()))
            try:  # every count in one scan of the customers
                ns = session.runner.counts([seg for _, seg in loaded], job)
            except KizunaError:
                if job.cancelled:
                    return None
                ns = None  # one of them fails: count one by one to say which
            for i, (stem, seg) in enumerate(loaded):
                if job.cancelled:
                    return None
                try:
                    n = ns[i] if ns is not None else session.runner.count(seg, job)
                    self.post_message(SegmentCounted(stem, n))
                except KizunaError as exc:
                    if job.cancelled:
                        return None
                    self.post_message(SegmentCounted(stem, None, exc.render()))
            return SegmentsCounted()

        self.count_slot.start(body)

    @on(SegmentCounted)
    def _counted(self, event: SegmentCounted) -> None:
        table = self.table
        try:
            table.get_row_index(event.stem)
        except Exception:
            return
        base = self.app.session.snapshot.base_size
        if event.count is None:
            self.errors[event.stem] = self.short(event.error or "failed")
            table.update_cell(event.stem, "count", Text(_("✗ error"), style="bold"))
        else:
            self.app.remember_count(event.stem, event.count)
            table.update_cell(event.stem, "count", Text(f"{event.count:,}", justify="right"))
            pct = Text(pct_text(event.count, base), justify="right")
            table.update_cell(event.stem, "pct", pct)
        self._detail()

    @on(SegmentsCounted)
    def _all_counted(self, event: SegmentsCounted) -> None:
        self.status(Content.styled(self.saved_text(), "dim"))

    def action_stop(self, quiet: bool = False) -> None:
        if self.count_slot.cancel() and not quiet:
            self.status(Content.styled(_("counting stopped · ctrl+r counts again"), "italic"))

    def action_recount(self) -> None:
        self.app.segments_changed()
        self.refill()

    # -- opening ---------------------------------------------------------------------------
    def action_campaigns(self) -> None:
        from tui.screens.campaigns.campaign_list import open_campaigns

        open_campaigns(self.app)

    def action_new(self) -> None:
        if self.app.session is not None:
            self.app.open_builder(None)

    @on(DataTable.RowSelected, "#segments")
    def action_open(self) -> None:
        stem = self.current_stem()
        if stem is None or self.app.session is None:
            return
        try:
            seg: Segment = self.app.session.store.load(stem)
        except KizunaError as exc:
            self.notify(exc.render(), title=_("Cannot open"), severity="error", timeout=10)
            return
        self.app.open_builder(seg)
