"""Event conditions on the fixture (as-of D = 2026-03-01); expectations worked out by hand.

Orders up to D (O7, C06's 9000 order on 2026-03-02, is after D and ignored everywhere):

    C01  O1 2026-02-20 web 6000 (skincare x2)   O2 2025-10-01 store 3000 WELCOME (skincare x1)
    C02  O3 2026-01-15 app 2500 (makeup)        O4 2025-12-01 web 3000 (skincare)
    C04  O5 2024-01-10 store 1500 (haircare)
    C06  O6 2026-03-01 23:30 web 3000 (skincare)
    C07  O8 2025-09-15 app 2500 (makeup)
    C03 C05 C08: no orders

Web: C03 cart_add P1 02-28, C03 search 化粧水 02-27, C05 cart_add P2 03-01, C01 cart_add P1 02-19.
Messages: C01 email 02-27 (opened), email 02-28, sms 03-01; C02 email 02-27 (opened, clicked).
NPS: C01 10 (2026-01-10); C02 6 (2025-11-01), 9 (2026-02-01); C04 3 (2025-01-01).
"""

from __future__ import annotations

from datetime import date

import pytest

from queries.core.errors import SegmentCycle, SegmentError, UnknownSegment
from queries.query.session import open_session
from queries.segments.parse import segment_from_text
from tests.segtools import ALL_IDS, ids, make, members, private_workspace

NO_ORDERS = ["C03", "C05", "C08"]


@pytest.fixture(scope="module")
def shared_session(tmp_path_factory, fixture_db):
    """One session for this module over a private copy of the fixture (see segtools)."""
    s = open_session(private_workspace(tmp_path_factory.mktemp("events"), fixture_db))
    yield s
    s.close()


@pytest.fixture()
def workspace(tmp_path, fixture_db):
    """Overrides conftest's: a private snapshot copy, so `session` can open beside others."""
    return private_workspace(tmp_path, fixture_db)


def others(*excluded: str) -> list[str]:
    return [c for c in ALL_IDS if c not in excluded]


COUNT_CASES = [
    # default: count >= 1
    ("{event: orders}", ["C01", "C02", "C04", "C06", "C07"]),
    ("{event: orders, count: {op: '>=', value: 1}}", ["C01", "C02", "C04", "C06", "C07"]),
    ("{event: orders, count: {op: '>=', value: 2}}", ["C01", "C02"]),
    ("{event: orders, count: {op: '>', value: 1}}", ["C01", "C02"]),
    # C06 has exactly one order because O7 is after D
    ("{event: orders, count: {op: '=', value: 1}}", ["C04", "C06", "C07"]),
    # comparisons that admit zero include customers with no orders at all
    ("{event: orders, count: {op: '<', value: 2}}", ["C03", "C04", "C05", "C06", "C07", "C08"]),
    ("{event: orders, count: {op: '<=', value: 1}}", ["C03", "C04", "C05", "C06", "C07", "C08"]),
    ("{event: orders, count: {op: '=', value: 0}}", NO_ORDERS),
    ("{event: orders, count: {op: '<', value: 1}}", NO_ORDERS),
    ("{event: orders, count: {op: '<=', value: 0}}", NO_ORDERS),
    ("{event: orders, count: {op: '!=', value: 1}}", ["C01", "C02", "C03", "C05", "C08"]),
    ("{event: orders, count: {op: '!=', value: 0}}", ["C01", "C02", "C04", "C06", "C07"]),
    (
        "{event: orders, count: {op: between, value: [0, 1]}}",
        ["C03", "C04", "C05", "C06", "C07", "C08"],
    ),
    ("{event: orders, count: {op: between, value: [1, 1]}}", ["C04", "C06", "C07"]),
    ("{event: orders, count: {op: between, value: [2, 5]}}", ["C01", "C02"]),
    ("{event: orders, count: {op: '>=', value: 0}}", ALL_IDS),
    ("{event: orders, count: {op: '>', value: 2}}", []),
    # messages: C01 3, C02 1
    ("{event: messages, count: {op: '>=', value: 3}}", ["C01"]),
    ("{event: nps, count: {op: '=', value: 2}}", ["C02"]),
]

AGGREGATE_CASES = [
    # sums: C01 9000, C02 5500, C04 1500, C06 3000 (not 12000: O7 ignored), C07 2500, others 0
    ("{event: orders, aggregate: {fn: sum, field: total, op: '>=', value: 5000}}", ["C01", "C02"]),
    ("{event: orders, aggregate: {fn: sum, field: total, op: '<', value: 100}}", NO_ORDERS),
    (
        "{event: orders, aggregate: {fn: sum, field: total, op: '<', value: 3000}}",
        ["C03", "C04", "C05", "C07", "C08"],
    ),
    ("{event: orders, aggregate: {fn: sum, field: total, op: '=', value: 3000}}", ["C06"]),
    ("{event: orders, aggregate: {fn: sum, field: total, op: '=', value: 0}}", NO_ORDERS),
    # avg: C01 4500, C02 2750, C04 1500, C06 3000, C07 2500; nothing -> no avg
    (
        "{event: orders, aggregate: {fn: avg, field: total, op: '>', value: 2700}}",
        ["C01", "C02", "C06"],
    ),
    ("{event: orders, aggregate: {fn: avg, field: total, op: '<', value: 2000}}", ["C04"]),
    # min: C01 3000, C02 2500, C04 1500, C06 3000, C07 2500
    (
        "{event: orders, aggregate: {fn: min, field: total, op: '<=', value: 2500}}",
        ["C02", "C04", "C07"],
    ),
    # max of nothing matches nothing, even `< 10000`
    (
        "{event: orders, aggregate: {fn: max, field: total, op: '<', value: 10000}}",
        ["C01", "C02", "C04", "C06", "C07"],
    ),
    ("{event: orders, aggregate: {fn: max, field: total, op: '>=', value: 6000}}", ["C01"]),
    (
        "{event: orders, aggregate: {fn: min, field: total, op: between, value: [0, 100000]}}",
        ["C01", "C02", "C04", "C06", "C07"],
    ),
    # distinct channels: C01 {web, store}, C02 {app, web}, others one or none
    (
        "{event: orders, aggregate: {fn: count_distinct, field: channel, op: '>=', value: 2}}",
        ["C01", "C02"],
    ),
    (
        "{event: orders, aggregate: {fn: count_distinct, field: channel, op: '<', value: 2}}",
        ["C03", "C04", "C05", "C06", "C07", "C08"],
    ),
    # only C01 has a coupon; count_distinct ignores NULL codes, nobody-with-orders counts 0
    (
        "{event: orders, aggregate: {fn: count_distinct, field: coupon_code, op: '=', value: 0}}",
        others("C01"),
    ),
    # purchases quantity: C01 2+1 = 3; C06 1 (O7's 3 ignored)
    ("{event: purchases, aggregate: {fn: sum, field: quantity, op: '>=', value: 3}}", ["C01"]),
    # nps: max C01 10, C02 9, C04 3; avg C02 7.5
    ("{event: nps, aggregate: {fn: max, field: score, op: '>=', value: 9}}", ["C01", "C02"]),
    ("{event: nps, aggregate: {fn: avg, field: score, op: '<', value: 8}}", ["C02", "C04"]),
]

BOTH_CASES = [
    # count >= 2 (C01 C02) and sum >= 6000 (C01 9000; C02 5500)
    (
        "event: orders\ncount: {op: '>=', value: 2}\n"
        "aggregate: {fn: sum, field: total, op: '>=', value: 6000}",
        ["C01"],
    ),
    # count < 2 (C03..C08 minus none) and sum < 2000 (0 for no orders, C04 1500)
    (
        "event: orders\ncount: {op: '<', value: 2}\n"
        "aggregate: {fn: sum, field: total, op: '<', value: 2000}",
        ["C03", "C04", "C05", "C08"],
    ),
    # count < 2 admits zero, max >= 2500 does not: C06 (3000), C07 (2500)
    (
        "event: orders\ncount: {op: '<', value: 2}\n"
        "aggregate: {fn: max, field: total, op: '>=', value: 2500}",
        ["C06", "C07"],
    ),
    # count = 0 and sum = 0 both admit zero
    (
        "event: orders\ncount: {op: '=', value: 0}\n"
        "aggregate: {fn: sum, field: total, op: '=', value: 0}",
        NO_ORDERS,
    ),
]

WITHIN_CASES = [
    # 30d = days 2026-01-31..03-01: O1 (C01), O6 (C06, 23:30 on D)
    ("{event: orders, within: 30d}", ["C01", "C06"]),
    # 1d = D itself
    ("{event: orders, within: 1d}", ["C06"]),
    # 2w = 14 days = 02-16..03-01
    ("{event: orders, within: 2w}", ["C01", "C06"]),
    # 6w = 42 days = 01-19..; 7w = 49 days = 01-12.. (O3 on 01-15)
    ("{event: orders, within: 6w}", ["C01", "C06"]),
    ("{event: orders, within: 7w}", ["C01", "C02", "C06"]),
    # 3mo = days after 2025-12-01: O4 on 12-01 is out, O3 in
    ("{event: orders, within: 3mo}", ["C01", "C02", "C06"]),
    # 4mo = days after 2025-11-01: C02 has O3 and O4
    ("{event: orders, within: 4mo, count: {op: '>=', value: 2}}", ["C02"]),
    ("{event: orders, within: 3mo, count: {op: '>=', value: 2}}", []),
    # 1y = days after 2025-03-01: C04's 2024 order out
    ("{event: orders, within: 1y}", ["C01", "C02", "C06", "C07"]),
    ("{event: orders, within: 2y}", ["C01", "C02", "C06", "C07"]),
    ("{event: orders, within: 3y}", ["C01", "C02", "C04", "C06", "C07"]),
    # inclusive range: O4 (12-01 10:00) and O3 (01-15 10:00)
    ("{event: orders, within: {from: 2025-12-01, to: 2026-01-15}}", ["C02"]),
    ("{event: orders, within: {from: 2025-12-02, to: 2026-01-14}}", []),
    # a range reaching past D: O7 on 03-02 still ignored
    ("{event: orders, within: {from: 2026-03-01, to: 2026-03-31}}", ["C06"]),
    ("{event: orders, within: {from: 2026-03-02, to: 2026-03-31}}", []),
    # zero-admitting count inside a window: nobody ordered in 30d except C01 C06
    ("{event: orders, within: 30d, count: {op: '=', value: 0}}", others("C01", "C06")),
    # web cart adds in 7 days (02-23..03-01): C03 02-28, C05 03-01; C01's 02-19 is out
    (
        "event: web\nwhere: {all: [{field: event_type, op: '=', value: cart_add}]}\nwithin: 7d",
        ["C03", "C05"],
    ),
]

WHERE_CASES = [
    (
        "event: purchases\nwhere: {all: [{field: category, op: '=', value: skincare}]}",
        ["C01", "C02", "C06"],
    ),
    # the documented example shape: skincare twice in 180 days (from 2025-09-03): C01 (O1, O2)
    (
        "event: purchases\nwhere: {all: [{field: category, op: '=', value: skincare}]}\n"
        "count: {op: '>=', value: 2}\nwithin: 180d",
        ["C01"],
    ),
    # makeup rows (C02 O3, C07 O8) or store rows (C01 O2, C04 O5)
    (
        "event: purchases\nwhere:\n  any:\n"
        "    - {field: category, op: '=', value: makeup}\n"
        "    - {field: channel, op: '=', value: store}",
        ["C01", "C02", "C04", "C07"],
    ),
    # skincare and not web: C01's O2 (store)
    (
        "event: purchases\nwhere:\n  all:\n"
        "    - {field: category, op: '=', value: skincare}\n"
        "    - not: {field: channel, op: '=', value: web}",
        ["C01"],
    ),
    # non-skincare rows: C02 O3, C04 O5, C07 O8
    (
        "event: purchases\nwhere: {not: {field: category, op: in, value: [skincare]}}",
        ["C02", "C04", "C07"],
    ),
    # (web or app) and not makeup: O1 O4 O6
    (
        "event: purchases\nwhere:\n  all:\n"
        "    - any:\n"
        "        - {field: channel, op: '=', value: web}\n"
        "        - {field: channel, op: '=', value: app}\n"
        "    - not: {field: category, op: '=', value: makeup}",
        ["C01", "C02", "C06"],
    ),
    ("event: orders\nwhere: {all: [{field: coupon_code, op: is_not_null}]}", ["C01"]),
    # `!=` inside an event's where includes rows with a NULL coupon: all orders except O2
    (
        "event: orders\nwhere: {all: [{field: coupon_code, op: '!=', value: WELCOME}]}",
        ["C01", "C02", "C04", "C06", "C07"],
    ),
    ("event: orders\nwhere: {all: [{field: coupon_code, op: starts_with, value: wel}]}", ["C01"]),
    # the event time field: orders after 2026-01-01 (by day): O1 O3 O6
    (
        "event: orders\nwhere: {all: [{field: ordered_at, op: after, value: 2026-01-01}]}",
        ["C01", "C02", "C06"],
    ),
    ("event: messages\nwhere: {all: [{field: opened, op: is_true}]}", ["C01", "C02"]),
    ("event: messages\nwhere: {all: [{field: clicked, op: is_true}]}", ["C02"]),
    ("event: messages\nwhere: {all: [{field: channel, op: '=', value: sms}]}", ["C01"]),
    # web rows with a product category: C01 and C03 viewed P1 (skincare)
    ("event: web\nwhere: {all: [{field: category, op: '=', value: skincare}]}", ["C01", "C03"]),
    ("event: web\nwhere: {all: [{field: search_term, op: contains, value: 化粧}]}", ["C03"]),
    ("event: nps\nwhere: {all: [{field: score, op: '<=', value: 6}]}", ["C02", "C04"]),
    # where + count admitting zero: fewer than one skincare purchase
    (
        "event: purchases\nwhere: {all: [{field: category, op: '=', value: skincare}]}\n"
        "count: {op: '<', value: 1}",
        ["C03", "C04", "C05", "C07", "C08"],
    ),
    # where + aggregate: skincare spend (unit_price*qty not summed; unit_price sum) >= 6000:
    # C01 rows 3000 + 3000
    (
        "event: purchases\nwhere: {all: [{field: category, op: '=', value: skincare}]}\n"
        "aggregate: {fn: sum, field: unit_price, op: '>=', value: 6000}",
        ["C01"],
    ),
]

NOT_EVENT_CASES = [
    ("not: {event: orders}", NO_ORDERS),
    ("not: {event: orders, within: 30d}", others("C01", "C06")),
    ("not: {event: orders, count: {op: '<', value: 2}}", ["C01", "C02"]),
    (
        "not: {event: orders, count: {op: '>=', value: 2}}",
        ["C03", "C04", "C05", "C06", "C07", "C08"],
    ),
    ("not: {event: orders, count: {op: '=', value: 0}}", ["C01", "C02", "C04", "C06", "C07"]),
    (
        "not: {event: orders, aggregate: {fn: avg, field: total, op: '<', value: 2000}}",
        others("C04"),
    ),
    (
        "not: {event: orders, aggregate: {fn: sum, field: total, op: '<', value: 100}}",
        ["C01", "C02", "C04", "C06", "C07"],
    ),
    ("not: {not: {event: orders}}", ["C01", "C02", "C04", "C06", "C07"]),
    (
        "not:\n  event: purchases\n  where: {all: [{field: category, op: '=', value: skincare}]}",
        ["C03", "C04", "C05", "C07", "C08"],
    ),
]


def _ids(v):
    return v.replace("\n", " | ") if isinstance(v, str) else None


@pytest.mark.parametrize(
    ("cond", "expected"),
    COUNT_CASES + AGGREGATE_CASES + BOTH_CASES + WITHIN_CASES + WHERE_CASES + NOT_EVENT_CASES,
    ids=_ids,
)
def test_event_condition(shared_session, cond, expected):
    assert members(shared_session, cond) == expected


def test_not_event_inside_any(shared_session):
    # no orders (C03 C05 C08) or points > 10000 (C02)
    assert members(
        shared_session,
        "not: {event: orders}",
        "{field: points, op: '>', value: 10000}",
        kind="any",
    ) == ["C02", "C03", "C05", "C08"]


def test_event_and_field_conditions_combine(shared_session):
    # like the example: gold/platinum, opted in, skincare twice in 180d, nothing in the last 30 days
    # gold/platinum: C01 C02 C06; opted in: C01 C02; skincare x2: C01; no order in 30d: not C01
    seg = make(
        shared_session,
        "{field: loyalty_tier, op: in, value: [gold, platinum]}",
        "{field: email_opt_in, op: is_true}",
        "event: purchases\nwhere: {all: [{field: category, op: '=', value: skincare}]}\n"
        "count: {op: '>=', value: 2}\nwithin: 180d",
    )
    assert ids(shared_session, seg) == ["C01"]
    seg2 = make(
        shared_session,
        "{field: loyalty_tier, op: in, value: [gold, platinum]}",
        "not: {event: orders, within: 30d}",
    )
    assert ids(shared_session, seg2) == ["C02"]


def test_events_after_as_of_are_ignored(shared_session):
    # O7 (C06, 9000, 2026-03-02) is invisible: no 9000 order, one order, total 3000
    assert (
        members(
            shared_session, "event: orders\nwhere: {all: [{field: total, op: '=', value: 9000}]}"
        )
        == []
    )
    assert members(
        shared_session, "{event: orders, aggregate: {fn: max, field: total, op: '>', value: 3000}}"
    ) == ["C01"]
    assert members(shared_session, "{field: total_spend, op: '>', value: 9000}") == []


# -- as-of override -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def backtest_session(tmp_path_factory, fixture_db):
    ws = private_workspace(tmp_path_factory.mktemp("backtest"), fixture_db)
    s = open_session(ws, as_of="2026-02-01")
    yield s
    s.close()


BACKTEST_CASES = [
    # D' = 2026-02-01: orders up to then are O2 (C01), O3 O4 (C02), O5 (C04), O8 (C07)
    ("{event: orders}", ["C01", "C02", "C04", "C07"]),
    # the backtest base is who existed on D' (issue 13): C05 signed up after D', so is out
    ("{event: orders, count: {op: '=', value: 0}}", ["C03", "C06", "C08"]),
    # 30d = 2026-01-03..02-01: O3 only
    ("{event: orders, within: 30d}", ["C02"]),
    # sums: C01 3000 now, C02 5500
    ("{event: orders, aggregate: {fn: sum, field: total, op: '>=', value: 5000}}", ["C02"]),
    # nps after D' ignored: C02's 2026-02-01 answer is on D' (kept)
    ("{event: nps, count: {op: '=', value: 2}}", ["C02"]),
    # messages are all after D'
    ("{event: messages}", []),
    # field windows move too: 3mo = after 2025-11-01 up to D' (C05 signed up after D')
    ("{field: signup_at, op: in_last, value: 3mo}", ["C03"]),
    # 30 days from 02-01: 02-01..03-02, so 02-28, 02-29 (non-leap), 03-01, 03-02
    ("{field: birth_date, op: anniversary_within, value: 30d}", ["C01", "C02", "C03"]),
    # features are recomputed for D': C06's first order is after D'
    ("{field: order_count, op: '=', value: 0}", ["C03", "C06", "C08"]),
    ("{field: lifecycle_stage, op: '=', value: prospect}", ["C03", "C06", "C08"]),
    ("{field: total_spend, op: '=', value: 3000}", ["C01"]),
]


@pytest.mark.parametrize(("cond", "expected"), BACKTEST_CASES, ids=_ids)
def test_as_of_override_moves_windows(backtest_session, cond, expected):
    assert backtest_session.snapshot.as_of == date(2026, 2, 1)
    assert members(backtest_session, cond) == expected


def test_as_of_default_is_snapshot_meta(shared_session):
    assert shared_session.snapshot.as_of == date(2026, 3, 1)


# -- segment references -------------------------------------------------------------------


def write(ws, stem: str, text: str):
    path = ws / "segments" / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


VIP = "name: VIP\nwhere:\n  all:\n    - {field: points, op: '>=', value: 5000}\n"  # C01 C02 C06


def test_segment_reference(session, workspace):
    write(workspace, "vip", VIP)
    write(
        workspace,
        "vip_opted_in",
        "name: VIP opted in\nwhere:\n  all:\n    - segment: vip\n"
        "    - {field: email_opt_in, op: is_true}\n",
    )
    assert ids(session, session.segment("vip")) == ["C01", "C02", "C06"]
    assert ids(session, session.segment("vip_opted_in")) == ["C01", "C02"]
    # an in-memory segment can reference saved ones too
    seg = make(session, "not: {segment: vip}")
    assert ids(session, seg) == ["C03", "C04", "C05", "C07", "C08"]
    # in any: vip or no orders
    assert members(session, "{segment: vip}", "not: {event: orders}", kind="any") == [
        "C01",
        "C02",
        "C03",
        "C05",
        "C06",
        "C08",
    ]


def test_nested_segment_references(session, workspace):
    write(workspace, "vip", VIP)
    write(
        workspace,
        "vip2",
        "name: v2\nwhere: {all: [{segment: vip}, {event: orders, within: 30d}]}\n",
    )
    write(workspace, "vip3", "name: v3\nwhere: {all: [{segment: vip2}, {segment: vip}]}\n")
    # vip (C01 C02 C06) with an order in 30 days (C01 C06)
    assert ids(session, session.segment("vip3")) == ["C01", "C06"]
    # a diamond (vip reached twice) is not a cycle
    assert session.runner.count(session.segment("vip3")) == 2


def test_segment_reference_by_path(session, workspace):
    path = write(workspace, "vip", VIP)
    assert ids(session, session.segment(str(path))) == ["C01", "C02", "C06"]


def test_cycle_is_an_error_naming_the_cycle(session, workspace):
    write(workspace, "a", "name: A\nwhere:\n  all:\n    - {segment: b}\n")
    b = write(
        workspace,
        "b",
        "name: B\nwhere:\n  any:\n    - {field: points, op: '>', value: 1}\n    - {segment: a}\n",
    )
    with pytest.raises(SegmentCycle) as err:
        session.runner.count(session.segment("a"))
    assert "a → b → a" in str(err.value)
    # the error points at the reference that closes the loop: b.yaml line 5
    assert err.value.loc.file == str(b.resolve())
    assert err.value.loc.line == 5
    with pytest.raises(SegmentCycle) as err2:
        session.runner.count(session.segment("b"))
    assert "b → a → b" in str(err2.value)


def test_self_reference_is_a_cycle(session, workspace):
    write(workspace, "selfish", "name: Selfish\nwhere: {not: {segment: selfish}}\n")
    with pytest.raises(SegmentCycle) as err:
        session.runner.count(session.segment("selfish"))
    assert "selfish → selfish" in str(err.value)


def test_cycle_also_caught_by_waterfall_why_and_sql(session, workspace):
    write(workspace, "a", "name: A\nwhere: {all: [{segment: b}]}\n")
    write(workspace, "b", "name: B\nwhere: {all: [{segment: a}]}\n")
    seg = session.segment("a")
    for call in (
        lambda: session.runner.waterfall(seg),
        lambda: session.runner.why(seg, "C01"),
        lambda: session.runner.sql(seg, "spark"),
        lambda: session.runner.sample(seg, 3),
    ):
        with pytest.raises(SegmentCycle):
            call()


def test_unknown_segment_reference(session, workspace):
    write(workspace, "vip", VIP)
    seg = make(session, "{segment: vipp}")
    with pytest.raises(UnknownSegment) as err:
        session.runner.count(seg)
    assert "vipp" in str(err.value)
    assert err.value.hint == "did you mean `vip`?"


def test_reference_not_allowed_inside_event_where(shared_session):
    with pytest.raises(SegmentError) as err:
        segment_from_text(
            "name: x\nwhere:\n  all:\n    - event: orders\n      where: {segment: vip}\n",
            shared_session.catalog,
        )
    assert "inside an event" in str(err.value)
    assert err.value.loc.line == 5
