"""Runner: waterfall, sample, breakdown, values, overlap, why, cancellation (D = 2026-03-01)."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from queries.core.errors import CustomerNotFound, QueryCancelled, UnknownField
from queries.core.mask import mask_email, mask_phone, mask_text, mask_value
from queries.engines.jobs import Job
from queries.query.session import open_session
from queries.segments.model import Group, Segment
from queries.segments.parse import segment_from_text
from tests.segtools import ALL_IDS, make, private_workspace


@pytest.fixture(scope="module")
def shared_session(tmp_path_factory, fixture_db):
    s = open_session(private_workspace(tmp_path_factory.mktemp("runner"), fixture_db))
    yield s
    s.close()


# email_opt_in true: C01 C02 C04 C07 C08 (5 of 8)
# points >= 5000 among them: C01 (6000), C02 (12000) -> 2 (C04 4999, C07 NULL, C08 100 out)
# an order in the last 30 days: C01 (O1 02-20) -> 1 (C02's latest is 01-15)
# any: 東京都 (C01) or no orders -> C01 stays
WATERFALL = """\
name: Waterfall
where:
  all:
    - {field: email_opt_in, op: is_true}
    - {field: points, op: '>=', value: 5000}
    - {event: orders, within: 30d}
    - any:
        - {field: prefecture, op: '=', value: 東京都}
        - not: {event: orders}
"""


@pytest.fixture(scope="module")
def wseg(shared_session):
    return segment_from_text(WATERFALL, shared_session.catalog)


def test_waterfall_counts_and_removed(shared_session, wseg):
    base, steps = shared_session.runner.waterfall(wseg)
    assert base == 8
    assert [(s.count, s.removed) for s in steps] == [(5, 3), (2, 3), (1, 1), (1, 0)]
    assert steps[0].label == "email_opt_in is true"
    assert steps[1].label == "points ≥ 5000"
    assert "orders" in steps[2].label and "30d" in steps[2].label
    assert steps[-1].count == shared_session.runner.count(wseg)


def test_waterfall_order_matters(shared_session):
    # points >= 5000 first: C01 C02 C06 (3, removed 5); then opted in: C01 C02 (removed 1)
    seg = make(
        shared_session,
        "{field: points, op: '>=', value: 5000}",
        "{field: email_opt_in, op: is_true}",
    )
    base, steps = shared_session.runner.waterfall(seg)
    assert base == 8
    assert [(s.count, s.removed) for s in steps] == [(3, 5), (2, 1)]


def test_waterfall_of_non_all_root_and_empty(shared_session):
    # a root `any` is one step: 東京都 (C01 C05 C08) or silver (C04)
    seg = make(
        shared_session,
        "{field: prefecture, op: '=', value: 東京都}",
        "{field: loyalty_tier, op: '=', value: silver}",
        kind="any",
    )
    base, steps = shared_session.runner.waterfall(seg)
    assert (base, [(s.count, s.removed) for s in steps]) == (8, [(4, 4)])
    everyone = Segment("all", Group("all"))
    assert shared_session.runner.waterfall(everyone) == (8, [])


def test_waterfall_zero_event_steps(shared_session):
    # fewer than 2 orders: C03..C08 (6, removed C01 C02); then no coupon ever: all of them
    seg = make(
        shared_session,
        "{event: orders, count: {op: '<', value: 2}}",
        "not: {event: orders, where: {all: [{field: coupon_code, op: is_not_null}]}}",
    )
    _, steps = shared_session.runner.waterfall(seg)
    assert [(s.count, s.removed) for s in steps] == [(6, 2), (6, 0)]


# -- sample -------------------------------------------------------------------------------


def _md5_order(ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda c: (hashlib.md5(c.encode()).hexdigest(), c))


def test_sample_is_stable_and_ordered_by_md5(shared_session):
    everyone = Segment("all", Group("all"))
    first = shared_session.runner.sample(everyone, 8)
    second = shared_session.runner.sample(everyone, 8)
    assert first == second
    order = [r["customer_id"] for r in first]
    assert order == _md5_order(ALL_IDS)
    # a smaller sample is a prefix of the larger one
    assert [r["customer_id"] for r in shared_session.runner.sample(everyone, 3)] == order[:3]


def test_sample_only_members(shared_session, wseg):
    rows = shared_session.runner.sample(wseg, 20)
    assert [r["customer_id"] for r in rows] == ["C01"]
    # condition fields are added as columns
    assert rows[0]["points"] == 6000 and rows[0]["email_opt_in"] is True


def _one(shared_session, cid: str, unmask: bool = False, cond: str | None = None) -> dict:
    conds = [f"{{field: customer_id, op: '=', value: {cid}}}"] + ([cond] if cond else [])
    rows = shared_session.runner.sample(make(shared_session, *conds), 5, unmask)
    assert len(rows) == 1
    return rows[0]


def test_sample_masked_by_default(shared_session):
    r = _one(shared_session, "C01", cond="{field: birth_date, op: is_not_null}")
    assert r["customer_id"] == "C01"
    assert r["email"] == "t***@example.jp"
    assert r["phone"] == "+81 90-****-5678"
    assert r["family_name"] == "佐*"
    assert r["given_name"] == "太*"
    assert r["birth_date"] == "1990-**-**"
    # not personal data: shown as is
    assert (r["prefecture"], r["loyalty_tier"], r["total_spend"]) == ("東京都", "gold", 9000)
    r4 = _one(shared_session, "C04")
    assert r4["phone"] == "+81 80-****-4444"
    assert r4["email"] == "j***@example.jp"
    # NULL stays NULL
    r3 = _one(shared_session, "C03")
    assert r3["phone"] is None and r3["given_name"] is None
    assert r3["email"] == "o***@example.com"


def test_sample_unmasked(shared_session):
    r = _one(shared_session, "C01", unmask=True, cond="{field: birth_date, op: is_not_null}")
    assert r["email"] == "taro@example.jp"
    assert r["phone"] == "+819012345678"
    assert (r["family_name"], r["given_name"]) == ("佐藤", "太郎")
    assert str(r["birth_date"]) == "1990-03-01"


def test_one_character_names_are_not_revealed(shared_session):
    r = _one(shared_session, "C08")
    assert "恵" not in str(r["given_name"])


def test_mask_functions():
    assert mask_email("taro@example.jp") == "t***@example.jp"
    assert mask_phone("+819012345678") == "+81 90-****-5678"
    assert mask_text("髙橋") == "髙*"
    assert mask_value("email", None) is None
    assert mask_value("line_user_id", "U1234567890") == "U***7890"


# -- breakdown, values, overlap -------------------------------------------------------------


def test_breakdown_by_tier_against_base(shared_session):
    # audience: email_opt_in true = C01 gold, C02 platinum, C04 silver, C07 NULL, C08 regular
    # base: gold C01 C06, platinum C02, regular C03 C05 C08, silver C04, NULL C07
    seg = make(shared_session, "{field: email_opt_in, op: is_true}")
    rows = shared_session.runner.breakdown(seg, "loyalty_tier")
    got = {r.value: (r.audience, r.base) for r in rows}
    assert got == {
        "gold": (1, 2),
        "platinum": (1, 1),
        "regular": (1, 3),
        "silver": (1, 1),
        None: (1, 1),
    }
    assert sum(r.base for r in rows) == 8
    assert sum(r.audience for r in rows) == shared_session.runner.count(seg)


def test_breakdown_by_boolean_number_and_date(shared_session):
    seg = make(shared_session, "{field: points, op: '>=', value: 5000}")  # C01 C02 C06
    opt = {
        r.value: (r.audience, r.base) for r in shared_session.runner.breakdown(seg, "email_opt_in")
    }
    # C01 C02 true, C06 false; base true 5, false 2 (C03 C06), NULL 1 (C05)
    assert opt == {True: (2, 5), False: (1, 2), None: (0, 1)}
    pts = {r.value: (r.audience, r.base) for r in shared_session.runner.breakdown(seg, "points")}
    # seven distinct values: the values themselves
    assert pts == {
        0: (0, 1),
        50: (0, 1),
        100: (0, 1),
        4999: (0, 1),
        5000: (1, 1),
        6000: (1, 1),
        12000: (1, 1),
        None: (0, 1),
    }
    years = {
        r.value: (r.audience, r.base) for r in shared_session.runner.breakdown(seg, "birth_date")
    }
    # C01 and C06 born 1990, C02 1985
    assert years[1990] == (2, 2) and years[1985] == (1, 1) and years[None] == (0, 1)


def test_breakdown_unknown_field(shared_session, wseg):
    with pytest.raises(UnknownField) as err:
        shared_session.runner.breakdown(wseg, "loyalty_teir")
    assert err.value.hint == "did you mean `loyalty_tier`?"


def test_values_top_n(shared_session):
    r = shared_session.runner
    # by count, then by value; NULL (C07) left out
    assert r.values("loyalty_tier") == [("regular", 3), ("gold", 2), ("platinum", 1), ("silver", 1)]
    assert r.values("loyalty_tier", limit=2) == [("regular", 3), ("gold", 2)]
    assert r.values("loyalty_tier", prefix="G") == [("gold", 2)]
    assert r.values("prefecture") == [
        ("東京都", 3),
        ("京都府", 1),
        ("北海道", 1),
        ("大阪府", 1),
        ("神奈川県", 1),
    ]
    assert r.values("prefecture", prefix="京") == [("京都府", 1)]
    assert r.values("lifecycle_stage") == [
        ("prospect", 3),
        ("active", 2),
        ("at_risk", 1),
        ("churned", 1),
        ("new", 1),
    ]
    assert r.values("email_opt_in") == [(True, 5), (False, 2)]
    # event fields: rows per value
    assert r.values("channel", event="orders", limit=1)[0][0] == "web"
    with pytest.raises(UnknownField):
        r.values("nope")
    with pytest.raises(UnknownField):
        r.values("nope", event="orders")


def test_values_of_event_fields_ignore_events_after_as_of(shared_session):
    # purchases up to D: skincare O1 O2 O4 O6, makeup O3 O8, haircare O5
    assert shared_session.runner.values("category", event="purchases") == [
        ("skincare", 4),
        ("makeup", 2),
        ("haircare", 1),
    ]


def test_overlap(shared_session):
    r = shared_session.runner
    a = make(shared_session, "{field: email_opt_in, op: is_true}")  # C01 C02 C04 C07 C08
    b = make(shared_session, "{field: points, op: '>=', value: 5000}")  # C01 C02 C06
    assert r.overlap(a, b) == (5, 3, 2)
    assert r.overlap(b, a) == (3, 5, 2)
    # b2 uses a derived feature (only b2 needs the features join): C01 C02 C04 C06 C07
    b2 = make(shared_session, "{field: order_count, op: '>=', value: 1}")
    assert r.overlap(a, b2) == (5, 5, 4)
    # an event condition on one side: no order ever C03 C05 C08
    c = make(shared_session, "not: {event: orders}")
    assert r.overlap(a, c) == (5, 3, 1)
    assert r.overlap(a, a) == (5, 5, 5)


# -- why ------------------------------------------------------------------------------------


def test_why_member(shared_session, wseg):
    member, verdicts = shared_session.runner.why(wseg, "C01")
    assert member is True
    got = [(v.depth, v.verdict, v.value) for v in verdicts]
    assert got == [
        (0, True, "true"),  # email_opt_in
        (0, True, "6000"),  # points
        (0, True, "1"),  # one order in 30 days (O1)
        (0, True, None),  # any
        (1, True, "東京都"),
        (1, False, None),  # not: orders
        (2, True, "2"),  # orders, all time: O1 O2
    ]
    assert verdicts[0].label == "email_opt_in is true"
    assert verdicts[4].label == "prefecture is 東京都"
    assert verdicts[5].label.startswith("not:")


def test_why_non_member(shared_session, wseg):
    member, verdicts = shared_session.runner.why(wseg, "C02")
    assert member is False
    assert [(v.verdict, v.value) for v in verdicts] == [
        (True, "true"),
        (True, "12000"),
        (False, "0"),  # nothing in 30 days: the deciding condition
        (False, None),
        (False, "大阪府"),
        (False, None),
        (True, "2"),
    ]
    # C03: NULL prefecture is a plain "no" with no value; no orders makes `not: orders` true
    member3, v3 = shared_session.runner.why(wseg, "C03")
    assert member3 is False
    assert [(v.verdict, v.value) for v in v3] == [
        (False, "false"),
        (False, "0"),
        (False, "0"),
        (True, None),
        (False, None),
        (True, None),
        (False, "0"),
    ]


def test_why_unknown_customer(shared_session, wseg):
    with pytest.raises(CustomerNotFound):
        shared_session.runner.why(wseg, "C99")


def test_why_agrees_with_membership(shared_session, wseg):
    members = {r["customer_id"] for r in shared_session.runner.sample(wseg, 100)}
    for cid in ALL_IDS:
        assert shared_session.runner.why(wseg, cid)[0] is (cid in members)


# -- cancellation ---------------------------------------------------------------------------

SLOW_SQL = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = 7"


def test_job_cancelled_before_running(shared_session):
    job = Job()
    job.cancel()
    with pytest.raises(QueryCancelled):
        job.run(shared_session.snapshot.cursor, "SELECT 1")
    with pytest.raises(QueryCancelled):
        shared_session.runner.count(Segment("all", Group("all")), job=job)
    with pytest.raises(QueryCancelled):
        shared_session.runner.waterfall(Segment("all", Group("all")), job=job)


def test_cancel_running_query_from_another_thread(shared_session, wseg):
    job = Job()
    outcome: dict[str, BaseException | object] = {}

    def work():
        try:
            outcome["result"] = job.run(shared_session.snapshot.cursor, SLOW_SQL)
        except BaseException as exc:  # recorded for the assertion below
            outcome["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    deadline = time.monotonic() + 60
    while job._cursor is None and t.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    # keep cancelling until the worker stops: an interrupt that lands before the query has
    # started would otherwise be lost (see test_cancel_just_before_execute)
    while t.is_alive() and time.monotonic() < deadline:
        job.cancel()
        t.join(0.05)
    assert not t.is_alive(), "the query was not interrupted"
    assert isinstance(outcome.get("error"), QueryCancelled), outcome
    # the session still works afterwards
    assert shared_session.runner.count(wseg) == 1
    assert shared_session.runner.waterfall(wseg)[0] == 8


class _CancelOnExecute:
    """A cursor whose execute() lets a cancel land after Job.run registered the cursor but
    before DuckDB started the query: the window another thread can hit."""

    def __init__(self, cur, job):
        self._cur, self._job = cur, job

    def execute(self, sql):
        self._job.cancel()
        return self._cur.execute(sql)

    def interrupt(self):
        self._cur.interrupt()

    def close(self):
        self._cur.close()


def test_cancel_just_before_execute(shared_session):
    job = Job()
    # a query of a few hundred milliseconds, so a lost cancel shows as a result
    sql = "SELECT count(*) FROM range(3000000) a, range(10) b WHERE (a.range * b.range) % 7 = 1"
    with pytest.raises(QueryCancelled):
        job.run(lambda: _CancelOnExecute(shared_session.snapshot.cursor(), job), sql)
