"""CLI commands for campaigns: preview (approve and export come with their issues)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import ENCODINGS, Campaign, find_campaign
from queries.campaigns.parse import load_campaign
from queries.campaigns.personalize import is_html
from queries.campaigns.preflight import preflight
from queries.campaigns.preview import Preview, html_to_text
from queries.campaigns.preview import preview as build_preview
from queries.core.i18n import _
from queries.engines.jobs import Job
from tui.cli.main import (
    AsOfOpt,
    DbOpt,
    EngineOpt,
    JsonOpt,
    WorkspaceOpt,
    _check_engine,
    _json,
    app,
    err,
    guarded,
    out,
    session,
)


def _summary(c: Campaign, p: Preview, encoding: str | None) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    who = f"segment {c.who.segment}" if c.who.segment else "inline where"
    if c.who.exclude:
        who += f", minus {len(c.who.exclude)} exclusion(s)"
    t.add_row("who", Text(who))
    how = f"{c.how.channel} → {c.how.destination} ({encoding or c.encoding})"
    t.add_row("how", Text(how))
    when = c.when.send_at.isoformat() if c.when.send_at else "on export"
    if c.when.quiet_hours:
        when += f", quiet {c.when.quiet_hours[0]}–{c.when.quiet_hours[1]}"
    t.add_row("when", Text(when))
    shares = c.plan().shares()
    what = ", ".join(f"{k} {v:g}%" for k, v in shares.items())
    if c.coupon:
        what += "; coupon " + (
            f"pool {c.coupon.pool_file}"
            if c.coupon.pool_file
            else f"{c.coupon.prefix}+{c.coupon.length}"
        )
    t.add_row("what", Text(what))
    t.add_row("as of", str(p.as_of))
    return t


def _funnel(p: Preview) -> Table:
    t = Table(show_edge=False, title="Audience", title_justify="left")
    t.add_column("step")
    t.add_column("count", justify="right")
    t.add_column("removed", justify="right")
    t.add_row("all customers", f"{p.base:,}", "")
    for s in p.funnel:
        t.add_row(Text(s.label), f"{s.count:,}", f"−{s.removed:,}")
    arms = ", ".join(f"{k} {v:,}" for k, v in p.arms.items())
    t.add_row(Text(_("→ arms: {arms}").format(arms=arms), style="dim"), "", "")
    return t


def _message(s: Any, raw: bool) -> Panel:
    values = ", ".join(f"{k}={v!s}" for k, v in s.values.items() if v is not None)
    body: list[Any] = [Text(values, style="dim")]
    for variant, parts in s.messages.items():
        mark = " (assigned)" if variant == s.arm else ""
        body.append(
            Text(
                _("── variant {variant}{mark}").format(variant=variant, mark=mark),
                style="bold cyan",
            )
        )
        for part, r in parts.items():
            if r.error:
                body.append(
                    Text(_("{part}: error: {error}").format(part=part, error=r.error), style="red")
                )
                continue
            text = r.text or ""
            if part == "body" and not raw and is_html(text):
                text = html_to_text(text)
            style = "red" if r.over else "dim"
            body.append(Text.assemble((f"{part} ", "bold"), (f"[{r.size}]", style)))
            body.append(Text(text))
            if r.fallbacks:
                body.append(Text("fallback used: " + "; ".join(r.fallbacks), style="yellow"))
            if r.unencodable:
                body.append(
                    Text(
                        _("cannot encode: {unencodable}").format(
                            unencodable=" ".join(r.unencodable)
                        ),
                        style="red",
                    )
                )
    title = f"{s.customer_id} · {s.arm}"
    return Panel(Group(*body), title=Text(title), title_align="left")


def print_preflight(console: Console, r: PreflightReport) -> None:
    """The preflight report: blocking findings, fallbacks, sizes, distinct messages."""
    head = Text(_("Preflight "), style="bold")
    head.append("OK" if r.ok else "PROBLEMS", style="bold green" if r.ok else "bold red")
    head.append(
        f"  {r.recipients:,} recipients rendered in {r.elapsed:.1f}s"
        f" ({r.rate:,.0f}/s), holdout {r.holdout:,}",
        style="dim",
    )
    console.print(head)
    for f in r.findings:
        where = ".".join(x for x in (f.variant, f.part) if x)
        who = ", ".join(f.customers) + (" …" if f.count > len(f.customers) else "")
        console.print(
            Text.assemble(
                ("  ✗ ", "red"),
                (f"{f.kind}", "bold"),
                f" {where}: ",
                f.detail,
                f" — {f.count:,} recipient(s): ",
                (who, "dim"),
            )
        )
    for f in r.warnings:  # formula-like values, some blank variables: reported, not blocking
        where = ".".join(x for x in (f.variant, f.part) if x)
        who = ", ".join(f.customers) + (" …" if f.count > len(f.customers) else "")
        console.print(
            Text.assemble(
                ("  ! ", "yellow"),
                (f"{f.kind}", "bold"),
                f" {where}: " if where else " ",
                f"{f.detail} — {f.count:,} recipient(s): ",
                (who, "dim"),
            )
        )
    for fb in r.fallbacks:
        pct = 100 * fb.count / r.recipients if r.recipients else 0
        console.print(
            Text(
                _("  fallback {variant}.{part} {label} (line {line}): {count} ({pct}%)").format(
                    variant=fb.variant,
                    part=fb.part,
                    label=fb.label,
                    line=fb.line,
                    count=format(fb.count, ","),
                    pct=format(pct, ".1f"),
                ),
                style="yellow" if fb.count else "dim",
            )
        )
    for note in r.notes:
        console.print(Text(_("  Note: {note}").format(note=note), style="yellow"))
    sizes = ", ".join(f"{p} max {n:,}/{lim:,} {u}" for p, (n, u, lim) in r.largest.items())
    distinct = ", ".join(f"{p} {n:,}" for p, n in r.distinct.items())
    console.print(
        Text(
            _("  sizes: {sizes}; distinct messages: {distinct}").format(
                sizes=sizes, distinct=distinct
            ),
            style="dim",
        )
    )
    if r.coupon_collisions:
        console.print(
            Text(
                _("  coupon collisions resolved: {coupon_collisions}").format(
                    coupon_collisions=r.coupon_collisions
                ),
                style="dim",
            )
        )


def _progress_preflight(s: Any, c: Campaign, job: Job, encoding: str | None) -> PreflightReport:
    if not err.is_terminal:
        return preflight(s, c, job, encoding=encoding)
    with Progress(
        TextColumn("preflight"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("render", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return preflight(s, c, job, progress, encoding=encoding)


@app.command(
    help=_("Preview a campaign: 3W1H, audience, sample messages per variant, and the preflight.")
)
def preview(
    campaign: Annotated[str, typer.Argument(help=_("Campaign file or name in the workspace."))],
    n: Annotated[
        int, typer.Option("-n", help=_("How many sample recipients."), min=0, max=100)
    ] = 5,
    customer: Annotated[
        str | None, typer.Option("--customer", help=_("Render for this customer id instead."))
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    unmask: Annotated[
        bool, typer.Option("--unmask", help=_("Show personal data in clear."))
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help=_("Show HTML bodies as HTML."))] = False,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help=_("Check another export encoding: utf-8 or cp932.")),
    ] = None,
    no_preflight: Annotated[
        bool, typer.Option("--no-preflight", help=_("Skip rendering for every recipient."))
    ] = False,
    engine: EngineOpt = None,
) -> None:
    """Preview a campaign: 3W1H, audience, sample messages per variant, and the preflight."""
    if encoding is not None and encoding not in ENCODINGS:
        err.print(
            _("error: unknown encoding `{encoding}`; use {encodings}").format(
                encoding=encoding, encodings=" or ".join(ENCODINGS)
            )
        )
        raise typer.Exit(2)

    _check_engine(engine)

    def body() -> None:
        s = session(workspace, db, as_of, engine)
        path = find_campaign(campaign, s.ws.campaigns_dir)
        c = load_campaign(path, s.catalog, s.ws.root, s.store)
        job = Job()
        try:
            p = build_preview(s, c, n, customer, unmask, job, encoding)
            report = None if no_preflight else _progress_preflight(s, c, job, encoding)
        except KeyboardInterrupt:
            job.cancel()
            raise
        if as_json:
            _json(_preview_json(p, report))
            return
        out.print(
            Panel(_summary(c, p, encoding), title=Text(c.name, style="bold"), title_align="left")
        )
        out.print(_funnel(p))
        for off in p.policies_off:
            out.print(Text(_("⚠ POLICY OFF: {off}").format(off=off), style="bold reverse red"))
        for note in p.notes:
            out.print(Text(_("Note: {note}").format(note=note), style="yellow"))
        for sm in p.samples:
            out.print(_message(sm, raw))
        if report is not None:
            print_preflight(out, report)

    guarded(body)


def _preview_json(p: Preview, report: PreflightReport | None) -> dict[str, Any]:
    c = p.campaign
    return {
        "campaign": c.name,
        "file": str(c.path) if c.path else None,
        "as_of": str(p.as_of),
        "channel": c.how.channel,
        "destination": c.how.destination,
        "send_at": c.when.send_at.isoformat() if c.when.send_at else None,
        "count": p.audience,
        "base": p.base,
        "funnel": [vars(s) for s in p.funnel],
        "policies_off": p.policies_off,
        "notes": p.notes,
        "arms": p.arms,
        "samples": [
            {
                "customer_id": s.customer_id,
                "arm": s.arm,
                "member": s.member,
                "values": s.values,
                "messages": {
                    v: {part: vars(r) for part, r in parts.items()}
                    for v, parts in s.messages.items()
                },
            }
            for s in p.samples
        ],
        "preflight": report.to_dict() if report else None,
    }
