"""The skeleton both file lists share (segments, campaigns): a table of files counted in the
background, a status line above it and a detail line about the highlighted file below."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import RowDoesNotExist

from queries.core.i18n import _
from tui.kizuna import session_of
from tui.widgets.header import SnapshotHeader
from tui.widgets.row_key import highlighted_key
from tui.workers import JobSlot


class FileListScreen(Screen[None]):
    """Rows keyed by file stem; `errors` holds why a file is invalid; esc stops the counting.

    A list names its widgets' ids and says what the detail line shows."""

    TABLE_ID: ClassVar[str]
    STATUS_ID: ClassVar[str]
    DETAIL_ID: ClassVar[str]
    COUNTS: ClassVar[str]  # the worker group of the background count
    STOPPED: ClassVar[str]  # said when esc stops the counting (an N_() message id)

    def __init__(self) -> None:
        super().__init__()
        self.count_slot = JobSlot(self, self.COUNTS)
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static("", id=self.STATUS_ID)
        yield from self.compose_above_table()
        yield DataTable(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
        yield Static("", id=self.DETAIL_ID)
        yield Footer(compact=True)

    def compose_above_table(self) -> ComposeResult:
        """Widgets between the status line and the table (none by default)."""
        yield from ()

    @property
    def table(self) -> DataTable:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)

    def status(self, content: Content | str) -> None:
        self.query_one(f"#{self.STATUS_ID}", Static).update(content)

    @property
    def detail_line(self) -> Static:
        return self.query_one(f"#{self.DETAIL_ID}", Static)

    def short(self, message: str) -> str:
        """Error text with the workspace's folder left out (segments/x.yaml:3 …)."""
        return message.replace(str(session_of(self).ws.root) + "/", "")

    def current_stem(self) -> str | None:
        return highlighted_key(self.table)

    def keep_cursor(self, stem: str | None) -> None:
        """Put the cursor back on `stem` after a refill (if it is still listed)."""
        if stem is None:
            return
        try:
            self.table.move_cursor(row=self.table.get_row_index(stem))
        except RowDoesNotExist:
            pass

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.show_detail()

    @abstractmethod
    def show_detail(self) -> None:
        """Say more about the highlighted file on the detail line."""

    # -- counting --------------------------------------------------------------------------
    def count_cell(self, stem: str, count: int | None, error: str | None) -> bool:
        """Show one row's count (or `✗ error`); False when the row is gone since."""
        try:
            self.table.get_row_index(stem)
        except RowDoesNotExist:
            return False
        if count is None:
            self.errors[stem] = self.short(error or "failed")
            cell = Text(_("✗ error"), style="bold")
        else:
            cell = Text(f"{count:,}", justify="right")
        self.table.update_cell(stem, "count", cell)
        return True

    def action_stop(self, quiet: bool = False) -> None:
        if self.count_slot.cancel() and not quiet:
            self.status(Content.styled(_(self.STOPPED), "italic"))

    def on_screen_suspend(self) -> None:
        self.action_stop(quiet=True)
