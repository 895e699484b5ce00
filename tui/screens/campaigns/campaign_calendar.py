"""The send calendar: which campaign goes out when, month by month, and days crowding a channel."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from queries.campaigns.model import campaign_files
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.handoff.calendar import Month, Send, first_month, month_of, shift, workspace_sends
from tui.calendar_view import WEEKDAYS, crowded_lines, month_grid
from tui.keymap import bind
from tui.kizuna import session_of
from tui.widgets.header import SnapshotHeader
from tui.widgets.row_key import highlighted_key
from tui.workers import JobSlot

TALL = 40  # rows from which each day shows two sends, with lines between the weeks


class SendsLoaded(Message):
    """Every campaign's send time and status was read (files that fail are named)."""

    def __init__(self, sends: list[Send], broken: dict[str, str]) -> None:
        super().__init__()
        self.sends = sends
        self.broken = broken


def open_calendar(app: App) -> None:
    """Show the send calendar (the campaign list's `k` and the command palette call this)."""
    if getattr(app, "session", None) is None:
        app.notify(_("The workspace is still opening."), severity="warning")
        return
    app.push_screen(CampaignCalendarScreen())


class CampaignCalendarScreen(Screen[None]):
    """A month of sends: the grid above, the month's sends below (Enter opens one)."""

    BINDINGS = [
        bind(
            "left_square_bracket,comma",
            "month(-1)",
            "Previous month",
            id="calendar.previous",
            key_display="[",
        ),
        bind(
            "right_square_bracket,full_stop",
            "month(1)",
            "Next month",
            id="calendar.next",
            key_display="]",
        ),
        bind("t", "today", "Next send", id="calendar.today"),
        bind("q,escape", "back", "Campaigns", id="calendar.back"),
    ]

    DEFAULT_CSS = """
    #cal-grid { height: auto; padding: 0 1; }
    #cal-notes { height: auto; padding: 0 1; }
    #cal-sends { height: 1fr; min-height: 3; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.slot = JobSlot(self, "calendar")
        self.sends: list[Send] = []
        self.broken: dict[str, str] = {}
        self.year, self.month = 0, 0
        self.shown: Month | None = None

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static(_("reading the campaigns…"), id="cal-grid")
        yield Static("", id="cal-notes")
        yield DataTable(id="cal-sends", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    @property
    def today(self) -> date:
        return session_of(self).snapshot.as_of

    def on_mount(self) -> None:
        self.app.sub_title = _("Send calendar")
        table = self.query_one("#cal-sends", DataTable)
        table.add_column(_("When"), key="when")
        table.add_column(_("Campaign"), key="name")
        table.add_column(_("Channel"), key="channel")
        table.add_column(_("Status"), key="status")
        session = session_of(self)

        def body(job: Job) -> SendsLoaded:
            sends, broken = workspace_sends(session)
            return SendsLoaded(sends, broken)

        self.slot.start(body)

    def on_resize(self) -> None:
        self.draw()

    @on(SendsLoaded)
    def _loaded(self, event: SendsLoaded) -> None:
        self.sends, self.broken = event.sends, event.broken
        self.year, self.month = first_month(self.sends, self.today)
        self.draw()
        self.query_one("#cal-sends", DataTable).focus()

    # -- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        """The grid and the list for the month shown."""
        if not self.year:
            return
        m = self.shown = month_of(self.sends, self.year, self.month)
        table = self.query_one("#cal-sends", DataTable)
        table.clear()
        for s in m.sends():
            if s.at is None or not m.in_month(s.at.date()):
                continue
            when = f"{s.at:%m-%d} {_(WEEKDAYS[s.at.weekday()])} {s.at:%H:%M}"
            table.add_row(when, s.name, s.channel, s.status_text, key=s.stem)
        for s in self.sends:
            if s.at is None:
                table.add_row(_("on export"), s.name, s.channel, s.status_text, key=s.stem)
        self._grid()
        notes = [*crowded_lines(m)]
        if not table.row_count:
            notes.append(Text(_("No campaign sends in {month}.").format(month=m.label), "dim"))
        for stem, problem in self.broken.items():
            notes.append(Text(f"✗ {stem}: {problem}", "red"))
        hint = Text(_("[ ] month · t next send · enter opens · q back"), "dim")
        self.query_one("#cal-notes", Static).update(Text("\n").join([*notes, hint]))

    def _grid(self) -> None:
        if self.shown is None:
            return
        tall = (self.app.size.height or 24) >= TALL
        selected = None
        stem = highlighted_key(self.query_one("#cal-sends", DataTable))
        for s in self.sends:
            if s.stem == stem and s.at is not None:
                selected = s.at.date()
        grid = month_grid(self.shown, self.today, selected, per_cell=2 if tall else 1, lines=tall)
        self.query_one("#cal-grid", Static).update(grid)

    @on(DataTable.RowHighlighted, "#cal-sends")
    def _highlighted(self) -> None:
        self._grid()

    # -- actions ---------------------------------------------------------------------------
    def action_month(self, by: int) -> None:
        if self.year:
            self.year, self.month = shift(self.year, self.month, by)
            self.draw()

    def action_today(self) -> None:
        if self.year:
            self.year, self.month = first_month(self.sends, self.today)
            self.draw()

    @on(DataTable.RowSelected, "#cal-sends")
    def action_open(self) -> None:
        from tui.screens.campaigns.campaign_edit import CampaignEditScreen

        stem = highlighted_key(self.query_one("#cal-sends", DataTable))
        paths = {p.stem: p for p in campaign_files(session_of(self).ws.campaigns_dir)}
        if stem in paths:
            self.app.push_screen(CampaignEditScreen(paths[stem]))

    def action_back(self) -> None:
        self.slot.cancel()
        self.dismiss()
