"""Windows like `30d`, `6mo`, `1y` and the calendar-day bounds they mean relative to as-of."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_RE = re.compile(r"^\s*(\d+)\s*(d|w|mo|y)\s*$")
MAX_YEARS = 1000  # a window reaching further back than this is a typo (and overflows dates)
_PER_YEAR = {"d": 366, "w": 53, "mo": 12, "y": 1}


@dataclass(frozen=True)
class Window:
    """A relative window: N units ending with the as-of day."""

    n: int
    unit: str  # d | w | mo | y

    @classmethod
    def parse(cls, text: object) -> Window:
        """Parse `30d`, `2w`, `6mo` or `1y`; raise ValueError with the accepted forms."""
        m = WINDOW_RE.match(text) if isinstance(text, str) and len(text) < 40 else None
        if not m or int(m.group(1)) < 1:
            raise ValueError(
                f"`{str(text)[:40]}` is not a window; write a positive number and a unit: "
                "30d (days), 2w (weeks), 6mo (months), 1y (years)"
            )
        n, unit = int(m.group(1)), m.group(2)
        if n > MAX_YEARS * _PER_YEAR[unit]:
            raise ValueError(f"`{m.string.strip()}` reaches back more than {MAX_YEARS} years")
        return cls(n, unit)

    def __str__(self) -> str:
        return f"{self.n}{self.unit}"

    def start(self, as_of: date) -> date:
        """First calendar day inside the window ending on as_of (inclusive)."""
        if self.unit == "d":
            return as_of - timedelta(days=self.n - 1)
        if self.unit == "w":
            return as_of - timedelta(days=7 * self.n - 1)
        months = self.n if self.unit == "mo" else 12 * self.n
        return add_months(as_of, -months) + timedelta(days=1)

    def cutoff(self, as_of: date) -> date:
        """Last day that is `more than` the window ago: the day before start()."""
        return self.start(as_of) - timedelta(days=1)

    def days(self, as_of: date) -> int:
        return (as_of - self.start(as_of)).days + 1


def add_months(d: date, months: int) -> date:
    """Shift by calendar months, clamping the day to the month's length."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def anniversary_month_days(as_of: date, n_days: int) -> list[int]:
    """Month-day codes (mmdd) falling on D..D+N-1; 29 Feb counts as 28 Feb off leap years."""
    if n_days >= 366:
        n_days = 366
    codes: list[int] = []
    for i in range(n_days):
        t = as_of + timedelta(days=i)
        code = t.month * 100 + t.day
        if code not in codes:
            codes.append(code)
        if t.month == 2 and t.day == 28 and not calendar.isleap(t.year) and 229 not in codes:
            codes.append(229)
    return sorted(codes)
