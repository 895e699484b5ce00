"""Number formats shared by the CLI and the TUI (no Textual here: the CLI imports it)."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

PENDING = "…"  # a count not known yet


def pct_text(part: int, whole: int) -> str:
    """12 of 25,000 → 0.05%; small shares keep two decimals so they do not read as 0."""
    if not whole:
        return "—"
    pct = 100 * part / whole
    if 0 < pct < 1:
        return f"{pct:.2f}%"
    return f"{pct:.1f}%"


def clip(text: str, cells: int) -> str:
    """`text` cut to `cells` terminal cells (Japanese is two each), with `…` when cut."""
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, max(cells - 1, 0)) + "…"


def pad(text: str, cells: int, right: bool = False) -> str:
    """`text` padded with spaces to `cells` terminal cells (right-aligned with `right`)."""
    gap = " " * max(cells - cell_len(text), 0)
    return gap + text if right else text + gap
