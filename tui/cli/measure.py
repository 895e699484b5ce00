"""CLI commands that close the loop: `kizuna measure` (did it work?) and `kizuna backtest`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from queries.core.i18n import _
from tui.cli.main import (
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

WindowOpt = Annotated[
    str, typer.Option("--window", help=_("Outcome window after the send: 30d, 2w, 1mo …"))
]


def pct(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v * 100:+.1f} pp" if signed else f"{v * 100:.1f}%"


def money(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:+,.0f}" if signed else f"{v:,.0f}"


def pp_range(v: float | None, lo: float | None, hi: float | None) -> str:
    """`+8.8 [+1.6, +13.0]` in percentage points."""
    f = lambda x: "—" if x is None else f"{x * 100:+.1f}"  # noqa: E731
    return f"{f(v)} [{f(lo)}, {f(hi)}]"


def money_range(v: float | None, lo: float | None, hi: float | None) -> str:
    return f"{money(v, True)} [{money(lo, True)}, {money(hi, True)}]"


def p_text(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f}" if v >= 0.001 else "<0.001")


def print_measure(console: Console, r: Any) -> None:
    """The measure result as tables and sentences (shared with nothing: the TUI has its own)."""
    head = (
        f"{r.campaign}  export {r.export_id}  window {r.window_from} … {r.window_to}"
        f"  (snapshot as of {r.snapshot_as_of})"
    )
    from queries.measure.report import verdict

    console.print(Text(head, style="bold"))
    console.print(Text(verdict(r), style="bold"))
    for note in r.notes:
        console.print(Text("⚠ " + note, style="bold red"))
    t = Table(show_edge=False, title="Per arm", title_justify="left")
    for col in ("arm", "people", "buyers", "rate", "orders", "revenue", "per person", "coupons"):
        t.add_column(col, justify="left" if col == "arm" else "right")
    for a in r.arms:
        t.add_row(
            Text(a.arm, style="bold" if a.arm == "treated" else ""),
            f"{a.people:,}",
            f"{a.converters:,}",
            pct(a.conversion_rate),
            f"{a.orders:,}",
            money(a.revenue),
            money(a.revenue_per_person),
            f"{a.redemptions:,}",
        )
    console.print(t)
    e, c = r.effect, r.cuped
    t = Table(show_edge=False, title="Treated vs holdout (95 % intervals)", title_justify="left")
    t.add_column("")
    t.add_column("raw", justify="right")
    t.add_column("p", justify="right")
    t.add_column("CUPED", justify="right")
    t.add_column("p", justify="right")
    t.add_row(
        "conversion (pp)",
        pp_range(e["conversion_diff"], e["ci_low"], e["ci_high"]),
        p_text(e["p_value"]),
        pp_range(c["conversion_diff"], c["ci_low"], c["ci_high"]),
        p_text(c["p_value"]),
    )
    t.add_row(
        "revenue/person",
        money_range(e["revenue_per_person_diff"], e["rpp_ci_low"], e["rpp_ci_high"]),
        p_text(e["rpp_p_value"]),
        money_range(c["revenue_per_person_diff"], c["rpp_ci_low"], c["rpp_ci_high"]),
        p_text(c["rpp_p_value"]),
    )
    console.print(t)
    lift = e.get("relative_lift")
    lines = [
        f"relative lift {lift * 100:+.0f}%" if lift is not None else "relative lift —",
        f"incremental revenue {money(e.get('incremental_revenue'), True)}",
    ]
    if "coupon_cost" in e:
        lines.append(f"coupon cost {money(e['coupon_cost'])}, net {money(e.get('net'), True)}")
    console.print("  ".join(lines))
    ch = r.checks
    console.print(
        Text(
            _(
                "checks: sample ratio p = {srm_p}; before the send ({start} … "
                "{end}) treated − holdout {diff}, p = {pre_p}; window "
                "{complete}"
            ).format(
                srm_p=p_text(ch["srm_p_value"]),
                start=ch["pre_period"]["from"],
                end=ch["pre_period"]["to"],
                diff=pct(ch["pre_period_conversion_diff"], True),
                pre_p=p_text(ch["pre_period_p_value"]),
                complete="PARTIAL" if ch["partial"] else "complete",
            ),
            style="dim",
        )
    )


@app.command(
    help=_("Did it work? Each arm of an exported campaign over the window after the send.")
)
def measure(
    campaign: Annotated[str, typer.Argument(help=_("Campaign name or file (as exported)."))],
    db: Annotated[
        Path | None,
        typer.Option("--db", help=_("The LATER snapshot, taken after the send, to measure on.")),
    ] = None,
    export: Annotated[
        Path | None, typer.Option("--export", help=_("An export folder (default: the latest)."))
    ] = None,
    window: WindowOpt = "30d",
    coupon_value: Annotated[
        float | None,
        typer.Option(
            "--coupon-value",
            help=_("What one redeemed coupon costs (overrides the campaign's coupon value)."),
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help=_("Print a Markdown summary for a report."))
    ] = False,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Did it work? Each arm of an exported campaign over the window after the send."""
    _check_engine(engine)
    if db is None:
        err.print(_("error: --db LATER is required: the snapshot taken after the send"))
        raise typer.Exit(2)

    def body() -> None:
        from queries.measure.effect import measure as run_measure
        from queries.measure.effect import result_dict

        s = session(workspace, db, None, engine)
        try:
            r = run_measure(s, campaign, export, window, coupon_value)
        finally:
            s.close()
        if as_json:
            _json(result_dict(r))
        elif markdown:
            from queries.measure.report import markdown as as_markdown

            sys.stdout.write(as_markdown(r))
        else:
            print_measure(out, r)
        for note in r.notes if as_json else []:
            err.print(_("warning: {note}").format(note=note), soft_wrap=True)

    guarded(body)


@app.command(help=_("The segment's members on D and what they did on their own over D+1 … D+W."))
def backtest(
    segment: Annotated[str, typer.Argument(help=_("Segment name or file."))],
    as_of: Annotated[str, typer.Option("--as-of", help=_("The day D (YYYY-MM-DD)."))],
    window: WindowOpt = "30d",
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The segment's members on D and what they did on their own over D+1 … D+W."""
    _check_engine(engine)

    def body() -> None:
        from queries.measure.backtest import backtest as run_backtest

        s = session(workspace, db, as_of, engine)
        try:
            b = run_backtest(s, s.segment(segment), window)
        finally:
            s.close()
        if as_json:
            _json(b.to_dict())
            return
        print_backtest(out, b)

    guarded(body)


def print_backtest(console: Console, b: Any) -> None:
    console.print(
        Text(
            _("{segment}: members on {as_of}, what they did {window_from} … {window_to}").format(
                segment=b.segment, as_of=b.as_of, window_from=b.window_from, window_to=b.window_to
            ),
            style="bold",
        )
    )
    if not b.complete:
        console.print(
            Text(
                _(
                    "⚠ PARTIAL WINDOW: the snapshot ends on {observed_to}; later days are missing"
                ).format(observed_to=b.observed_to),
                style="bold red",
            )
        )
    t = Table(show_edge=False)
    for col in ("", "people", "converters", "conv. rate", "orders", "revenue", "rev/person"):
        t.add_column(col, justify="left" if not col else "right")
    for label, o in (("segment", b.segment_outcome), ("all customers", b.base_outcome)):
        t.add_row(
            label,
            f"{o.people:,}",
            f"{o.converters:,}",
            pct(o.conversion_rate),
            f"{o.orders:,}",
            money(o.revenue),
            money(o.revenue_per_person),
        )
    console.print(t)
    console.print(
        Text(
            _("The baseline a campaign to this segment must beat (no campaign involved)."),
            style="dim",
        )
    )
