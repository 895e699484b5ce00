"""Preflight on the values a message shows: blank variables and control characters (issue 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.preflight import preflight
from queries.handoff.approval import approve, review
from queries.handoff.refusals import PreflightFailed
from queries.query.session import Session, open_session
from tests.campaigns.test_preflight import campaign


@pytest.fixture()
def hostile(tmp_path: Path, fixture_db: Path):
    """The fixture snapshot with a CR/LF family name (C02) and a tab in a given name (C04)."""
    db = tmp_path / "hostile.duckdb"
    shutil.copy(fixture_db, db)
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE customers SET family_name = ? WHERE customer_id = 'C02'",
        ["x\r\nBcc: victim@example.org"],
    )
    con.execute("UPDATE customers SET given_name = ? WHERE customer_id = 'C04'", ["次\t郎"])
    con.close()
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    s = open_session(ws)
    yield s
    s.close()


def test_a_coupon_blank_for_everyone_stops_approval_and_says_how(session: Session) -> None:
    c = campaign(
        session,
        """\
        how: {channel: sms, max_segments: 2}
        what:
          variants:
            - {name: main, text: "クーポンコード：{{ coupon }}"}
        """,
    )
    r = preflight(session, c)
    (f,) = [f for f in r.findings if f.kind == "blank_variable"]
    assert f.count == r.recipients == 8 and "coupon: {prefix: WB11, length: 8}" in f.detail
    assert "pool_file" in f.detail and not r.ok
    with pytest.raises(PreflightFailed):
        approve(session, review(session, c), "hanako")


def test_a_variable_blank_for_some_is_a_warning_with_the_count(session: Session) -> None:
    c = campaign(
        session,
        """\
        how: {channel: line}
        what:
          variants:
            - {name: main, text: "{{ given_name }}様 {{ prefecture | default: '' }}"}
        """,
    )
    r = preflight(session, c)
    assert r.ok  # given_name is NULL for C03 only: worth a look, not a stop
    (w,) = r.warnings
    assert (w.kind, w.count, w.customers) == ("blank_variable", 1, ["C03"])
    assert "`given_name` is empty for some recipients" in w.detail


def test_control_characters_in_a_subject_or_text_name_the_customer(hostile: Session) -> None:
    for channel, part in (("email", "subject"), ("sms", "text"), ("line", "text")):
        what = (
            "{name: main, subject: '{{ family_name }}様へ', body: '<p>{{ given_name }}</p>'}"
            if channel == "email"
            else "{name: main, text: '{{ family_name }}様 {{ given_name | default: \"\" }}'}"
        )
        c = campaign(
            hostile,
            f"how: {{channel: {channel}, max_segments: 3}}\n" * (channel == "sms")
            + f"how: {{channel: {channel}}}\n" * (channel != "sms")
            + f"what:\n  variants:\n    - {what}\n",
        )
        r = preflight(hostile, c)
        found = {(f.part, f.customers[0]) for f in r.findings if f.kind == "control_character"}
        want = {(part, "C02")} | ({(part, "C04")} if channel != "email" else set())
        assert found == want, (channel, r.findings)
        assert not r.ok
