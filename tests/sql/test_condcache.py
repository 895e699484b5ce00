"""The per-condition cache (live counts in the TUI) answers exactly as the hand-worked cases.

Each event condition's per-customer table is cached once; a count with the cache empty, warm,
after editing a threshold, negated and inside `any` must all match test_events' expectations
(worked out by hand from the fixture), not merely the uncached query.
"""

from __future__ import annotations

import pytest

from queries.query.session import open_session
from tests.segtools import ALL_IDS, make, private_workspace
from tests.sql.test_events import (
    AGGREGATE_CASES,
    BOTH_CASES,
    COUNT_CASES,
    NOT_EVENT_CASES,
    WHERE_CASES,
    WITHIN_CASES,
    _ids,
)

CASES = COUNT_CASES + AGGREGATE_CASES + BOTH_CASES + WITHIN_CASES + WHERE_CASES + NOT_EVENT_CASES


@pytest.fixture(scope="module")
def cache_session(tmp_path_factory, fixture_db):
    s = open_session(private_workspace(tmp_path_factory.mktemp("condcache"), fixture_db))
    yield s
    s.close()


def clear(session) -> None:
    for table in session.snapshot.cond_cache.clear():
        session.snapshot.conn.execute(f'DROP TABLE IF EXISTS kz_mem."{table}"')


def negated(cond: str) -> str:
    """`not:` around a one-condition YAML snippet (which may span several lines)."""
    return "not:\n" + "\n".join("  " + line for line in cond.splitlines())


@pytest.mark.parametrize(("cond", "expected"), CASES, ids=_ids)
def test_cached_count_matches_hand_worked(cache_session, cond, expected):
    clear(cache_session)
    seg = make(cache_session, cond)
    runner = cache_session.runner
    cc = cache_session.snapshot.cond_cache
    hits, misses = cc.hits, cc.misses
    assert runner.count(seg, cached=True) == len(expected)  # cache empty: compiled as usual
    assert (cc.hits, cc.misses) == (hits, misses)  # (a count never waits for a table to fill)
    runner.waterfall(seg, cached=True)  # the builder's next step fills it
    assert cc.misses == misses + 1
    assert runner.count(seg, cached=True) == len(expected)  # warm: lookups only
    assert cc.hits > hits and cc.misses == misses + 1
    flipped = make(cache_session, negated(cond))
    assert runner.count(flipped, cached=True) == len(ALL_IDS) - len(expected)
    # inside `any` with a field condition nobody meets, the condition alone decides
    nobody = "{field: points, op: '<', value: -1}"
    either = make(cache_session, cond, nobody, kind="any")
    assert runner.count(either, cached=True) == len(expected)


@pytest.mark.parametrize(("cond", "expected"), CASES, ids=_ids)
def test_cached_waterfall_matches_uncached(cache_session, cond, expected):
    clear(cache_session)
    seg = make(cache_session, "{field: email_opt_in, op: is_true}", cond)
    runner = cache_session.runner
    assert runner.waterfall(seg, cached=True) == runner.waterfall(seg)


def test_editing_a_threshold_reuses_the_cached_table(cache_session):
    clear(cache_session)
    cc = cache_session.snapshot.cond_cache
    runner = cache_session.runner
    before = cc.misses
    got = {}
    for n in (1, 2, 3, 0):
        seg = make(cache_session, f"{{event: orders, count: {{op: '>=', value: {n}}}}}")
        got[n] = runner.count(seg, cached=True)
        runner.waterfall(seg, cached=True)  # as the builder: count, then the waterfall
    assert cc.misses == before + 1  # one table for `orders`, four thresholds
    assert got == {1: 5, 2: 2, 3: 0, 0: len(ALL_IDS)}
    seg = make(cache_session, "{event: orders, within: 30d}")
    assert runner.count(seg, cached=True) == 2  # another window: another table (to fill)
    runner.waterfall(seg, cached=True)
    assert cc.misses == before + 2


def test_counts_in_one_scan_match_the_hand_worked_counts(cache_session):
    """The segment list counts every saved segment in one query: same numbers as one by one."""
    cases = CASES[:: max(1, len(CASES) // 12)]
    segs = [make(cache_session, cond) for cond, _ in cases]
    segs.append(make(cache_session, "{field: rfm_r, op: '>=', value: 1}"))  # features join
    got = cache_session.runner.counts(segs)
    assert got[:-1] == [len(expected) for _, expected in cases]
    assert got[-1] == cache_session.runner.count(segs[-1])
    assert cache_session.runner.counts([]) == []
