"""`kizuna calendar`: the campaigns' send times on a month grid (the TUI's calendar, in a shell)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from queries.core.i18n import _
from queries.handoff.calendar import first_month, month_of, parse_month, workspace_sends
from tui.calendar_view import crowded_lines, month_grid, send_line
from tui.cli.main import JsonOpt, WorkspaceOpt, _json, app, err, guarded, out, session


@app.command(help=_("Show the campaigns' send times on a month calendar."))
def calendar(
    month: Annotated[
        str | None,
        typer.Option(
            "--month", help=_("The month, like 2026-11 (default: the month of the next send).")
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the campaigns' send times on a month calendar."""

    def body() -> None:
        s = session(workspace, None)
        sends, broken = workspace_sends(s)
        year, mon = parse_month(month) if month else first_month(sends, s.snapshot.as_of)
        m = month_of(sends, year, mon)
        unscheduled = [x for x in sends if x.at is None]
        if as_json:
            data = m.to_dict(unscheduled)
            data["invalid"] = broken
            _json(data)
            return
        out.print(month_grid(m, today=s.snapshot.as_of))
        for line in crowded_lines(m):
            out.print(line)
        for x in m.sends():
            if m.in_month(x.at.date() if x.at else s.snapshot.as_of):
                out.print(send_line(x))
        if not m.sends():
            out.print(Text(_("No campaign sends in {month}.").format(month=m.label), style="dim"))
        for x in unscheduled:
            out.print(send_line(x))
        for stem, problem in broken.items():
            err.print(f"✗ {stem}: {problem}", soft_wrap=True, markup=False)

    guarded(body)
