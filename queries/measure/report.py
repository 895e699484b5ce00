"""A measure result as a Markdown summary a marketer pastes into a report, and as text bars.

Pure text: the TUI results screen and `kizuna measure --markdown` call the same functions.
"""

from __future__ import annotations

from queries.measure.effect import TREATED, MeasureResult


def _pct(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v * 100:+.1f} pt" if signed else f"{v * 100:.1f}%"


def _money(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:+,.0f}" if signed else f"{v:,.0f}"


def _p(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f}" if v >= 0.001 else "< 0.001")


def verdict(r: MeasureResult) -> str:
    """One sentence: did it work?"""
    e = r.effect
    lo, hi = e.get("ci_low"), e.get("ci_high")
    if lo is None or hi is None:
        return "Not measurable: there is no holdout to compare with."
    if lo > 0:
        head = "It worked: treated customers converted more than the holdout"
    elif hi < 0:
        head = "It backfired: treated customers converted less than the holdout"
    else:
        head = "No clear effect: the difference could be chance"
    return (
        f"{head} ({_pct(e['conversion_diff'], True)}, 95% interval "
        f"{_pct(lo, True)} to {_pct(hi, True)})."
    )


def markdown(r: MeasureResult) -> str:
    """The results as Markdown: verdict, per-arm table, effect, checks, warnings."""
    e, c, ch = r.effect, r.cuped, r.checks
    out = [
        f"## {r.campaign}: results (export {r.export_id})",
        "",
        f"Window {r.window_from} – {r.window_to}"
        + ("" if r.complete else f" (**partial**: observed to {r.observed_to})")
        + f"; snapshot as of {r.snapshot_as_of}.",
        "",
        f"**{verdict(r)}**",
        "",
    ]
    out += [f"> ⚠ {n}" for n in r.notes]
    if r.notes:
        out.append("")
    out += [
        "| arm | people | converters | conversion | orders | revenue | revenue/person "
        "| coupons used |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for a in r.arms:
        name = f"**{a.arm}**" if a.arm == TREATED else a.arm
        out.append(
            f"| {name} | {a.people:,} | {a.converters:,} | {_pct(a.conversion_rate)} "
            f"| {a.orders:,} | {_money(a.revenue)} | {_money(a.revenue_per_person)} "
            f"| {a.redemptions:,} |"
        )
    out += [
        "",
        "| treated − holdout | estimate | 95% interval | p | CUPED estimate | CUPED interval |",
        "|---|--:|--:|--:|--:|--:|",
        f"| conversion | {_pct(e['conversion_diff'], True)} | {_pct(e['ci_low'], True)} to "
        f"{_pct(e['ci_high'], True)} | {_p(e['p_value'])} | {_pct(c['conversion_diff'], True)} "
        f"| {_pct(c['ci_low'], True)} to {_pct(c['ci_high'], True)} |",
        f"| revenue per person | {_money(e['revenue_per_person_diff'], True)} "
        f"| {_money(e['rpp_ci_low'], True)} to {_money(e['rpp_ci_high'], True)} "
        f"| {_p(e['rpp_p_value'])} | {_money(c['revenue_per_person_diff'], True)} "
        f"| {_money(c['rpp_ci_low'], True)} to {_money(c['rpp_ci_high'], True)} |",
        "",
    ]
    lift = e.get("relative_lift")
    lines = [
        f"- Relative lift in conversion: {'—' if lift is None else f'{lift * 100:+.0f}%'}",
        f"- Incremental revenue: {_money(e.get('incremental_revenue'), True)}",
    ]
    if "coupon_cost" in e:
        lines.append(
            f"- Coupon cost: {_money(e['coupon_cost'])} "
            f"(value {_money(e['coupon_value'])}); net {_money(e.get('net'), True)}"
        )
    lines.append(
        f"- Checks: sample ratio p = {_p(ch['srm_p_value'])}; before the send "
        f"({ch['pre_period']['from']} – {ch['pre_period']['to']}) treated − holdout "
        f"{_pct(ch['pre_period_conversion_diff'], True)} (p = {_p(ch['pre_period_p_value'])})"
    )
    return "\n".join(out + lines) + "\n"


def bar(value: float, low: float | None, high: float | None, scale: float, width: int) -> str:
    """A text bar: █ up to `value`, ├──┤ spanning the interval; the same in colour or not."""
    cells = [" "] * (width + 1)
    pos = lambda v: max(0, min(width, round(v / scale * width))) if scale > 0 else 0  # noqa: E731
    for i in range(pos(value)):
        cells[i] = "█"
    if low is not None and high is not None:
        lo, hi = pos(low), pos(high)
        for i in range(lo, hi + 1):
            if cells[i] == " ":
                cells[i] = "─"
        cells[lo], cells[hi] = "├", "┤"
    return "".join(cells).rstrip()
