"""The send calendar drawn once for both faces: a month grid and the month's sends (Rich)."""

from __future__ import annotations

from datetime import date

from rich.table import Table
from rich.text import Text

from queries.core.i18n import N_, _, ngettext
from queries.handoff.calendar import Month, Send

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
PER_CELL = 2  # sends written in a day's cell; the rest are counted


def _cell(
    month: Month, day: date, today: date | None, selected: date | None, per_cell: int, pad: bool
) -> Text:
    sends = month.by_day.get(day, [])
    style = "bold" if month.in_month(day) else "dim"
    head = Text(f"{day.day:>2}", style=style)
    if day == today:
        head.stylize("reverse")
    if day == selected:
        head = Text.assemble("▶", head)
    if day in month.crowded:
        head.append(" ⚠", style="bold yellow")
    lines = [head]
    shown = sends if len(sends) <= per_cell else sends[: max(per_cell - 1, 0)]
    for s in shown:  # names only: the times are in the list below the grid
        lines.append(Text(s.name, style=style, no_wrap=True, overflow="ellipsis"))
    if not shown and sends:
        lines.append(Text(ngettext("{n} send", "{n} sends", len(sends)).format(n=len(sends))))
    elif len(shown) < len(sends):
        lines.append(Text(_("+{n} more").format(n=len(sends) - len(shown)), style="dim"))
    if pad:  # no lines between weeks: every week the same height keeps the grid readable
        lines += [Text("")] * (per_cell + 1 - len(lines))
    return Text("\n").join(lines)


def month_grid(
    month: Month,
    today: date | None = None,
    selected: date | None = None,
    per_cell: int = PER_CELL,
    lines: bool = True,
) -> Table:
    """Monday-first weeks; each day shows up to `per_cell` sends by name, ⚠ when crowded."""
    grid = Table(
        title=month.label, show_lines=lines, expand=True, padding=(0, 0), title_justify="left"
    )
    for name in WEEKDAYS:
        grid.add_column(_(name), ratio=1, no_wrap=True, overflow="ellipsis")
    for week in month.weeks:
        grid.add_row(*(_cell(month, d, today, selected, per_cell, not lines) for d in week))
    return grid


def send_line(s: Send) -> Text:
    """`11-21 Sat 09:00  name  line · segment · draft` for one send."""
    when = (
        f"{s.at.strftime('%m-%d')} {_(WEEKDAYS[s.at.weekday()])} {s.at.strftime('%H:%M %z')}"
        if s.at
        else _("on export")
    )
    state = s.status_text
    return Text.assemble(
        (when, "bold"), "  ", s.name, (f"  {s.channel} · {s.segment} · {state}", "dim")
    )


def crowded_lines(month: Month) -> list[Text]:
    """One warning per day that sends twice or more on one channel."""
    return [
        Text(
            "⚠ "
            + _("{day}: {n} campaigns on {channel} the same day").format(
                day=day.strftime("%m-%d"),
                n=sum(1 for s in month.by_day[day] if s.channel == ch),
                channel=ch,
            ),
            style="yellow",
        )
        for day, chans in sorted(month.crowded.items())
        for ch in chans
    ]
