"""The contact-policy funnel on the 8-customer fixture (as-of 2026-03-01)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from queries.campaigns.funnel import FunnelSQL, dialect_sql, policy_funnel
from queries.campaigns.parse import campaign_from_text
from queries.engines.dialects import DIALECT_NAMES as DIALECTS
from queries.query.session import Session

BASE = """\
name: {name}
who:
  where: {{all: []}}
{exclude}how: {{channel: {channel}}}
what:
  variants:
    - {{name: A, {parts}}}
{policy}holdout: {{percent: 0, salt: s}}
"""
PARTS = {"email": 'subject: "hi", body: "b"', "sms": 'text: "t"', "line": 'text: "t"'}


def campaign(s: Session, channel: str = "email", policy: str = "", exclude: str = "", stem="t"):
    text = BASE.format(
        name=stem,
        channel=channel,
        parts=PARTS[channel],
        policy=f"policy: {policy}\n" if policy else "",
        exclude=f"  exclude:\n{exclude}" if exclude else "",
    )
    return campaign_from_text(
        text, s.catalog, str(s.ws.root / "campaigns" / f"{stem}.yaml"), s.ws.root, s.store
    )


def status(s: Session, c) -> dict[str, tuple]:
    rows = s.snapshot.cursor().execute(FunnelSQL(s, c).status().sql("duckdb")).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def final(s: Session, c) -> list[str]:
    return sorted(cid for cid, (step, _) in status(s, c).items() if step is None)


def steps(f) -> dict[str, tuple[int, int]]:
    return {st.key: (st.count, st.removed) for st in f.steps}


def test_default_policies_on_email(session: Session) -> None:
    c = campaign(session)
    f = policy_funnel(session, c)
    assert steps(f) == {
        "segment": (8, 0),
        "consent": (4, 4),
        "suppression": (3, 1),
        "frequency_cap": (2, 1),
        "dedupe": (2, 0),
        "holdout": (2, 0),
    }
    assert f.steps[1].by_reason == {"no email_opt_in": 3, "no usable email": 1}
    assert f.steps[2].by_reason == {"unsubscribed": 1}  # jiro@example.jp, matched by email
    st = status(session, c)
    assert st["C01"] == ("frequency_cap", None)  # 3 contacts in the last 7 days
    assert st["C04"] == ("suppression", "unsubscribed")
    assert st["C08"][0] == "consent"
    assert final(session, c) == ["C02", "C07"]
    assert f.recipients == 2 and f.policies_off == []


def test_switching_policies_off_is_explicit_and_listed(session: Session) -> None:
    c = campaign(session, policy="{require_consent: false, max_contacts: none}")
    f = policy_funnel(session, c)
    assert f.policies_off == ["consent", "frequency_cap"]
    assert all("OFF" in st.label for st in f.steps if st.off)
    st = status(session, c)
    # C08 is on the list for `all` (by id); C04's address is suppressed for email
    assert st["C08"] == ("suppression", "complaint") and st["C04"][0] == "suppression"
    # taro@example.jp is shared by C01 and C06: the lowest id is kept
    assert st["C01"] == (None, None) and st["C06"] == ("dedupe", None)
    assert final(session, c) == ["C01", "C02", "C03", "C05", "C07"]


def test_dedupe_keeps_one_per_normalised_address(session: Session) -> None:
    c = campaign(session, policy="{require_consent: false, suppression: false, max_contacts: none}")
    rows = (
        session.snapshot.cursor()
        .execute(
            "SELECT lower(trim(email)) FROM customers WHERE customer_id IN "
            f"({','.join(repr(x) for x in final(session, c))}) AND email IS NOT NULL"
        )
        .fetchall()
    )
    assert len(rows) == len({r[0] for r in rows})
    off = campaign(session, policy="{require_consent: false, dedupe_by: none}")
    assert "dedupe" in policy_funnel(session, off).policies_off


def test_suppression_is_per_channel(session: Session) -> None:
    c = campaign(session, "sms", policy="{require_consent: false, max_contacts: none}")
    st = status(session, c)
    assert st["C04"] == (None, None)  # suppressed for email only
    assert st["C08"] == ("suppression", "complaint")


def test_frequency_cap_channels_and_count(session: Session) -> None:
    email_only = campaign(
        session, policy="{max_contacts: {count: 3, within: 7d, channels: [email]}}"
    )
    assert status(session, email_only)["C01"][0] is None  # 2 emails + 1 sms
    strict = campaign(session, policy="{max_contacts: {count: 1, within: 7d, channels: [sms]}}")
    assert status(session, strict)["C01"] == ("frequency_cap", None)
    window = campaign(session, policy="{max_contacts: {count: 1, within: 1d}}")
    st = status(session, window)
    assert st["C01"][0] == "frequency_cap" and st["C02"][0] is None  # C02's email was 02-27


def _ledger(ws: Path, name: str, rows: list[tuple]) -> None:
    folder = ws / ".kizuna" / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    values = ", ".join(
        f"('{camp}', '{cid}', '{ch}', TIMESTAMP '{at}', 'e1')" for camp, cid, ch, at in rows
    )
    con.execute(
        f"COPY (SELECT * FROM (VALUES {values}) t(campaign, customer_id, channel, contacted_at,"
        f" export_id)) TO '{folder / name}.parquet' (FORMAT parquet)"
    )
    con.close()


def test_cap_counts_the_workspace_ledger_but_not_its_own_exports(session: Session) -> None:
    ws = session.ws.root
    # C02 had 1 email in the window; two more contacts by another campaign's export reach 3
    _ledger(
        ws,
        "other",
        [
            ("other", "C02", "email", "2026-03-02 10:00:00"),
            ("other", "C02", "sms", "2026-02-28 10:00:00"),
            ("other", "C07", "email", "2026-01-01 10:00:00"),
        ],
    )  # outside 7d
    _ledger(ws, "t", [("t", "C07", "email", "2026-03-01 10:00:00")] * 3)  # this campaign's own
    c = campaign(session)
    fs = FunnelSQL(session, c)
    assert [Path(p).name for p in fs.ledger_files] == ["other.parquet"]
    st = status(session, c)  # read_parquet runs on the locked-down snapshot connection
    assert st["C02"] == ("frequency_cap", None)
    assert st["C07"] == (None, None)
    other = campaign(session, stem="x")  # another campaign counts `t`'s ledger too
    assert status(session, other)["C07"] == ("frequency_cap", None)


def test_ledger_rows_already_back_in_history_count_once(session: Session) -> None:
    # camp1 is in the snapshot's messages for C02: the ledger copy is not counted again
    _ledger(session.ws.root, "camp1", [("camp1", "C02", "email", "2026-02-27 10:00:00")])
    c = campaign(session, policy="{max_contacts: {count: 2, within: 7d}}")
    assert status(session, c)["C02"][0] is None


def test_exclusions_come_last_with_reasons(session: Session) -> None:
    c = campaign(
        session,
        exclude='    - {field: loyalty_tier, op: "=", value: platinum}\n'
        '    - {field: prefecture, op: "=", value: 京都府}\n',
    )
    f = policy_funnel(session, c)
    ex = next(st for st in f.steps if st.key == "exclusions")
    assert ex.removed == 2 and len(ex.by_reason) == 2
    assert any("platinum" in r for r in ex.by_reason)
    assert final(session, c) == []


def test_holdout_and_arms_add_up(session: Session) -> None:
    c = campaign(
        session,
        policy="{require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}",
    )
    c.holdout = type(c.holdout)(50, "s")
    f = policy_funnel(session, c)
    assert f.arms["holdout"] + f.arms["A"] == 8 == f.audience
    assert f.recipients == f.arms["A"] and f.steps[-1].removed == f.holdout


@pytest.mark.parametrize("dialect", DIALECTS)
def test_funnel_prints_for_every_engine(session: Session, dialect: str) -> None:
    _ledger(session.ws.root, "other", [("other", "C02", "email", "2026-03-01 10:00:00")])
    sql = dialect_sql(session, campaign(session))[dialect]
    assert "CURRENT_DATE" not in sql.upper()
    assert ("read_parquet" in sql.lower()) == (dialect == "duckdb")
    if dialect != "duckdb":
        assert "kizuna_contact_ledger" in sql


def test_policy_query_selects_the_final_audience(session: Session) -> None:
    c = campaign(session)
    f = policy_funnel(session, c)
    q = f.query
    sql = q.select(q.member).sql("duckdb")
    got = sorted(r[0] for r in session.snapshot.cursor().execute(sql).fetchall())
    assert got == final(session, c)
    assert q.arm_counts() == f.arms


def test_customer_step_says_why_someone_is_out(session: Session) -> None:
    from queries.campaigns.funnel import customer_step

    c = campaign(session, exclude='    - {field: prefecture, op: "=", value: 京都府}\n')
    assert customer_step(session, c, "C04") == ("suppression", "unsubscribed", "A")
    assert customer_step(session, c, "C07")[:2] == ("exclusions", "exclude: prefecture is 京都府")
    assert customer_step(session, c, "C02")[:2] == (None, None)
    assert customer_step(session, c, "nobody") == ("segment", None, None)
