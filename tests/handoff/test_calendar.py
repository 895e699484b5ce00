"""The send calendar: month grids, sends by their local day, crowded days, `kizuna calendar`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
import yaml
from typer.testing import CliRunner

from queries.core.errors import KizunaError
from queries.handoff.calendar import Send, first_month, month_of, parse_month, shift
from tests.tui.test_tui_campaign_support import copy_demo

JST = timezone(timedelta(hours=9))


def send(stem: str, at: datetime | None, channel: str = "email") -> Send:
    return Send(stem, stem.title(), at, channel, "seg", "draft")


@pytest.mark.parametrize("year,month", [(2026, 11), (2026, 2), (2027, 1), (2024, 2), (2026, 6)])
def test_the_grid_is_full_monday_first_weeks_covering_the_month(year, month):
    m = month_of([], year, month)
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    days = [d for week in m.weeks for d in week]
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in m.weeks)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(days))
    assert days[0] <= first and last <= days[-1]
    assert days[0] > first - timedelta(days=7) and days[-1] < last + timedelta(days=7)


def test_a_send_falls_on_the_day_of_its_own_time_zone():
    # 00:30 in Tokyo is still the day before in UTC: the calendar uses the written offset
    late = send("late", datetime(2026, 12, 1, 0, 30, tzinfo=JST))
    m = month_of([late], 2026, 12)
    assert m.by_day == {date(2026, 12, 1): [late]}
    assert late.at is not None and late.at.astimezone(timezone.utc).date() == date(2026, 11, 30)


def test_sends_are_in_time_order_and_two_on_one_channel_crowd_the_day():
    day = datetime(2026, 11, 21, tzinfo=JST)
    a = send("a", day.replace(hour=12))
    b = send("b", day.replace(hour=9))
    c = send("c", day.replace(hour=10), "line")
    other = send("other", datetime(2026, 11, 28, 10, tzinfo=JST))
    m = month_of([a, b, c, other, send("unscheduled", None)], 2026, 11)
    assert [s.stem for s in m.by_day[date(2026, 11, 21)]] == ["b", "c", "a"]
    assert m.crowded == {date(2026, 11, 21): ["email"]}
    assert [s.stem for s in m.sends()] == ["b", "c", "a", "other"]


def test_the_month_opened_is_the_next_send_else_the_latest_else_today():
    nov = send("nov", datetime(2026, 11, 21, 9, tzinfo=JST))
    jan = send("jan", datetime(2027, 1, 5, 9, tzinfo=JST))
    assert first_month([nov, jan], date(2026, 11, 20)) == (2026, 11)
    assert first_month([nov, jan], date(2026, 12, 1)) == (2027, 1)
    assert first_month([nov, jan], date(2027, 3, 1)) == (2027, 1)
    assert first_month([send("x", None)], date(2026, 11, 20)) == (2026, 11)


def test_months_shift_across_years_and_parse_with_a_clear_error():
    assert shift(2026, 12, 1) == (2027, 1)
    assert shift(2026, 1, -1) == (2025, 12)
    assert shift(2026, 11, -23) == (2024, 12)
    assert parse_month("2026-11") == (2026, 11)
    with pytest.raises(KizunaError, match="2026-13"):
        parse_month("2026-13")


def test_cli_calendar_lists_every_campaign_as_its_file_says(tmp_path):
    from tui.cli.main import app

    ws = copy_demo(tmp_path)
    files = sorted((ws / "campaigns").glob("*.yaml"))
    expected = {}
    for f in files:  # read independently of the campaign parser
        when = yaml.safe_load(f.read_text(encoding="utf-8")).get("when") or {}
        at = when.get("send_at")
        expected[f.stem] = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    result = CliRunner().invoke(app, ["calendar", "--json", "--month", "2026-11", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["month"] == "2026-11"
    got = {s["campaign"]: datetime.fromisoformat(s["send_at"]) for s in data["sends"]}
    assert got == {k: v for k, v in expected.items() if (v.year, v.month) == (2026, 11)}
    assert [s["date"] for s in data["sends"]] == sorted(s["date"] for s in data["sends"])
    grid = CliRunner().invoke(app, ["calendar", "-w", str(ws)], env={"COLUMNS": "80"})
    assert grid.exit_code == 0 and "2026-11" in grid.stdout
    bad = CliRunner().invoke(app, ["calendar", "--month", "11/2026", "-w", str(ws)])
    assert bad.exit_code == 1 and "2026-11" in bad.stderr and "Traceback" not in bad.output
