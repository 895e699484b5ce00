"""`kizuna check`: print the workspace mapping read against the snapshot."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from queries.campaigns.check import CheckReport, check
from queries.core.i18n import _
from queries.core.workspace import load_workspace
from tui.cli.main import DbOpt, JsonOpt, WorkspaceOpt, _json, app, err, guarded, out


def print_check(r: CheckReport) -> None:
    """Tables found (physical names), what is unavailable and why, channels, errors."""
    out.print(Text(_("snapshot {snapshot}").format(snapshot=r.snapshot), style="bold"))
    t = Table(show_edge=False, title="Tables", title_justify="left")
    for col in ("table", "found as", "columns", "missing (why)"):
        t.add_column(col, overflow="fold")
    for tr in r.tables:
        if tr.physical is None:
            t.add_row(tr.name, Text("—"), "", Text(tr.why or ""), style="dim")
            continue
        cols = ", ".join(c if p == c else f"{c}={p}" for c, p in tr.found.items())
        false = [c for c, why in tr.missing.items() if why.startswith("mapped to false")]
        absent = [c for c in tr.missing if c not in false]
        miss = "; ".join(
            part
            for part in (
                f"not in {tr.physical}: {', '.join(absent)}" if absent else "",
                f"mapped to false: {', '.join(false)}" if false else "",
            )
            if part
        )
        t.add_row(tr.name, Text(tr.physical), Text(cols), Text(miss))
    out.print(t)
    out.print(
        Text(
            _("{available} customer fields available").format(available=r.available), style="green"
        )
    )
    if r.fields or r.events or r.event_fields:
        u = Table(show_edge=False, title="Unavailable", title_justify="left")
        u.add_column("field or event")
        u.add_column("why")
        for name, why in {**r.fields, **r.events, **r.event_fields}.items():
            u.add_row(name, Text(why))
        out.print(u)
    for ch, refusal in r.channels.items():
        out.print(Text(f"{ch}: " + ("can be used" if refusal is None else f"refused — {refusal}")))
    for e in r.errors:
        err.print(_("[bold red]error:[/] {e}").format(e=escape(e)), soft_wrap=True)


@app.command(
    name="check",
    help=_("Read the workspace mapping against the snapshot: found, unavailable and why, errors."),
)
def check_cmd(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Read the workspace mapping against the snapshot: found, unavailable and why, errors."""

    def body() -> None:
        report = check(load_workspace(workspace, db))
        if as_json:
            _json(report.to_dict())
        else:
            print_check(report)
        if not report.ok:
            raise typer.Exit(1)

    guarded(body)
