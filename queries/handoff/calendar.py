"""The send calendar: every campaign's send time on a month grid, and days that crowd a channel.

A campaign goes out on the day of its `send_at`, in the time zone written with it (the day its
`send_date` and quiet hours use); one with no `send_at` goes out when exported and is listed
apart. Two campaigns on one channel on the same day are flagged: people in both audiences get
two messages that day (the frequency cap decides at export, in ledger order).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from queries.campaigns.model import Campaign, campaign_files
from queries.core.errors import KizunaError
from queries.core.i18n import _

if TYPE_CHECKING:
    from queries.handoff.status import CampaignStatus


@dataclass(frozen=True)
class Send:
    """One campaign on the calendar."""

    stem: str
    name: str
    at: datetime | None  # send_at with its own UTC offset; None: sent on export
    channel: str
    segment: str
    state: str  # draft / approved / changed / exported / measured (see handoff.status)
    shown: str = ""  # the status as the campaign list words it (`exported 11-28`, translated)

    @property
    def status_text(self) -> str:
        return self.shown or self.state

    @property
    def day(self) -> date | None:
        return self.at.date() if self.at else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.stem,
            "name": self.name,
            "send_at": self.at.isoformat() if self.at else None,
            "date": self.day.isoformat() if self.day else None,
            "time": self.at.strftime("%H:%M") if self.at else None,
            "channel": self.channel,
            "segment": self.segment,
            "status": self.state,
        }


@dataclass
class Month:
    """One month of the calendar: full Monday-first weeks, the sends by day, crowded days."""

    year: int
    month: int
    weeks: list[list[date]]
    by_day: dict[date, list[Send]] = field(default_factory=dict)
    crowded: dict[date, list[str]] = field(default_factory=dict)  # day → channels sent twice+

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def sends(self) -> list[Send]:
        """The month's sends in time order."""
        return [s for day in sorted(self.by_day) for s in self.by_day[day]]

    def in_month(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)

    def to_dict(self, unscheduled: list[Send]) -> dict[str, Any]:
        return {
            "month": self.label,
            "sends": [s.to_dict() for s in self.sends()],
            "crowded": [
                {"date": d.isoformat(), "channels": ch} for d, ch in sorted(self.crowded.items())
            ],
            "unscheduled": [s.to_dict() for s in unscheduled],
        }


def send_of(c: Campaign, st: CampaignStatus) -> Send:
    """A campaign as the calendar shows it."""
    segment = c.who.segment or _("(inline)")
    return Send(c.stem, c.name, c.when.send_at, c.how.channel, segment, st.state, st.short)


def month_of(sends: Iterable[Send], year: int, month: int) -> Month:
    """The month's grid with its sends (time order within a day) and crowded days."""
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    out = Month(year, month, weeks)
    shown = {d for week in weeks for d in week}
    by_day: dict[date, list[Send]] = defaultdict(list)
    for s in sends:
        if s.day in shown:
            by_day[s.day].append(s)
    for day, todays in by_day.items():
        todays.sort(key=lambda s: (s.at.strftime("%H:%M") if s.at else "", s.stem))
        per_channel: dict[str, int] = defaultdict(int)
        for s in todays:
            per_channel[s.channel] += 1
        busy = sorted(ch for ch, n in per_channel.items() if n > 1)
        if busy:
            out.crowded[day] = busy
    out.by_day = dict(by_day)
    return out


def first_month(sends: Iterable[Send], today: date) -> tuple[int, int]:
    """The month to open on: of the next send from `today` on, else of the latest, else today's."""
    days = sorted(s.day for s in sends if s.day)
    upcoming = [d for d in days if d >= today]
    pick = upcoming[0] if upcoming else (days[-1] if days else today)
    return pick.year, pick.month


def shift(year: int, month: int, by: int) -> tuple[int, int]:
    """The month `by` months later (earlier when negative)."""
    n = year * 12 + (month - 1) + by
    return n // 12, n % 12 + 1


def parse_month(text: str) -> tuple[int, int]:
    """`2026-11` → (2026, 11); a clear error otherwise."""
    try:
        when = datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise KizunaError(
            _("`{text}` is not a month; write it like 2026-11").format(text=text)
        ) from None
    return when.year, when.month


def workspace_sends(session: Any) -> tuple[list[Send], dict[str, str]]:
    """Every campaign file's send, with its status; files that do not load are named apart."""
    from queries.campaigns.parse import load_campaign
    from queries.handoff.status import campaign_status

    sends: list[Send] = []
    broken: dict[str, str] = {}
    for path in campaign_files(session.ws.campaigns_dir):
        try:
            c = load_campaign(path, session.catalog, session.ws.root, session.store)
            sends.append(send_of(c, campaign_status(session, c)))
        except KizunaError as exc:
            broken[path.stem] = exc.render()
    return sends, broken
