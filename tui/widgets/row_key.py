"""The key of a list table's highlighted row: both file lists name rows by file stem."""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable


def highlighted_key(table: DataTable) -> str | None:
    """The row key under the cursor, or None when the table is empty."""
    if not table.row_count or table.cursor_row < 0:
        return None
    return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
