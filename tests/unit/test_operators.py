"""Every operator x field type on the fixture snapshot (as-of D = 2026-03-01).

Expected member lists are worked out by hand from tests/fixture_db.py. The columns used:

    id   prefecture  tier      points  email_opt  birth_date  signup_at         gender
    C01  東京都      gold      6000    true       1990-03-01  2020-01-05 10:00  male
    C02  大阪府      platinum  12000   true       1985-02-28  2021-06-01 09:00  female
    C03  NULL        regular   0       false      2000-02-29  2025-12-20 12:00  NULL
    C04  北海道      silver    4999    true       1978-12-31  2019-03-03 08:00  male
    C05  東京都      regular   50      NULL       NULL        2026-02-25 18:00  male
    C06  神奈川県    gold      5000    false      1990-03-05  2022-01-01 00:00  male
    C07  京都府      NULL      NULL    true       1999-01-01  2023-04-01 10:00  other
    C08  東京都      regular   100     true       1970-03-07  2018-07-07 07:07  female
"""

from __future__ import annotations

import pytest

from queries.query.session import open_session
from tests.segtools import ALL_IDS, make, members, private_workspace


@pytest.fixture(scope="module")
def shared_session(tmp_path_factory, fixture_db):
    """One session for this module over a private copy of the fixture (see segtools)."""
    s = open_session(private_workspace(tmp_path_factory.mktemp("ops"), fixture_db))
    yield s
    s.close()


def others(*excluded: str) -> list[str]:
    return [c for c in ALL_IDS if c not in excluded]


STRING_CASES = [
    # exact equality, NULL prefecture (C03) never equal
    ("{field: prefecture, op: '=', value: 東京都}", ["C01", "C05", "C08"]),
    # the complement of `=`: includes C03 whose prefecture is NULL
    ("{field: prefecture, op: '!=', value: 東京都}", ["C02", "C03", "C04", "C06", "C07"]),
    ("{field: prefecture, op: in, value: [東京都, 大阪府]}", ["C01", "C02", "C05", "C08"]),
    ("{field: prefecture, op: not_in, value: [東京都, 大阪府]}", ["C03", "C04", "C06", "C07"]),
    # 東京都 x3 and 京都府 contain 京
    ("{field: prefecture, op: contains, value: 京}", ["C01", "C05", "C07", "C08"]),
    ("{field: prefecture, op: not_contains, value: 京}", ["C02", "C03", "C04", "C06"]),
    ("{field: prefecture, op: starts_with, value: 京}", ["C07"]),
    ("{field: prefecture, op: ends_with, value: 府}", ["C02", "C07"]),
    ("{field: prefecture, op: is_null}", ["C03"]),
    ("{field: prefecture, op: is_not_null}", others("C03")),
    # `=` and `in` are exact: case matters
    ("{field: loyalty_tier, op: '=', value: Gold}", []),
    ("{field: loyalty_tier, op: '=', value: gold}", ["C01", "C06"]),
    ("{field: loyalty_tier, op: in, value: [GOLD, silver]}", ["C04"]),
    # C07 has no tier: included by the negative operators
    ("{field: loyalty_tier, op: '!=', value: gold}", others("C01", "C06")),
    ("{field: loyalty_tier, op: not_in, value: [regular]}", ["C01", "C02", "C04", "C06", "C07"]),
    # contains / starts_with / ends_with ignore case
    ("{field: email, op: starts_with, value: TARO}", ["C01", "C06"]),
    ("{field: email, op: ends_with, value: .COM}", ["C03"]),
    ("{field: email, op: contains, value: '@Example.JP'}", others("C03", "C08")),
    ("{field: email, op: not_contains, value: '@EXAMPLE.jp'}", ["C03", "C08"]),
    ("{field: gender, op: ends_with, value: MALE}", ["C01", "C02", "C04", "C05", "C06", "C08"]),
    # given names: 太郎 太郎 次郎 三郎 contain 郎; C03 has none -> in not_contains
    ("{field: given_name, op: contains, value: 郎}", ["C01", "C04", "C05", "C06"]),
    ("{field: given_name, op: not_contains, value: 郎}", ["C02", "C03", "C07", "C08"]),
    ("{field: given_name, op: is_null}", ["C03"]),
    # a derived string feature: lifecycle_stage (C06's first order is on D: new)
    ("{field: lifecycle_stage, op: '=', value: new}", ["C06"]),
    ("{field: lifecycle_stage, op: in, value: [prospect]}", ["C03", "C05", "C08"]),
]

NUMBER_CASES = [
    ("{field: points, op: '=', value: 5000}", ["C06"]),
    # C07 has no points: `!=` includes it
    ("{field: points, op: '!=', value: 5000}", others("C06")),
    ("{field: points, op: '<', value: 100}", ["C03", "C05"]),
    ("{field: points, op: '<=', value: 100}", ["C03", "C05", "C08"]),
    ("{field: points, op: '>', value: 5000}", ["C01", "C02"]),
    ("{field: points, op: '>=', value: 5000}", ["C01", "C02", "C06"]),
    ("{field: points, op: '<', value: 99.5}", ["C03", "C05"]),
    # inclusive on both ends: 100 (C08), 4999 (C04), 5000 (C06)
    ("{field: points, op: between, value: [100, 5000]}", ["C04", "C06", "C08"]),
    ("{field: points, op: between, value: [5000, 5000]}", ["C06"]),
    ("{field: points, op: in, value: [0, 50, 7]}", ["C03", "C05"]),
    ("{field: points, op: not_in, value: [0, 50]}", ["C01", "C02", "C04", "C06", "C07", "C08"]),
    ("{field: points, op: is_null}", ["C07"]),
    ("{field: points, op: is_not_null}", others("C07")),
    # derived numbers; O7 (C06, after D) is ignored so C06 has one order of 3000
    ("{field: order_count, op: '=', value: 0}", ["C03", "C05", "C08"]),
    ("{field: order_count, op: '>=', value: 2}", ["C01", "C02"]),
    ("{field: total_spend, op: '>=', value: 3000}", ["C01", "C02", "C06"]),
    ("{field: total_spend, op: between, value: [1500, 2500]}", ["C04", "C07"]),
]

BOOLEAN_CASES = [
    # C05's email_opt_in is NULL: neither true nor false
    ("{field: email_opt_in, op: is_true}", ["C01", "C02", "C04", "C07", "C08"]),
    ("{field: email_opt_in, op: is_false}", ["C03", "C06"]),
    ("{field: email_opt_in, op: is_null}", ["C05"]),
    ("{field: email_opt_in, op: is_not_null}", others("C05")),
    ("{field: sms_opt_in, op: is_true}", ["C01", "C04", "C05", "C07"]),
    ("{field: line_opt_in, op: is_true}", ["C01", "C04"]),
    ("{field: line_opt_in, op: is_false}", others("C01", "C04")),
]

DATE_CASES = [
    # birth_date (DATE); C05 has none
    ("{field: birth_date, op: before, value: 1990-03-01}", ["C02", "C04", "C08"]),
    ("{field: birth_date, op: after, value: 1990-03-01}", ["C03", "C06", "C07"]),
    ("{field: birth_date, op: 'on', value: 1990-03-01}", ["C01"]),
    ("{field: birth_date, op: between, value: [1990-03-01, 1999-01-01]}", ["C01", "C06", "C07"]),
    ("{field: birth_date, op: month_in, value: [3]}", ["C01", "C06", "C08"]),
    ("{field: birth_date, op: month_in, value: [12, 1, 2]}", ["C02", "C03", "C04", "C07"]),
    # D..D+6 = 03-01..03-07; 02-28/02-29 are before the window
    ("{field: birth_date, op: anniversary_within, value: 7d}", ["C01", "C06", "C08"]),
    ("{field: birth_date, op: anniversary_within, value: 1w}", ["C01", "C06", "C08"]),
    ("{field: birth_date, op: anniversary_within, value: 1d}", ["C01"]),
    ("{field: birth_date, op: anniversary_within, value: 5d}", ["C01", "C06"]),
    ("{field: birth_date, op: is_null}", ["C05"]),
    ("{field: birth_date, op: is_not_null}", others("C05")),
    # a quoted date string is accepted too
    ("{field: birth_date, op: 'on', value: '1978-12-31'}", ["C04"]),
    # signup_at (TIMESTAMP), compared by calendar day
    ("{field: signup_at, op: 'on', value: 2026-02-25}", ["C05"]),
    # C02 signed up 2021-06-01 09:00: same day, so neither before nor after it
    ("{field: signup_at, op: before, value: 2021-06-01}", ["C01", "C04", "C08"]),
    ("{field: signup_at, op: after, value: 2021-06-01}", ["C03", "C05", "C06", "C07"]),
    # inclusive days: C06 at 2022-01-01 00:00 and C02 on the low day
    ("{field: signup_at, op: between, value: [2021-06-01, 2022-01-01]}", ["C02", "C06"]),
    ("{field: signup_at, op: month_in, value: [1]}", ["C01", "C06"]),
    # in_last 5d = days 02-25..03-01: C05 (02-25 18:00)
    ("{field: signup_at, op: in_last, value: 5d}", ["C05"]),
    ("{field: signup_at, op: in_last, value: 4d}", []),
    ("{field: signup_at, op: more_than_ago, value: 5d}", others("C05")),
    ("{field: signup_at, op: more_than_ago, value: 4d}", ALL_IDS),
    # 10w = 70 days = 2025-12-22..; 11w = 77 days = 2025-12-15.. (C03 on 12-20)
    ("{field: signup_at, op: in_last, value: 10w}", ["C05"]),
    ("{field: signup_at, op: in_last, value: 11w}", ["C03", "C05"]),
    # 3mo: days after 2025-12-01; 1y: days after 2025-03-01
    ("{field: signup_at, op: in_last, value: 3mo}", ["C03", "C05"]),
    ("{field: signup_at, op: in_last, value: 1y}", ["C03", "C05"]),
    ("{field: signup_at, op: more_than_ago, value: 3mo}", others("C03", "C05")),
    # 03-03 signup anniversary (C04) is inside 03-01..03-07
    ("{field: signup_at, op: anniversary_within, value: 7d}", ["C04"]),
    # last_order_at: C06's O6 at 23:30 on D itself (O7 on 03-02 ignored): in_last 1d = D
    ("{field: last_order_at, op: in_last, value: 1d}", ["C06"]),
    # C01 02-20, C06 03-01 are within 30 days (01-31..03-01); C02 01-15 is not
    ("{field: last_order_at, op: in_last, value: 30d}", ["C01", "C06"]),
    # no orders -> NULL -> neither in_last nor more_than_ago
    ("{field: last_order_at, op: more_than_ago, value: 30d}", ["C02", "C04", "C07"]),
    ("{field: last_order_at, op: is_null}", ["C03", "C05", "C08"]),
]


@pytest.mark.parametrize(
    ("cond", "expected"),
    STRING_CASES + NUMBER_CASES + BOOLEAN_CASES + DATE_CASES,
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_operator(shared_session, cond, expected):
    assert members(shared_session, cond) == expected


NOT_CASES = [
    # points > 100 is C01 C02 C04 C06; `not:` adds C07 (NULL points) as well as C03 C05 C08
    ("{field: points, op: '>', value: 100}", ["C03", "C05", "C07", "C08"]),
    # is_true: C01 C02 C04 C07 C08; not: C03 C06 (false) and C05 (NULL)
    ("{field: email_opt_in, op: is_true}", ["C03", "C05", "C06"]),
    ("{field: prefecture, op: '=', value: 東京都}", ["C02", "C03", "C04", "C06", "C07"]),
    ("{field: birth_date, op: month_in, value: [3]}", ["C02", "C03", "C04", "C05", "C07"]),
    ("{field: email, op: contains, value: taro}", others("C01", "C06")),
    # `not` of a negative operator is its positive twin
    ("{field: prefecture, op: '!=', value: 東京都}", ["C01", "C05", "C08"]),
]


@pytest.mark.parametrize(
    ("cond", "expected"), NOT_CASES, ids=lambda v: v if isinstance(v, str) else None
)
def test_not_includes_nulls(shared_session, cond, expected):
    assert members(shared_session, f"not: {cond}") == expected


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        (
            "{field: prefecture, op: '=', value: 東京都}",
            "{field: prefecture, op: '!=', value: 東京都}",
        ),
        (
            "{field: loyalty_tier, op: in, value: [gold, regular]}",
            "{field: loyalty_tier, op: not_in, value: [gold, regular]}",
        ),
        (
            "{field: given_name, op: contains, value: 郎}",
            "{field: given_name, op: not_contains, value: 郎}",
        ),
        ("{field: points, op: '=', value: 0}", "{field: points, op: '!=', value: 0}"),
        (
            "{field: points, op: in, value: [0, 100]}",
            "{field: points, op: not_in, value: [0, 100]}",
        ),
    ],
)
def test_negative_operator_is_complement(shared_session, positive, negative):
    pos = members(shared_session, positive)
    neg = members(shared_session, negative)
    assert sorted(pos + neg) == ALL_IDS
    assert not set(pos) & set(neg)
    assert members(shared_session, f"not: {positive}") == neg


@pytest.mark.parametrize("field", ["signup_at", "birth_date", "last_order_at", "first_order_at"])
@pytest.mark.parametrize(
    "window", ["1d", "4d", "5d", "30d", "2w", "11w", "1mo", "3mo", "1y", "40y"]
)
def test_in_last_and_more_than_ago_partition_non_null(shared_session, field, window):
    """For a non-null date exactly one of in_last N and more_than_ago N holds."""
    inside = members(shared_session, f"{{field: {field}, op: in_last, value: {window}}}")
    before = members(shared_session, f"{{field: {field}, op: more_than_ago, value: {window}}}")
    non_null = members(shared_session, f"{{field: {field}, op: is_not_null}}")
    assert not set(inside) & set(before)
    assert sorted(inside + before) == non_null


def test_empty_all_matches_everyone_and_empty_any_no_one(shared_session):
    from queries.segments.parse import segment_from_text

    cat = shared_session.catalog
    everyone = segment_from_text("name: e\nwhere: {all: []}\n", cat)
    nobody = segment_from_text("name: n\nwhere: {any: []}\n", cat)
    assert shared_session.runner.count(everyone) == 8
    assert shared_session.runner.count(nobody) == 0
    # not of an empty any: everyone again
    assert (
        shared_session.runner.count(segment_from_text("name: x\nwhere: {not: {any: []}}\n", cat))
        == 8
    )


def test_groups_combine(shared_session):
    # gold/platinum (C01 C02 C06) AND (東京都 or points >= 10000) -> C01 (東京都), C02 (12000)
    seg = make(
        shared_session,
        "{field: loyalty_tier, op: in, value: [gold, platinum]}",
        "any:\n  - {field: prefecture, op: '=', value: 東京都}\n"
        "  - {field: points, op: '>=', value: 10000}",
    )
    from tests.segtools import ids

    assert ids(shared_session, seg) == ["C01", "C02"]


def test_any_with_null_branch(shared_session):
    # prefecture = 東京都 (C01 C05 C08) or tier = silver (C04); C03/C07 NULLs stay out
    assert members(
        shared_session,
        "{field: prefecture, op: '=', value: 東京都}",
        "{field: loyalty_tier, op: '=', value: silver}",
        kind="any",
    ) == ["C01", "C04", "C05", "C08"]


def test_unquoted_on_operator(shared_session):
    assert members(shared_session, "{field: birth_date, op: on, value: 1990-03-01}") == ["C01"]


def test_unquoted_yes_no_text_values(shared_session):
    assert members(shared_session, "{field: loyalty_tier, op: in, value: [no, gold]}") == [
        "C01",
        "C06",
    ]
