"""Before approving: what the holdout can detect (the minimum detectable difference in conversion).

The rate is the final recipients' expected conversion over 30 days at their own pace: each
person's orders in the 365 days up to the as-of day, as a yearly rate (a dormant segment
has bought nothing lately, yet its members do come back at about that pace). At that rate,
with these treated and holdout sizes, the smallest rise in conversion a two-sided 5 % test
finds with 80 % power is the MDE; a holdout whose MDE is above `TOO_SMALL` (or that is
empty) cannot show any effect a campaign is likely to have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.core.errors import KizunaError
from queries.engines.jobs import Job
from queries.query.session import Session

RATE_DAYS = 30
HISTORY_DAYS = 365
ADVICE = "Too small to measure anything useful: enlarge the holdout."
TOO_SMALL = 0.05  # an MDE above 5 percentage points: few campaigns move conversion that much


@dataclass(frozen=True)
class Measurability:
    """The holdout's power: rate now, arm sizes, and the detectable difference."""

    rate: float
    treated: int
    holdout: int
    mde: float | None

    @property
    def too_small(self) -> bool:
        return self.holdout == 0 or self.mde is None or self.mde > TOO_SMALL

    def sentence(self) -> str:
        """One line for the review: what this holdout can see, and a warning when not enough."""
        if self.holdout == 0:
            return "No holdout: the effect of this campaign cannot be measured."
        head = (
            f"Holdout {self.holdout:,} vs {self.treated:,} treated at {self.rate * 100:.1f}% "
            f"expected {RATE_DAYS}-day conversion (from their orders in the last year): "
        )
        if self.mde is None:
            return head + "no difference in conversion can be detected. " + ADVICE
        text = head + (
            f"detects a difference of {self.mde * 100:.1f} percentage points or more "
            "(80% power, 5% level)."
        )
        if self.too_small:
            text += " " + ADVICE
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversion_rate": round(self.rate, 6),
            "treated": self.treated,
            "holdout": self.holdout,
            "mde": None if self.mde is None else round(self.mde, 6),
            "too_small": self.too_small,
            "rate_days": RATE_DAYS,
        }


def measurability(
    session: Session, arms: dict[str, int], status: exp.Expr, job: Job | None = None
) -> Measurability | None:
    """The MDE of the final split in `status` (the funnel relation); None without orders."""
    from queries.measure import stats as effect_stats
    from queries.measure.outcomes import orders_relation

    holdout = int(arms.get(HOLDOUT, 0))
    treated = sum(int(v) for k, v in arms.items() if k != HOLDOUT)
    d = session.snapshot.as_of
    try:
        orders = orders_relation(session, d - timedelta(days=HISTORY_DAYS - 1), d)
    except KizunaError:
        return None
    s = status.copy()
    s.set("alias", exp.TableAlias(this=exp.to_identifier("s")))
    sid = exp.cast(exp.column("customer_id", "s", quoted=True), exp.DataType.build("VARCHAR"))
    per_person = (
        exp.select(exp.alias_(exp.Count(this=exp.column("cid", "o")), "n"))
        .from_(s)
        .join(orders, on=exp.EQ(this=exp.column("cid", "o"), expression=sid), join_type="left")
        .where(exp.Is(this=exp.column("kz_step", "s", quoted=True), expression=exp.Null()))
        .group_by(sid.copy())
    )
    n = exp.column("n", "p")
    query = (
        exp.select(n.copy(), exp.func("count", exp.Star()))
        .from_(exp.paren(per_person, copy=False).as_("p"))
        .group_by(n.copy())
    )
    try:
        histogram = [(int(k), int(c)) for k, c in session.runner.fetch(query, job)]
    except KizunaError:
        return None
    rate = expected_rate(histogram)
    return Measurability(rate, treated, holdout, effect_stats.mde(rate, treated, holdout))


def expected_rate(histogram: list[tuple[int, int]]) -> float:
    """The share expected to order within RATE_DAYS, from (orders in the last year, people):
    each person orders at their own yearly pace, as a Poisson process."""
    people = sum(c for _, c in histogram)
    if not people:
        return 0.0
    hit = sum(c * -math.expm1(-k * RATE_DAYS / HISTORY_DAYS) for k, c in histogram)
    return hit / people
