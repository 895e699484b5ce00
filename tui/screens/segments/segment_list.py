"""The opening screen: saved segments with their audience, counted in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, LoadingIndicator

from queries.core.errors import KizunaError
from queries.core.i18n import N_, _, ngettext
from tui.fmt import PENDING, clip
from tui.keymap import bind
from tui.kizuna import kizuna, session_of
from tui.messages import SegmentCounted, SegmentsCounted
from tui.screens.file_list import FileListScreen
from tui.screens.segments.segment_files import SegmentFiles
from tui.widgets.audience import pct_text
from tui.widgets.header import SnapshotHeader

if TYPE_CHECKING:
    from queries.engines.jobs import Job
    from queries.query.fastcount import ListPreview
    from queries.segments.model import Segment


class SegmentListScreen(FileListScreen):
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

    TABLE_ID, STATUS_ID, DETAIL_ID = "segments", "list-status", "segment-detail"
    COUNTS = "segment-counts"
    STOPPED = N_("counting stopped · ctrl+r counts again")

    def __init__(self, preview: ListPreview | None = None) -> None:
        super().__init__()
        self.preview = preview  # rows and counts from the caches, until the session opens
        self.files = SegmentFiles(self, self.current_stem, lambda stem: self.refill(select=stem))

    def compose_above_table(self) -> ComposeResult:
        yield LoadingIndicator(id="list-loading")

    # -- session lifecycle -----------------------------------------------------------------
    def on_mount(self) -> None:
        table = self.table
        table.add_column(_("Segment"), key="name")
        table.add_column(_("Audience"), key="count")
        table.add_column(_("% base"), key="pct")
        table.add_column(_("Description"), key="description")
        if kizuna(self).session is not None:
            self.session_ready()
        elif self.preview is not None:
            self.show_preview(self.preview)
        else:
            self.status(Content.styled(_("Opening the workspace…"), "italic"))

    def show_preview(self, preview: ListPreview) -> None:
        """Rows and counts from the caches, shown until the workspace is open."""
        table = self.table
        table.clear()
        desc_cells = max(16, self.size.width - 54)
        for row in preview.rows:
            count = Text(f"{row.count:,}", justify="right")
            pct = Text(pct_text(row.count, preview.base), justify="right")
            name, desc = Text(clip(row.name, 30)), Text(clip(row.description, desc_cells))
            table.add_row(name, count, pct, desc, key=row.stem)
        self.query_one("#list-loading").display = False
        self.status(
            Content.assemble(
                (self.saved_text(), "dim"), ("  " + _("Opening the workspace…"), "italic")
            )
        )

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
        if kizuna(self).session is None:
            self.query_one("#list-loading").display = True
            self.status(Content.styled(_("Opening the workspace…"), "italic"))
            kizuna(self).open_session()

    def on_screen_resume(self) -> None:
        if kizuna(self).session is not None:
            self.refill(select=kizuna(self).last_stem)

    # -- the table -------------------------------------------------------------------------
    def refill(self, select: str | None = None) -> None:
        """List the saved segments (cached counts shown at once), then count the rest."""
        store = session_of(self).store
        base = session_of(self).snapshot.base_size
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
            cached = kizuna(self).cached_count(stem)
            count: Text
            pct: Text | str
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
        self.keep_cursor(keep)
        self.show_detail()
        if todo:
            self.count_all(todo)
        elif table.row_count:
            self.status(Content.styled(self.saved_text(), "dim"))

    def saved_text(self) -> str:
        n = self.table.row_count
        return ngettext("{n} saved segment", "{n} saved segments", n).format(n=n)

    def show_detail(self) -> None:
        stem = self.current_stem()
        detail = self.detail_line
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
        if kizuna(self).session is None:  # rows from the caches, before the workspace opened
            detail.update(Content.styled(f"segments/{stem}.yaml", "bold"))
            return
        seg = session_of(self).store.load(stem)
        detail.update(
            Content.assemble(
                (f"segments/{stem}.yaml", "bold"),
                "  ",
                (seg.description or _("(no description)"), "dim"),
            )
        )

    # -- counting --------------------------------------------------------------------------
    def count_all(self, stems: list[str]) -> None:
        session = session_of(self)
        self.status(
            Content.assemble(
                (_("counting {n} segments…").format(n=len(stems)), "italic"),
                ("  " + _("esc stops"), "dim"),
            )
        )

        from queries.query.fastcount import list_counts, remember_list

        def body(job: Job) -> None:
            loaded = []
            for stem in stems:
                try:
                    loaded.append((stem, session.store.load(stem)))
                except KizunaError as exc:
                    self.post_message(SegmentCounted(stem, None, exc.render()))
            try:  # every count in one scan of the customers (through the result cache)
                ns = list_counts(session, [s for s, _ in loaded], [g for _, g in loaded], job)
            except KizunaError:
                if job.cancelled:
                    return
                ns = None  # one of them fails: count one by one to say which
            for i, (stem, seg) in enumerate(loaded):
                if job.cancelled:
                    return
                try:
                    n = ns[i] if ns is not None else session.runner.count(seg, job)
                    self.post_message(SegmentCounted(stem, n))
                except KizunaError as exc:
                    if job.cancelled:
                        return
                    self.post_message(SegmentCounted(stem, None, exc.render()))
            if ns is not None and not job.cancelled:  # the counts are shown: keep them
                remember_list(session, [s for s, _ in loaded], ns)
            if job.cancelled:
                return
            self.post_message(SegmentsCounted())

        self.count_slot.start(body)

    @on(SegmentCounted)
    def _counted(self, event: SegmentCounted) -> None:
        if not self.count_cell(event.stem, event.count, event.error):
            return
        if event.count is not None:
            kizuna(self).remember_count(event.stem, event.count)
            base = session_of(self).snapshot.base_size
            pct = Text(pct_text(event.count, base), justify="right")
            self.table.update_cell(event.stem, "pct", pct)
        self.show_detail()

    @on(SegmentsCounted)
    def _all_counted(self, event: SegmentsCounted) -> None:
        self.status(Content.styled(self.saved_text(), "dim"))

    def action_recount(self) -> None:
        kizuna(self).segments_changed()
        self.refill()

    # -- files -----------------------------------------------------------------------------
    def action_duplicate(self) -> None:
        self.files.duplicate()

    def action_rename(self) -> None:
        self.files.rename()

    def action_delete(self) -> None:
        self.files.delete()

    # -- opening ---------------------------------------------------------------------------
    def action_campaigns(self) -> None:
        from tui.screens.campaigns.campaign_list import open_campaigns

        open_campaigns(self.app)

    def action_new(self) -> None:
        if kizuna(self).session is not None:
            kizuna(self).open_builder(None)

    @on(DataTable.RowSelected, "#segments")
    def action_open(self) -> None:
        stem = self.current_stem()
        if stem is None or kizuna(self).session is None:
            return
        try:
            seg: Segment = session_of(self).store.load(stem)
        except KizunaError as exc:
            self.notify(exc.render(), title=_("Cannot open"), severity="error", timeout=10)
            return
        kizuna(self).open_builder(seg)
