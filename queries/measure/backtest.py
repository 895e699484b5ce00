"""Backtest a segment: who was in it on day D, and what they did on their own over D+1 … D+W.

That is the baseline a campaign to this segment must beat. The session must be opened with
`as_of=D` (members are computed as of D, events after D ignored); the outcome reads the
snapshot's orders after D, up to the snapshot's own last day. The whole base (every customer
of D) is shown beside it for scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlglot import exp

from queries.engines.jobs import Job
from queries.measure.effect import PerPerson, forward, window_days
from queries.measure.exported import MeasureError
from queries.measure.outcomes import Windows, person_query, run_arms
from queries.query.session import Session
from queries.segments.model import FieldCond, Group, Not, Segment

SEGMENT_ARM, BASE_ARM = "segment", "base"


@dataclass(frozen=True)
class Outcome(PerPerson):
    """People, converters (≥ 1 order in the window), orders and revenue of one group."""

    people: int
    converters: int
    orders: int
    revenue: float

    def to_dict(self) -> dict[str, Any]:
        return self.figures()


@dataclass(frozen=True)
class Backtest:
    """The segment's members on D and what they (and the whole base) did next."""

    segment: str
    as_of: date
    window_from: date
    window_to: date
    observed_to: date
    segment_outcome: Outcome
    base_outcome: Outcome

    @property
    def complete(self) -> bool:
        return self.observed_to >= self.window_to

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of `kizuna backtest --json`."""
        return {
            "segment": self.segment,
            "as_of": self.as_of.isoformat(),
            "window": {
                "from": self.window_from.isoformat(),
                "to": self.window_to.isoformat(),
                "complete": self.complete,
                "observed_to": self.observed_to.isoformat(),
            },
            "count": self.segment_outcome.people,
            **self.segment_outcome.to_dict(),
            "base": self.base_outcome.to_dict(),
        }


def _people(session: Session, seg: Segment, arm: str) -> exp.Expr:
    """The members of `seg` as (customer_id, arm, coupon)."""
    aud = session.runner.audience_query(seg)
    sel = exp.select(
        exp.alias_(
            exp.cast(exp.column("customer_id", "a", quoted=True), exp.DataType.build("VARCHAR")),
            "customer_id",
        ),
        exp.alias_(exp.Literal.string(arm), "arm"),
        exp.alias_(exp.cast(exp.Null(), exp.DataType.build("VARCHAR")), "coupon"),
    ).from_(exp.paren(aud, copy=False).as_("a"))
    return exp.paren(sel, copy=False).as_("m")


def existed(session: Session, seg: Segment) -> Segment:
    """The segment limited to customers who existed on D (signed up by then, or unknown)."""
    if "signup_at" not in session.catalog.fields:
        return seg
    later = Not(FieldCond("signup_at", "after", session.snapshot.as_of.isoformat()))
    return Segment(seg.name, Group("all", (later, seg.where)), seg.description, seg.path)


def _outcome(session: Session, seg: Segment, arm: str, w: Windows, job: Job | None) -> Outcome:
    seg = existed(session, seg)
    rows = run_arms(session, person_query(session, _people(session, seg, arm), w, False), job)
    if not rows:
        return Outcome(0, 0, 0, 0)
    _, people, converters, orders, revenue, *_ = rows[0]
    return Outcome(int(people), int(converters), int(orders), revenue)


def backtest(
    session: Session, segment: Segment, window: str = "30d", job: Job | None = None
) -> Backtest:
    """What `segment`'s members on the session's as-of day did over the next `window`."""
    d = session.snapshot.as_of
    w = window_days(window)
    start = d + timedelta(days=1)
    end = forward(start, w)
    last = session.snapshot.meta_as_of
    if last <= d:
        raise MeasureError(
            f"the snapshot ends on {last}: there is nothing after {d} to backtest; "
            "pick an earlier --as-of"
        )
    observed = min(end, last)
    wins = Windows(start, observed, w.start(d), d)
    everyone = Segment("everyone", Group("all"))
    return Backtest(
        segment=segment.stem,
        as_of=d,
        window_from=start,
        window_to=end,
        observed_to=observed,
        segment_outcome=_outcome(session, segment, SEGMENT_ARM, wins, job),
        base_outcome=_outcome(session, everyone, BASE_ARM, wins, job),
    )
