"""CLI commands for the handoff: `kizuna approve` and `kizuna export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from queries.campaigns.funnel import Funnel, labels
from queries.campaigns.model import Campaign, find_campaign
from queries.campaigns.parse import load_campaign
from queries.core.i18n import _
from queries.core.workspace import Workspace, load_workspace
from queries.engines.jobs import Job
from queries.handoff.approval import AudienceChanges, Review, approve, review
from queries.handoff.approval_record import Approval
from queries.handoff.checks import previous_export
from queries.handoff.export.manifest import Manifest
from queries.handoff.export.run import ExportResult, export_file
from queries.handoff.refusals import PreflightFailed, SendTimePassed
from tui.cli.campaign import print_preflight
from tui.cli.main import (
    AsOfOpt,
    DbOpt,
    EngineOpt,
    JsonOpt,
    WorkspaceOpt,
    _check_engine,
    _json,
    app,
    demo_note,
    err,
    guarded,
    out,
    session,
)


def print_funnel(console: Console, f: Funnel) -> None:
    """The policy funnel as a table; a policy switched off is shown loudly."""
    t = Table(show_edge=False, title="Policy funnel", title_justify="left")
    t.add_column("step")
    t.add_column("count", justify="right")
    t.add_column("removed", justify="right")
    t.add_row("all customers", f"{f.base:,}", "")
    for s in f.steps:
        style = "bold red" if s.off else ""  # "" is Text's own default: no style
        t.add_row(
            Text(s.label, style=style), f"{s.count:,}", f"−{s.removed:,}" if s.removed else ""
        )
        for reason, n in s.by_reason.items():
            t.add_row(Text(f"  {reason}", style="dim"), "", Text(f"−{n:,}", style="dim"))
    arms = ", ".join(f"{k} {v:,}" for k, v in f.arms.items())
    t.add_row(
        Text(
            _("→ recipients {recipients}; arms: {arms}").format(
                recipients=format(f.recipients, ","), arms=arms
            ),
            style="bold",
        ),
        "",
        "",
    )
    console.print(t)
    if f.policies_off:
        names = ", ".join(f.policies_off)
        console.print(
            Text(
                _("⚠ policies switched OFF in the campaign file: {names}").format(names=names),
                style="bold red",
            )
        )


def print_changes(console: Console, ch: AudienceChanges | None, f: Funnel) -> None:
    """Who entered and left the recipients since the last export."""
    if ch is None:
        console.print(Text(_("No earlier export of this campaign: everyone is new."), style="dim"))
        return
    head = f"Since the last export ({ch.last_export}, {ch.previous:,} recipients): "
    console.print(Text(head + f"+{ch.entered:,} entered, −{ch.left:,} left", style="bold"))
    if ch.entered_ids:
        console.print(
            Text(
                "  entered: "
                + ", ".join(ch.entered_ids)
                + (" …" if ch.entered > len(ch.entered_ids) else ""),
                style="dim",
            )
        )
    names = labels(f.query.campaign) if f.query is not None else {}
    for step, n in ch.left_by_step.items():
        why = "no longer in the segment" if step == "segment" else names.get(step, step)
        console.print(Text(_("  left: {n} — {why}").format(n=format(n, ","), why=why), style="dim"))
    if ch.left_ids:
        console.print(
            Text(
                "  left: " + ", ".join(ch.left_ids) + (" …" if ch.left > len(ch.left_ids) else ""),
                style="dim",
            )
        )


def print_handoff_notes(console: Console, m: Manifest) -> None:
    """What the export replaced, a send time forced past, a file without the messages."""
    if m.send_at_passed:
        console.print(Text(_("⚠ forced past a send_at already in the past"), style="bold red"))
    prev = m.replaces
    if prev:
        console.print(
            Text(
                _(
                    "Replaces the export of {when} ({recipients} recipients, {export_id}): "
                    "upload only this one"
                ).format(
                    when=prev["when"],
                    recipients=format(prev["recipients"], ","),
                    export_id=prev["export_id"],
                ),
                style="yellow",
            )
        )
    if m.messages_note:
        console.print(
            Text(_("Note: {messages_note}").format(messages_note=m.messages_note), style="yellow")
        )


def print_measurability(console: Console, rv: Review) -> None:
    """What the holdout can detect (the MDE), in yellow when it is too small."""
    m = rv.measurability
    if m is not None:
        console.print(Text(m.sentence(), style="bold yellow" if m.too_small else "dim"))


def _load(s: Any, ref: str) -> Campaign:
    return load_campaign(find_campaign(ref, s.ws.campaigns_dir), s.catalog, s.ws.root, s.store)


def _review(s: Any, c: Campaign, job: Job) -> Review:
    if not err.is_terminal:
        return review(s, c, job)
    with Progress(
        TextColumn("preflight"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("render", total=None)
        return review(s, c, job, lambda done, total: bar.update(task, completed=done, total=total))


@app.command(
    "approve",
    help=_("Review a campaign (funnel, preflight, who entered and left) and record its approval."),
)
def approve_cmd(
    campaign: Annotated[str, typer.Argument(help=_("Campaign file or name in the workspace."))],
    by: Annotated[str, typer.Option("--by", help=_("Who approves (recorded with the approval)."))],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help=_("Approve despite preflight problems or a send_at already past (recorded)."),
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Review a campaign (funnel, preflight, who entered and left) and record its approval."""
    if not by.strip():
        err.print(_("error: --by needs the approver's name"))
        raise typer.Exit(2)

    _check_engine(engine)

    def body() -> None:
        s = session(workspace, db, as_of, engine)
        c = _load(s, campaign)
        job = Job()
        try:
            rv = _review(s, c, job)
        except KeyboardInterrupt:
            job.cancel()
            raise
        if not as_json:
            how = f"{c.how.channel} → {c.how.destination}"
            out.print(Text(f"{c.name}  ({c.stem}, {how}, as of {rv.funnel.as_of})", style="bold"))
            print_funnel(out, rv.funnel)
            print_changes(out, rv.changes, rv.funnel)
            print_measurability(out, rv)
            if rv.previous and rv.definition_changes:
                out.print(
                    Text(
                        "Changed since the last approval: " + "; ".join(rv.definition_changes),
                        style="yellow",
                    )
                )
            print_preflight(out, rv.preflight)
        ask = not yes and not as_json and sys.stdin.isatty() and (rv.preflight.ok or force)
        if ask and not typer.confirm(f"Approve `{c.stem}` as {by}?", default=False):
            err.print(_("not approved"))
            raise typer.Exit(1)
        try:
            rec = approve(s, rv, by, force)
        except (PreflightFailed, SendTimePassed):
            if as_json:
                _json(_review_json(rv, None))
            raise
        if as_json:
            _json(_review_json(rv, rec))
        else:
            note = " (preflight problems overridden)" if rec.overridden else ""
            fp = rec.sha256[:12]
            from queries.handoff.audit import who_text

            signed = f"{rec.approved_by} ({who_text(rec.who)})"
            msg = f"Approved by {signed} at {rec.approved_at}{note}; fingerprint {fp}"
            out.print(Text(msg, style="bold green"))

    guarded(body)


def _review_json(rv: Review, rec: Approval | None) -> dict[str, Any]:
    return {
        "campaign": rv.campaign.stem,
        "approved": rec is not None,
        "count": rv.funnel.recipients,
        "funnel": rv.funnel.to_dict(),
        "changes": rv.changes.to_dict() if rv.changes else None,
        "definition_changes": rv.definition_changes,
        "preflight": rv.preflight.to_dict(),
        "measurability": rv.measurability.to_dict() if rv.measurability else None,
        "approval": rec.to_dict() if rec is not None else None,
    }


def _waiting(text: str) -> None:
    """Another export in the workspace holds the lock: say whose, and how to stop waiting."""
    err.print(_("{text}; Ctrl-C stops waiting").format(text=text), soft_wrap=True)


def _export(ws: Workspace, path: Path, **kw: Any) -> ExportResult:
    kw.setdefault("waiting", _waiting)
    kw.setdefault("notice", lambda msg: err.print(escape(msg)))
    if not err.is_terminal:
        return export_file(ws, path, **kw)
    cols = (
        TextColumn("export"),
        BarColumn(),
        MofNCompleteColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*cols, console=err, transient=True) as bar:
        task = bar.add_task("rows", total=None)
        return export_file(
            ws, path, progress=lambda d, t: bar.update(task, completed=d, total=t), **kw
        )


@app.command(
    "export",
    help=_("Write the approved campaign's audience, holdout, campaign.json and manifest.json."),
)
def export_cmd(
    campaign: Annotated[str, typer.Argument(help=_("Campaign file or name in the workspace."))],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help=_("Exports folder (default: exports/)."))
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help=_(
                "Export even if the count drifted past drift_limit or send_at is already "
                "past (recorded)."
            ),
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help=_(
                "Export a campaign that was exported before (replaces that handoff; asked "
                "interactively when stdin is a terminal)."
            ),
        ),
    ] = False,
    no_messages: Annotated[
        bool,
        typer.Option("--no-messages", help=_("Leave rendered messages out of the audience file.")),
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the approved campaign's audience, holdout, campaign.json and manifest.json."""

    _check_engine(engine)

    def body() -> None:
        # files only: the worker process opens the engine, checks and writes (no session here)
        demo_note(workspace)
        ws = load_workspace(workspace, db, as_of)
        path = find_campaign(campaign, ws.campaigns_dir)
        prev = previous_export(ws, path.stem)
        again = replace
        if prev is not None and not again and not as_json and sys.stdin.isatty():
            again = typer.confirm(
                f"`{path.stem}` was exported before: {prev.describe()}. Export again and replace "
                "that handoff?",
                default=False,
            )
            if not again:
                err.print(_("not exported"))
                raise typer.Exit(1)
        res = _export(
            ws,
            path,
            engine=engine,
            out=out_dir,
            force=force,
            messages=False if no_messages else None,
            replace=again,
        )
        m = res.manifest
        if as_json:
            _json({"count": res.recipients, **res.to_dict()})
            return
        msg = f"Exported {res.recipients:,} recipients (+{res.holdout:,} holdout) to {res.folder}"
        out.print(Text(msg, style="bold green"))
        t = Table(show_edge=False)
        for col in ("file", "rows", "bytes", "sha256"):
            t.add_column(col, justify="right" if col in ("rows", "bytes") else "left")
        for f in res.files:
            rows = "" if f.rows is None else f"{f.rows:,}"
            t.add_row(f.name, rows, f"{f.bytes:,}", f.sha256[:16] + "…")
        out.print(t)
        if m.policies_off:
            out.print(
                Text("⚠ policies switched OFF: " + ", ".join(m.policies_off), style="bold red")
            )
        if m.forced and m.drift["percent"] > m.drift["limit"]:
            d = m.drift
            moved = f"{d['approved']:,} approved → {d['now']:,} ({d['percent']}%)"
            out.print(
                Text(_("⚠ forced past drift_limit: {moved}").format(moved=moved), style="bold red")
            )
        print_handoff_notes(out, m)

    guarded(body)
