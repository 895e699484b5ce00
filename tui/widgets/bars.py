"""Horizontal bar charts drawn with Unicode blocks: the audience's share against the base's.

The audience bar uses eighth blocks (█▉▊▋▌▍▎▏), the base bar light shade (░), so the two
read apart without colour (NO_COLOR). Labels are padded by display cells, so Japanese
values line up.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from queries.core.i18n import _
from queries.query.runner import BreakdownRow
from tui.widgets.labels import value_text

EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` (0..1) of `width` cells, to the eighth of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    out = "█" * full + (EIGHTHS[part] if part else "")
    return out.ljust(width)


def shade_bar(fraction: float, width: int) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    cells = round(fraction * width)
    if fraction > 0 and cells == 0:
        cells = 1
    return ("░" * cells).ljust(width)


def fit(text: str, cells: int) -> str:
    """Pad or cut `text` to exactly `cells` display cells (with … when cut)."""
    if cell_len(text) <= cells:
        return text + " " * (cells - cell_len(text))
    return set_cell_size(text, cells - 1) + "…"


def index_mark(aud_share: float, base_share: float) -> str:
    if base_share <= 0:
        return "    "
    idx = aud_share / base_share
    arrow = "▲" if idx >= 1.2 else "▼" if idx <= 0.8 else " "
    return f"{arrow}{idx:>4.1f}×"


class BreakdownChart:
    """Rows of `value │ audience bar share │ base bar share │ index` sized to the width."""

    def __init__(self, rows: Sequence[BreakdownRow], title: str = "", accent: str = "") -> None:
        self.rows = list(rows)
        self.title = title
        self.accent = accent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self.rows
        aud_total = sum(r.audience for r in rows) or 1
        base_total = sum(r.base for r in rows) or 1
        labels = [value_text(r.value) if r.value is not None else _("(empty)") for r in rows]
        width = options.max_width
        label_w = min(max([cell_len(x) for x in labels] + [cell_len(self.title), 5]), 18)
        # label │ bar pct │ bar pct │ index : 2 bars share what is left
        fixed = label_w + 1 + 7 + 1 + 7 + 1 + 7
        bar_w = max(4, (width - fixed) // 2)
        scale = max(
            [r.audience / aud_total for r in rows] + [r.base / base_total for r in rows] + [0.01]
        )
        head = Text(fit(self.title, label_w) + " ", style="bold")
        head.append(fit("█ " + _("audience"), bar_w + 7) + " ", style="bold")
        head.append(fit("░ " + _("base"), bar_w + 7), style="bold")
        head.append("  " + _("index"), style="bold")
        yield head
        for label, r in zip(labels, rows):
            a, b = r.audience / aud_total, r.base / base_total
            line = Text(fit(label, label_w) + " ")
            line.append(bar(a / scale, bar_w), style=f"bold {self.accent}".strip())
            line.append(f"{100 * a:>6.1f}% ")
            line.append(shade_bar(b / scale, bar_w), style="dim")
            line.append(f"{100 * b:>6.1f}% ")
            line.append(index_mark(a, b))
            yield line
        yield Text(
            _("audience {audience} · base {base} · index = audience share ÷ base share").format(
                audience=f"{sum(r.audience for r in rows):,}", base=f"{sum(r.base for r in rows):,}"
            ),
            style="dim",
        )
