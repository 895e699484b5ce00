"""Before approving: what the holdout can detect (the minimum detectable difference in conversion).

The rate is the final recipients' current conversion: the share who ordered in the 30 days up
to the as-of day. At that rate, with these treated and holdout sizes, the smallest rise in
conversion a two-sided 5 % test finds with 80 % power is the MDE; a holdout whose MDE is
above `TOO_SMALL` (or that is empty) cannot show any effect a campaign is likely to have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlglot import exp

from .assign import HOLDOUT
from .errors import KizunaError
from .jobs import Job
from .session import Session

RATE_DAYS = 30
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
            f"conversion ({RATE_DAYS} days to the as-of): "
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
    session: Session, arms: dict[str, int], status: exp.Expression, job: Job | None = None
) -> Measurability | None:
    """The MDE of the final split in `status` (the funnel relation); None without orders."""
    from . import effect_stats
    from .measure_query import orders_relation

    holdout = int(arms.get(HOLDOUT, 0))
    treated = sum(int(v) for k, v in arms.items() if k != HOLDOUT)
    d = session.snapshot.as_of
    try:
        buyers = orders_relation(session, d - timedelta(days=RATE_DAYS - 1), d)
    except KizunaError:
        return None
    bought = exp.select(exp.column("cid", "o")).from_(buyers).distinct()
    s = status.copy()
    s.set("alias", exp.TableAlias(this=exp.to_identifier("s")))
    sid = exp.cast(exp.column("customer_id", "s", quoted=True), exp.DataType.build("VARCHAR"))
    hit = exp.Case().when(
        exp.not_(exp.Is(this=exp.column("cid", "b"), expression=exp.Null())),
        exp.Literal.number(1),
    )
    query = (
        exp.select(exp.func("count", exp.Star()), exp.Sum(this=hit.else_(exp.Literal.number(0))))
        .from_(s)
        .join(
            exp.paren(bought, copy=False).as_("b"),
            on=exp.EQ(this=exp.column("cid", "b"), expression=sid),
            join_type="left",
        )
        .where(exp.Is(this=exp.column("kz_step", "s", quoted=True), expression=exp.Null()))
    )
    try:
        n, converters = session.runner.execute(query, job)[0]
    except KizunaError:
        return None
    rate = int(converters or 0) / int(n) if n else 0.0
    return Measurability(rate, treated, holdout, effect_stats.mde(rate, treated, holdout))
