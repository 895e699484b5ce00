"""Did it work? Compare each arm of an exported campaign over the outcome window (効果測定).

`measure(session, campaign)` reads the campaign's export (who was treated, who was held out,
which coupon each got, the send day S) and the session's snapshot, a later one than the
export's, and reports per arm what people did over the days S … S+W−1, treated against
holdout with intervals and p-values (raw and CUPED-adjusted), and the checks that say whether
to trust it: sample-ratio mismatch, the W days before S, and a window not complete yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from queries.campaigns.assignment import HOLDOUT
from queries.core.timewin import Window, add_months
from queries.engines.jobs import Job
from queries.measure import stats as st
from queries.measure.exported import ExportRecord, MeasureError, find_export, read_export
from queries.measure.outcomes import Windows, members_relation, person_query, run_arms, run_people
from queries.query.session import Session

TREATED = "treated"


class PerPerson:
    """Rates per person from a group's counts: one definition for arms and backtests."""

    people: int
    converters: int
    orders: int
    revenue: float

    @property
    def conversion_rate(self) -> float:
        return self.converters / self.people if self.people else 0.0

    @property
    def revenue_per_person(self) -> float:
        return self.revenue / self.people if self.people else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "converters": self.converters,
            "conversion_rate": round(self.conversion_rate, 6),
            "orders": self.orders,
            "revenue": self.revenue,
            "revenue_per_person": round(self.revenue_per_person, 2),
        }


@dataclass(frozen=True)
class ArmResult(PerPerson):
    """What one arm did over the window (and converters over the pre-period)."""

    arm: str
    people: int
    converters: int
    orders: int
    revenue: float
    redemptions: int
    pre_converters: int = 0
    pre_revenue: float = 0

    def to_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, **self.figures(), "redemptions": self.redemptions}


@dataclass
class MeasureResult:
    """Everything `kizuna measure` prints, and the TUI results screen shows."""

    campaign: str
    export_id: str
    export_folder: Path
    snapshot_as_of: date
    window_from: date
    window_to: date
    window_days: int
    observed_to: date
    arms: list[ArmResult]
    effect: dict[str, Any]
    cuped: dict[str, Any]
    checks: dict[str, Any]
    coupon_value: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.observed_to >= self.window_to

    def arm(self, name: str) -> ArmResult | None:
        return next((a for a in self.arms if a.arm == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of `kizuna measure --json` (see docs/measure.md)."""
        return {
            "campaign": self.campaign,
            "export": self.export_id,
            "snapshot_as_of": self.snapshot_as_of.isoformat(),
            "window": {
                "from": self.window_from.isoformat(),
                "to": self.window_to.isoformat(),
                "complete": self.complete,
                "observed_to": self.observed_to.isoformat(),
                "days": self.window_days,
            },
            "arms": [a.to_dict() for a in self.arms],
            "treated_vs_holdout": {**self.effect, "cuped": self.cuped},
            "checks": self.checks,
        }


def window_days(text: str) -> Window:
    try:
        w = Window.parse(text)
    except ValueError as exc:
        raise MeasureError(f"--window: {exc}") from None
    return w


def forward(start: date, w: Window) -> date:
    """The last day of a window of `w` starting on `start`."""
    if w.unit in ("d", "w"):
        return start + timedelta(days=w.n * (7 if w.unit == "w" else 1) - 1)
    return add_months(start, w.n if w.unit == "mo" else 12 * w.n) - timedelta(days=1)


def backward(end_excl: date, w: Window) -> date:
    """The first day of a window of `w` ending the day before `end_excl`."""
    return w.start(end_excl - timedelta(days=1))


def _r(v: float | None, digits: int = 6) -> float | None:
    return None if v is None else round(v, digits)


def _effect(
    t: ArmResult, h: ArmResult, rev_t: list[float], rev_h: list[float], coupon_value: float | None
) -> dict[str, Any]:
    conv = st.proportion_diff(t.converters, t.people, h.converters, h.people)
    rpp = st.mean_diff(rev_t, rev_h)
    lift = (
        conv.diff / h.conversion_rate if conv.diff is not None and h.conversion_rate > 0 else None
    )
    incremental = rpp.diff * t.people if rpp.diff is not None else None
    out: dict[str, Any] = {
        "conversion_diff": _r(conv.diff),
        "ci_low": _r(conv.low),
        "ci_high": _r(conv.high),
        "p_value": _r(conv.p_value),
        "relative_lift": _r(lift, 4),
        "revenue_per_person_diff": _r(rpp.diff, 2),
        "rpp_ci_low": _r(rpp.low, 2),
        "rpp_ci_high": _r(rpp.high, 2),
        "rpp_p_value": _r(rpp.p_value),
        "incremental_revenue": _r(incremental, 0),
    }
    if coupon_value is not None:
        cost = coupon_value * t.redemptions
        out["coupon_value"] = coupon_value
        out["coupon_cost"] = _r(cost, 2)
        out["net"] = _r(incremental - cost, 0) if incremental is not None else None
    return out


def _cuped(people: list[tuple]) -> dict[str, Any]:
    treated = [0 if p[1] == HOLDOUT else 1 for p in people]
    conv = st.cuped(
        [1 if p[2] > 0 else 0 for p in people], treated, [1 if p[5] > 0 else 0 for p in people]
    )
    rev = st.cuped([float(p[3]) for p in people], treated, [float(p[6]) for p in people])
    return {
        "conversion_diff": _r(conv.estimate.diff),
        "ci_low": _r(conv.estimate.low),
        "ci_high": _r(conv.estimate.high),
        "p_value": _r(conv.estimate.p_value),
        "conversion_variance_reduction": _r(conv.variance_reduction, 4),
        "revenue_per_person_diff": _r(rev.estimate.diff, 2),
        "rpp_ci_low": _r(rev.estimate.low, 2),
        "rpp_ci_high": _r(rev.estimate.high, 2),
        "rpp_p_value": _r(rev.estimate.p_value),
        "revenue_variance_reduction": _r(rev.variance_reduction, 4),
    }


def _dedupe(rec: ExportRecord) -> list:
    seen: dict[str, Any] = {}
    for m in rec.members:
        seen.setdefault(m.customer_id, m)
    return list(seen.values())


def measure_export(
    session: Session,
    rec: ExportRecord,
    window: str = "30d",
    coupon_value: float | None = None,
    job: Job | None = None,
) -> MeasureResult:
    """Measure one read export on the session's (later) snapshot."""
    w = window_days(window)
    start = rec.send_day
    end = forward(start, w)
    as_of = session.snapshot.as_of
    if as_of < start:
        raise MeasureError(
            f"the snapshot {session.ws.db_path.name} is as of {as_of}, before `{rec.campaign}` "
            f"was sent ({start}); measure it on a later snapshot (--db LATER)"
        )
    observed = min(end, as_of)
    wins = Windows(start, observed, backward(start, w), start - timedelta(days=1))
    members = _dedupe(rec)
    with members_relation(session, members) as rel:
        person = person_query(session, rel, wins)
        arm_rows = run_arms(session, person.copy(), job)
        people = run_people(session, person, job)
    by_arm = {r[0]: ArmResult(*r) for r in arm_rows}
    order = [HOLDOUT, *rec.variants, *sorted(set(by_arm) - {HOLDOUT, *rec.variants})]
    arms = [
        by_arm.get(a, ArmResult(a, 0, 0, 0, 0, 0))
        for a in order
        if a in by_arm or a == HOLDOUT or a in rec.variants
    ]
    treated = [a for a in arms if a.arm != HOLDOUT]
    total = ArmResult(
        TREATED,
        *(
            sum(getattr(a, f) for a in treated)
            for f in (
                "people",
                "converters",
                "orders",
                "revenue",
                "redemptions",
                "pre_converters",
                "pre_revenue",
            )
        ),
    )
    hold = by_arm.get(HOLDOUT, ArmResult(HOLDOUT, 0, 0, 0, 0, 0))
    value = coupon_value if coupon_value is not None else rec.coupon_value
    rev_t = [float(p[3]) for p in people if p[1] != HOLDOUT]
    rev_h = [float(p[3]) for p in people if p[1] == HOLDOUT]
    effect = _effect(total, hold, rev_t, rev_h, value)
    pre = st.proportion_diff(total.pre_converters, total.people, hold.pre_converters, hold.people)
    sizes = {a.arm: a.people for a in arms}
    checks = {
        "srm_p_value": _r(st.srm_p_value(sizes, rec.shares)),
        "pre_period_conversion_diff": _r(pre.diff),
        "pre_period_p_value": _r(pre.p_value),
        "pre_period": {"from": wins.pre_start.isoformat(), "to": wins.pre_end.isoformat()},
        "partial": observed < end,
    }
    result = MeasureResult(
        campaign=rec.campaign,
        export_id=rec.export_id,
        export_folder=rec.folder,
        snapshot_as_of=as_of,
        window_from=start,
        window_to=end,
        window_days=(observed - start).days + 1,
        observed_to=observed,
        arms=[*arms, total],
        effect=effect,
        cuped=_cuped(people),
        checks=checks,
        coupon_value=value,
    )
    result.notes = warnings_for(result)
    return result


def measure(
    session: Session,
    campaign: str,
    export_dir: Path | None = None,
    window: str = "30d",
    coupon_value: float | None = None,
    exports_root: Path | None = None,
    job: Job | None = None,
) -> MeasureResult:
    """Measure a campaign (a name or a campaign file) against its holdout."""
    stem = Path(campaign).stem if campaign.endswith((".yaml", ".yml")) else campaign
    root = exports_root or session.ws.root / "exports"
    folder = find_export(root, stem, export_dir)
    return measure_export(session, read_export(folder), window, coupon_value, job)


SRM_ALPHA = 0.001  # the usual SRM alarm threshold (the experimentation platforms use 0.001)
PRE_ALPHA = 0.05


def warnings_for(r: MeasureResult) -> list[str]:
    """The sentences a marketer must read before trusting the numbers."""
    out = []
    if not r.complete:
        out.append(
            f"PARTIAL WINDOW: the snapshot ends on {r.observed_to}, so only {r.window_days} of "
            f"the window's days ({r.window_from} … {r.window_to}) are observed; the figures "
            "will change"
        )
    srm = r.checks.get("srm_p_value")
    if srm is not None and srm < SRM_ALPHA:
        out.append(
            f"SAMPLE RATIO MISMATCH (p = {srm:.2g}): the arm sizes are not the configured split; "
            "something removed people from one arm, do not trust the comparison"
        )
    pre = r.checks.get("pre_period_p_value")
    if pre is not None and pre < PRE_ALPHA:
        out.append(
            f"ARMS DIFFER BEFORE THE SEND (p = {pre:.2g}): treated and holdout did not convert "
            "alike in the pre-period; the difference may not be the campaign's"
        )
    hold = r.arm(HOLDOUT)
    if hold is None or hold.people == 0:
        out.append("NO HOLDOUT: this export held nobody back, so there is nothing to compare")
    return out


def result_dict(r: MeasureResult) -> dict[str, Any]:
    """The JSON object plus the warnings (for `--json`)."""
    return {**r.to_dict(), "warnings": r.notes}


__all__ = ["ArmResult", "MeasureError", "MeasureResult", "asdict", "measure", "measure_export"]
