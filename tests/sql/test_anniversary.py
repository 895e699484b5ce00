"""anniversary_within across the year end and 29 February, and window arithmetic (d/w/mo/y)."""

from __future__ import annotations

from datetime import date

import pytest

from queries.core.errors import SegmentError
from queries.core.timewin import Window, add_months, anniversary_month_days
from queries.query.session import open_session
from queries.segments.parse import segment_from_text
from tests.segtools import build_db, customer, ids, workspace_for

# -- anniversary_month_days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "n", "codes"),
    [
        # across the year end: 12-30 .. 01-05
        (date(2026, 12, 30), 7, [101, 102, 103, 104, 105, 1230, 1231]),
        (date(2026, 12, 31), 1, [1231]),
        (date(2026, 12, 31), 2, [101, 1231]),
        # non-leap 2027: 28 Feb also stands for 29 Feb
        (date(2027, 2, 27), 3, [227, 228, 229, 301]),
        (date(2027, 2, 28), 1, [228, 229]),
        (date(2027, 2, 27), 1, [227]),
        (date(2027, 2, 26), 2, [226, 227]),
        # ... but 1 March does not
        (date(2027, 3, 1), 1, [301]),
        (date(2027, 3, 1), 7, [301, 302, 303, 304, 305, 306, 307]),
        # leap 2028: 29 Feb is its own day
        (date(2028, 2, 27), 2, [227, 228]),
        (date(2028, 2, 27), 3, [227, 228, 229]),
        (date(2028, 2, 28), 1, [228]),
        (date(2028, 2, 29), 1, [229]),
        (date(2028, 2, 27), 4, [227, 228, 229, 301]),
        # a window starting after 28 Feb in a non-leap year leaves 29 Feb out
        (date(2026, 3, 1), 7, [301, 302, 303, 304, 305, 306, 307]),
    ],
)
def test_anniversary_month_days(as_of, n, codes):
    assert anniversary_month_days(as_of, n) == codes


def test_anniversary_month_days_whole_year():
    # a full non-leap year holds 365 days plus 29 Feb (through 28 Feb): every month-day
    assert len(anniversary_month_days(date(2027, 1, 1), 365)) == 366
    assert len(anniversary_month_days(date(2027, 5, 17), 400)) == 366
    assert len(anniversary_month_days(date(2028, 1, 1), 366)) == 366
    # 364 days from 2 Jan 2027 miss only 1 Jan
    codes = anniversary_month_days(date(2027, 1, 2), 364)
    assert 101 not in codes and 229 in codes and len(codes) == 365


# -- Window.start / cutoff / days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "as_of", "start"),
    [
        ("1d", date(2026, 3, 1), date(2026, 3, 1)),
        ("30d", date(2026, 3, 1), date(2026, 1, 31)),
        ("7d", date(2027, 1, 3), date(2026, 12, 28)),
        ("1w", date(2026, 3, 1), date(2026, 2, 23)),
        ("2w", date(2026, 3, 1), date(2026, 2, 16)),
        # months: the day after D minus N months, clamping to the month's length
        ("1mo", date(2026, 3, 1), date(2026, 2, 2)),
        ("1mo", date(2026, 3, 31), date(2026, 3, 1)),  # 31 Mar - 1mo = 28 Feb
        ("1mo", date(2028, 3, 31), date(2028, 3, 1)),  # leap: 29 Feb + 1
        ("1mo", date(2028, 3, 30), date(2028, 3, 1)),  # leap: 29 Feb + 1
        ("1mo", date(2026, 5, 31), date(2026, 5, 1)),  # 30 Apr + 1
        ("1mo", date(2026, 1, 15), date(2025, 12, 16)),  # across the year end
        ("3mo", date(2026, 5, 31), date(2026, 3, 1)),  # 28 Feb + 1
        ("6mo", date(2026, 8, 31), date(2026, 3, 1)),  # 28 Feb + 1
        ("12mo", date(2026, 3, 1), date(2025, 3, 2)),
        ("1y", date(2026, 3, 1), date(2025, 3, 2)),
        ("1y", date(2028, 2, 29), date(2027, 3, 1)),  # 28 Feb 2027 + 1
        ("4y", date(2028, 2, 29), date(2024, 3, 1)),  # 29 Feb 2024 + 1
        ("1y", date(2027, 1, 1), date(2026, 1, 2)),
    ],
)
def test_window_start_and_cutoff(window, as_of, start):
    w = Window.parse(window)
    assert w.start(as_of) == start
    assert w.cutoff(as_of) == date.fromordinal(start.toordinal() - 1)


@pytest.mark.parametrize(
    ("window", "as_of", "days"),
    [
        ("1d", date(2026, 3, 1), 1),
        ("30d", date(2026, 3, 1), 30),
        ("2w", date(2026, 3, 1), 14),
        ("1mo", date(2026, 3, 31), 31),  # 1 Mar .. 31 Mar
        ("1mo", date(2026, 3, 1), 28),  # 2 Feb .. 1 Mar
        ("1y", date(2026, 3, 1), 365),
        ("1y", date(2028, 3, 1), 366),  # 2 Mar 2027 .. 1 Mar 2028 holds 29 Feb
    ],
)
def test_window_days(window, as_of, days):
    assert Window.parse(window).days(as_of) == days


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 3, 31), -13, date(2025, 2, 28)),
        (date(2028, 2, 29), -12, date(2027, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
    ],
)
def test_add_months(d, months, expected):
    assert add_months(d, months) == expected


@pytest.mark.parametrize("text", [" 30d ", "2w", "6mo", "1y", "12mo", "365d"])
def test_window_parse_ok(text):
    assert str(Window.parse(text)) == text.strip()


@pytest.mark.parametrize(
    "text", ["30days", "0d", "-1d", "d", "1.5d", "30", "3m", "1 year", 30, None, ""]
)
def test_window_parse_rejects(text):
    with pytest.raises(ValueError, match="not a window"):
        Window.parse(text)


# -- end to end on a small custom snapshot --------------------------------------------------

BIRTHDAYS = {
    "A1230": "1990-12-30",
    "A1231": "1985-12-31",
    "A0101": "1970-01-01",
    "A0103": "2001-01-03",
    "A0228": "1999-02-28",
    "A0229": "2000-02-29",
    "A0301": "1980-03-01",
}
# signups to check month windows end to end (in_last 1mo on 31 Mar 2026 starts on 1 Mar)
SIGNUPS = {"A0228": "2026-02-28 23:59:00", "A0301": "2026-03-01 00:00:00"}


@pytest.fixture(scope="module")
def birthday_db(tmp_path_factory):
    rows = [
        customer(cid, birth_date=bd, signup_at=SIGNUPS.get(cid, "2020-01-01 00:00:00"))
        for cid, bd in BIRTHDAYS.items()
    ]
    rows.append(customer("ANULL", birth_date=None))
    return build_db(tmp_path_factory.mktemp("bday") / "bday.duckdb", rows, as_of="2026-12-30")


@pytest.fixture(scope="module")
def birthday_session(birthday_db, tmp_path_factory):
    """Open sessions on the birthday snapshot at several as-of days, one at a time."""
    opened = {}
    root = tmp_path_factory.mktemp("bday_ws")
    ws = workspace_for(root, birthday_db)

    def get(as_of: str):
        if as_of not in opened:
            for s in opened.values():  # one session per snapshot file at a time in a process
                s.close()
            opened.clear()
            opened[as_of] = open_session(ws, as_of=as_of)
        return opened[as_of]

    yield get
    for s in opened.values():
        s.close()


def _members(session, op: str, value: str, field: str = "birth_date") -> list[str]:
    seg = segment_from_text(
        f"name: t\nwhere:\n  all:\n    - {{field: {field}, op: {op}, value: {value}}}\n",
        session.catalog,
    )
    return ids(session, seg)


@pytest.mark.parametrize(
    ("as_of", "window", "expected"),
    [
        # 12-30 .. 01-05 crosses the year end
        ("2026-12-30", "7d", ["A0101", "A0103", "A1230", "A1231"]),
        ("2026-12-30", "1w", ["A0101", "A0103", "A1230", "A1231"]),
        ("2026-12-30", "1d", ["A1230"]),
        ("2026-12-30", "2d", ["A1230", "A1231"]),
        ("2026-12-30", "3d", ["A0101", "A1230", "A1231"]),
        ("2026-12-31", "4d", ["A0101", "A0103", "A1231"]),
        # 2027 is not a leap year: 29 Feb celebrates on 28 Feb
        ("2027-02-27", "7d", ["A0228", "A0229", "A0301"]),
        ("2027-02-27", "1d", []),
        ("2027-02-27", "2d", ["A0228", "A0229"]),
        ("2027-02-28", "1d", ["A0228", "A0229"]),
        ("2027-03-01", "7d", ["A0301"]),
        # 2028 is a leap year: 29 Feb is its own day
        ("2028-02-27", "2d", ["A0228"]),
        ("2028-02-27", "3d", ["A0228", "A0229"]),
        ("2028-02-27", "7d", ["A0228", "A0229", "A0301"]),
        ("2028-02-29", "1d", ["A0229"]),
        ("2028-02-28", "1d", ["A0228"]),
    ],
)
def test_anniversary_end_to_end(birthday_session, as_of, window, expected):
    s = birthday_session(as_of)
    assert s.snapshot.as_of == date.fromisoformat(as_of)
    assert _members(s, "anniversary_within", window) == expected


def test_month_windows_end_to_end(birthday_session):
    # D = 31 Mar 2026: 1mo is 1..31 Mar (31 Mar - 1mo = 28 Feb, the day after is 1 Mar)
    s = birthday_session("2026-03-31")
    assert _members(s, "in_last", "1mo", "signup_at") == ["A0301"]
    assert _members(s, "more_than_ago", "1mo", "signup_at") == [
        "A0101",
        "A0103",
        "A0228",
        "A0229",
        "A1230",
        "A1231",
        "ANULL",
    ]
    # 31d is 1..31 Mar as well; 32d reaches 28 Feb
    assert _members(s, "in_last", "31d", "signup_at") == ["A0301"]
    assert _members(s, "in_last", "32d", "signup_at") == ["A0228", "A0301"]


@pytest.mark.parametrize("window", ["1mo", "1y"])
def test_anniversary_takes_days_or_weeks(birthday_session, window):
    s = birthday_session("2026-12-30")
    with pytest.raises(SegmentError, match="days or weeks"):
        _members(s, "anniversary_within", window)
