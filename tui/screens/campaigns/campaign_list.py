"""Campaigns of the workspace (campaigns/*.yaml): channel, segment and recipients, counted live."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import App
from textual.content import Content
from textual.widgets import DataTable

from queries.campaigns.funnel import policy_funnel
from queries.campaigns.model import Campaign, campaign_files
from queries.campaigns.parse import load_campaign
from queries.core.errors import KizunaError
from queries.core.i18n import N_, _
from queries.engines.jobs import Job
from queries.handoff.status import CampaignStatus, campaign_status
from queries.query.session import Session
from tui.fmt import PENDING, clip
from tui.keymap import bind
from tui.kizuna import session_of
from tui.screens.campaigns.campaign_draft import starter_campaign
from tui.screens.campaigns.campaign_messages import CampaignCounted, CampaignsCounted
from tui.screens.dialogs import ConfirmScreen, PromptScreen, SegmentPickerScreen
from tui.screens.file_list import FileListScreen

WIDE = 100  # from this width channel and segment have columns (else they are in the detail line)
STATUS_STYLE = {"draft": "dim", "changed": "bold reverse", "approved": "bold", "measured": "bold"}


def status_text(st: CampaignStatus | None) -> Text:
    """The status cell: words, not colour alone (NO_COLOR reads the same)."""
    if st is None:
        return Text("?")
    return Text(st.short, style=STATUS_STYLE.get(st.state, ""))


def open_campaigns(app: App) -> None:
    """Show the campaign list (the app's `c` key and command palette call this)."""
    if getattr(app, "session", None) is None:
        app.notify(_("The workspace is still opening."), severity="warning")
        return
    for screen in app.screen_stack:
        if isinstance(screen, CampaignListScreen):
            while app.screen is not screen:
                app.pop_screen()
            return
    app.push_screen(CampaignListScreen())


class CampaignListScreen(FileListScreen):
    """Campaigns: open one to edit its 3W1H and see each person's message; new from a segment."""

    BINDINGS = [
        bind("enter", "open", "Open", id="campaigns.open", show=False),
        bind("n", "new", "New", id="campaigns.new"),
        bind("a", "approve", "Approve", id="campaigns.approve"),
        bind("e", "export", "Export", id="campaigns.export"),
        bind("m", "results", "Results", id="campaigns.results"),
        bind("k", "calendar", "Calendar", id="campaigns.calendar"),
        bind("delete,x", "delete", "Delete", id="campaigns.delete", key_display="del"),
        bind("c", "recount", "Recount", id="campaigns.recount", show=False),
        bind("escape", "stop", "Stop counting", id="campaigns.stop", show=False),
        bind("q", "back", "Segments", id="campaigns.back"),
    ]

    TABLE_ID, STATUS_ID, DETAIL_ID = "campaigns", "campaign-status", "campaign-detail"
    COUNTS = "campaign-counts"
    STOPPED = N_("counting stopped · c counts again")

    def __init__(self) -> None:
        super().__init__()
        self.loaded: dict[str, Campaign] = {}
        self.paths: dict[str, Path] = {}
        self.select: str | None = None
        self.statuses: dict[str, CampaignStatus] = {}
        self.wide = False

    DEFAULT_CSS = """
    #campaign-status { height: auto; padding: 0 1; }
    #campaigns { height: 1fr; }
    #campaign-detail { height: 2; padding: 0 1; background: $boost; }
    """

    @property
    def session(self) -> Session:
        return session_of(self)

    def on_mount(self) -> None:
        self.app.sub_title = _("Campaigns")
        table = self.table
        self.wide = (self.app.size.width or 80) >= WIDE
        table.add_column(_("Campaign"), key="name")
        table.add_column(_("Status"), key="status")
        if self.wide:
            table.add_column(_("Channel"), key="channel")
            table.add_column(_("Segment"), key="segment")
        table.add_column(_("Recipients"), key="count")
        table.add_column(_("Send at"), key="send_at")
        self.refill()
        table.focus()

    def on_screen_resume(self) -> None:
        self.app.sub_title = _("Campaigns")
        self.refill(select=self.select)

    # -- the table -------------------------------------------------------------------------
    def refill(self, select: str | None = None) -> None:
        """List the campaign files (validated), then count their recipients in the background."""
        s = self.session
        table = self.table
        keep = select or self.current_stem()
        table.clear()
        self.errors, self.loaded = {}, {}
        self.paths = {p.stem: p for p in campaign_files(s.ws.campaigns_dir)}
        width = self.size.width or self.app.size.width
        self.statuses = {}
        rows: list[tuple[str, list[Text | str]]] = []
        for stem, path in self.paths.items():
            try:
                c = load_campaign(path, s.catalog, s.ws.root, s.store)
            except KizunaError as exc:
                self.errors[stem] = self.short(exc.render())
                blank = ["", ""] if self.wide else []
                rows.append((stem, [stem, Text(_("✗ invalid"), style="bold"), *blank, "", ""]))
                continue
            self.loaded[stem] = c
            send = c.when.send_at.strftime("%m-%d %H:%M") if c.when.send_at else _("on export")
            cells: list[Text | str] = [c.name, status_text(self._status_of(c))]
            if self.wide:
                cells += [c.how.channel, c.who.segment or _("(inline)")]
            rows.append((stem, [*cells, Text(PENDING, justify="right"), send]))
        # the name gets the room the other columns leave, in cells (休眠顧客… is 2 cells a letter)
        headers = [h.label.plain for h in table.columns.values()]
        others = [
            max([cell_len(headers[i]), *(cell_len(str(r[i])) for _, r in rows)], default=0)
            for i in range(1, len(headers))
        ]
        if self.wide:
            others[2] = min(others[2], 22)  # segment
        used = sum(w + 2 for w in others) + 2 + 2  # cell padding, the name's padding, scrollbar
        name_cells = max(14, width - used)
        for stem, cells in rows:
            cells[0] = Text(clip(str(cells[0]), name_cells))
            if self.wide:
                cells[3] = Text(clip(str(cells[3]), others[2]))
            table.add_row(*cells, key=stem)
        if not table.row_count:
            self.status(
                Content.assemble(_("No campaigns yet. "), (_("Press n to start one."), "bold"))
            )
        self.keep_cursor(keep)
        self.show_detail()
        if self.loaded:
            self.count_all(dict(self.loaded))

    def _status_of(self, c: Campaign) -> CampaignStatus | None:
        try:
            st = campaign_status(self.session, c)
        except (KizunaError, OSError, ValueError):
            return None
        self.statuses[c.stem] = st
        return st

    def show_detail(self) -> None:
        stem = self.current_stem()
        detail = self.detail_line
        if stem is None:
            detail.update("")
        elif stem in self.errors:
            detail.update(Content.assemble(("✗ ", "bold $text-error"), self.errors[stem]))
        else:
            c = self.loaded[stem]
            st = self.statuses.get(stem)
            send = (
                c.when.send_at.strftime("%Y-%m-%d %H:%M %z") if c.when.send_at else _("on export")
            )
            detail.update(
                Content.assemble(
                    (f"campaigns/{self.paths[stem].name}", "bold"),
                    "  "
                    + _("{channel} · segment {segment} · send {send}").format(
                        channel=c.how.channel, segment=c.who.segment or _("(inline)"), send=send
                    )
                    + "\n",
                    (st.detail if st else (c.description or ""), "dim"),
                )
            )

    # -- counting --------------------------------------------------------------------------
    def count_all(self, campaigns: dict[str, Campaign]) -> None:
        session = self.session
        self.status(
            Content.assemble(
                (_("counting {n} campaigns…").format(n=len(campaigns)), "italic"),
                ("  " + _("esc stops"), "dim"),
            )
        )

        def body(job: Job) -> CampaignsCounted | None:
            for stem, c in campaigns.items():
                if job.cancelled:
                    return None
                try:
                    n = policy_funnel(session, c, job).recipients
                    self.post_message(CampaignCounted(stem, n))
                except KizunaError as exc:
                    if job.cancelled:
                        return None
                    self.post_message(CampaignCounted(stem, None, exc.render()))
            return CampaignsCounted()

        self.count_slot.start(body)

    @on(CampaignCounted)
    def _counted(self, event: CampaignCounted) -> None:
        if self.count_cell(event.stem, event.count, event.error):
            self.show_detail()

    @on(CampaignsCounted)
    def _all_counted(self) -> None:
        n = self.table.row_count
        self.status(
            Content.styled(
                _("{n} campaigns · recipients after consent, caps and holdout").format(n=n), "dim"
            )
        )

    def action_recount(self) -> None:
        self.refill()

    def action_calendar(self) -> None:
        from tui.screens.campaigns.campaign_calendar import open_calendar

        open_calendar(self.app)

    # -- actions ---------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#campaigns")
    def action_open(self) -> None:
        from tui.screens.campaigns.campaign_edit import CampaignEditScreen

        stem = self.current_stem()
        if stem is None:
            return
        if stem in self.errors and stem not in self.loaded:
            self.notify(self.errors[stem], title=_("Cannot open"), severity="error", timeout=10)
            return
        self.select = stem
        self.app.push_screen(CampaignEditScreen(self.paths[stem]))

    def _selected_path(self) -> Path | None:
        stem = self.current_stem()
        if stem is None or stem not in self.loaded:
            if stem is not None:
                self.notify(self.errors.get(stem, "invalid"), title=_("Invalid"), severity="error")
            return None
        self.select = stem
        return self.paths[stem]

    def action_approve(self) -> None:
        from tui.screens.handoff.campaign_approve import ApproveScreen

        path = self._selected_path()
        if path is not None:
            self.app.push_screen(ApproveScreen(path))

    def action_export(self) -> None:
        from tui.screens.handoff.campaign_export import ExportScreen

        path = self._selected_path()
        if path is not None:
            self.app.push_screen(ExportScreen(path))

    def action_results(self) -> None:
        """Did it work? The exported campaign measured on a later snapshot."""
        from tui.screens.handoff.campaign_results import CampaignResultsScreen

        path = self._selected_path()
        if path is not None:
            self.app.push_screen(CampaignResultsScreen(path))

    def action_new(self) -> None:
        store = self.session.store
        names = []
        for stem in store.names():
            try:
                names.append((stem, store.load(stem).name))
            except KizunaError:
                continue

        def picked(stem: str | None) -> None:
            if stem:
                title = dict(names).get(stem, stem)
                self.app.push_screen(
                    PromptScreen(_("New campaign"), _("{segment} campaign").format(segment=title)),
                    lambda a: named(stem, a),
                )

        def named(stem: str, answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            s = self.session
            try:
                path = starter_campaign(
                    answer[0], stem, s.ws.campaigns_dir, s.ws.root, s.catalog, s.store
                )
            except KizunaError as exc:
                self.notify(exc.render(), title=_("Cannot create"), severity="error", timeout=10)
                return
            self.select = path.stem
            from tui.screens.campaigns.campaign_edit import CampaignEditScreen

            self.app.push_screen(CampaignEditScreen(path))

        self.app.push_screen(
            SegmentPickerScreen(names, _("New campaign for which segment?")), picked
        )

    def action_delete(self) -> None:
        stem = self.current_stem()
        if stem is None:
            return
        path = self.paths[stem]

        def answered(choice: str | None) -> None:
            if choice == "delete":
                from queries.core.history import keep

                keep(self.session.ws.state_dir, "campaigns", path)
                path.unlink(missing_ok=True)
                self.refill()
                self.notify(
                    _(
                        "Deleted campaigns/{file} (template files are kept; "
                        "restore: kizuna restore --campaign {stem})."
                    ).format(file=path.name, stem=path.stem)
                )

        self.app.push_screen(
            ConfirmScreen(
                _("Delete campaigns/{file}?").format(file=path.name),
                [("delete", _("Delete")), ("cancel", _("Cancel"))],
            ),
            answered,
        )

    def action_back(self) -> None:
        self.count_slot.cancel()
        self.app.sub_title = ""
        self.app.pop_screen()
