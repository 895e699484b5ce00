"""Approval's preflight in DuckDB reports exactly what the row-by-row preflight reports
(findings and their first ids, warnings, fallbacks, distinct texts, largest sizes), and hands
back to it whatever it cannot vouch for."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from queries.campaigns.parse import load_campaign
from queries.handoff import preflight_sql
from queries.handoff.approval import review
from queries.query.session import Session, open_session
from tests.handoff.test_export_lookup import copy_demo

NAMES = [
    None,
    "",
    " ",
    "a\tb",  # a control character
    "x\ny\r",  # two
    "😀花子",  # astral: two UTF-16 units
    "𠮷" * 40,  # long, astral
    "ん" * 60,  # long, UCS-2
    "Zoë",
    "€[x]^",  # GSM extension characters
    "Bob",
    "O'Neil & <Co>",
    "0.0",
    "長い名前" * 20,
    "b" * 170,  # GSM-7 over one segment
    "€x" * 90,  # GSM-7 with extension characters over one segment (packing)
    "=HYPERLINK(1)",  # formula-like
    "@home",
]


@pytest.fixture()
def rich(tmp_path: Path, fixture_db: Path) -> Path:
    """The fixture snapshot with 300 more customers whose names hold blanks, control
    characters, emoji, GSM extension characters and long texts."""
    db = tmp_path / "rich.duckdb"
    shutil.copy(fixture_db, db)
    con = duckdb.connect(str(db))
    try:
        for i in range(300):
            src = f"C0{i % 8 + 1}"
            given, family = NAMES[i % len(NAMES)], NAMES[(i * 5 + 3) % len(NAMES)]
            con.execute(
                "INSERT INTO customers SELECT ? AS customer_id, * EXCLUDE (customer_id) "
                "REPLACE (? AS given_name, ? AS family_name, points + ? AS points) "
                "FROM customers WHERE customer_id = ?",
                [f"X{i:04d}", given, family, i % 5, src],
            )
        for i, local in enumerate(("+81go", "=cmd", "-dash", "@at")):  # emails a sheet runs
            con.execute(
                "UPDATE customers SET email = ? WHERE customer_id = ?",
                [f"{local}@example.jp", f"X{i * 7:04d}"],
            )
    finally:
        con.close()
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "campaigns").mkdir()
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    (ws / "campaigns" / "pool.csv").write_text(
        "code\n" + "".join(f"P{i:05d}\n" for i in range(250)), "utf-8"
    )
    return ws


def _both(s: Session, c: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, bool]:
    """The preflight report on both paths (to_dict without elapsed) and whether SQL answered."""
    took: list[bool] = []
    sql = preflight_sql.sql_preflight

    def spy(*args: Any) -> Any:
        took.append(False)
        out = sql(*args)
        took[-1] = True
        return out

    monkeypatch.setattr(preflight_sql, "sql_preflight", spy)
    fast = review(s, c).preflight.to_dict()
    monkeypatch.setattr(preflight_sql, "usable", lambda *a: False)
    slow = review(s, c).preflight.to_dict()
    monkeypatch.undo()
    for d in (fast, slow):
        d.pop("elapsed_s")
    assert fast == slow
    return fast, bool(took and took[-1])


CAMPAIGN = """\
name: gen
who: {{where: {{all: []}}}}
how: {{channel: {channel}, destination: generic_csv{how}}}
what:
  variants:
{variants}
{coupon}policy: {{require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}}
holdout: {{percent: 10, salt: gen}}
"""

EMAIL_A = """\
    - name: A
      subject: "{{ given_name }}様 {{ family_name | default: 'お客' }}"
      body: "<p>{{ family_name }} {{ points | default: 0 | plus: 0.5 }} {{ coupon }}</p>"
"""
EMAIL_B = """\
    - name: B
      subject: "{{ family_name }}{% if given_name == 'Bob' %}！{% endif %}"
      body: "<p>{{ given_name | default: '' | upcase }} {{ campaign_name }} {{ variant }}</p>"
"""
SMS = """\
    - name: A
      text: "{{ given_name | default: 'お客' }}様 {{ coupon }}"
    - name: B
      text: "{{ family_name }} {{ coupon | downcase }} {{ send_date | date: '%m/%d' }}"
"""
LINE = """\
    - name: A
      text: "{{ family_name | default: ' ' }}{{ given_name | default: ' ' }}"
"""

CASES = {
    # (channel, how, variants, coupon) → the SQL path answers
    "email_two_variants": ("email", "", EMAIL_A + EMAIL_B, "derived", True),
    "email_no_coupon": ("email", "", EMAIL_A + EMAIL_B, "", True),
    "email_pool": ("email", "", EMAIL_A + EMAIL_B, "pool", False),
    "sms_one_segment": ("sms", "", SMS, "derived", True),
    "sms_three_segments": ("sms", ", max_segments: 3", SMS, "derived", True),
    "line_blank": ("line", "", LINE, "", True),
    "render_error": (
        "email",
        "",
        '    - {name: A, subject: "{{ points | divided_by: 0 }}", body: "x"}\n',
        "",
        False,
    ),
    "whole": (
        "email",
        "",
        '    - {name: A, subject: "{% capture x %}{{ given_name }}{% endcapture %}{{ x }}", '
        'body: "{{ family_name }}"}\n',
        "",
        False,
    ),
}
COUPONS = {
    "": "",
    "derived": "  coupon: {prefix: GN, length: 6}\n",
    "pool": "  coupon: {pool_file: campaigns/pool.csv}\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_campaigns_report_the_same_on_both_paths(
    rich: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel, how, variants, coupon, sql = CASES[case]
    text = CAMPAIGN.format(channel=channel, how=how, variants=variants, coupon=COUPONS[coupon])
    (rich / "campaigns" / "gen.yaml").write_text(text, "utf-8")
    s = open_session(rich)
    try:
        c = load_campaign(rich / "campaigns" / "gen.yaml", s.catalog, rich, s.store)
        report, took = _both(s, c, monkeypatch)
    finally:
        s.close()
    assert report["recipients"] > 250
    assert took is sql
    if case == "email_two_variants":  # the report holds what the test means to compare
        kinds = {f["kind"] for f in report["findings"]}
        assert {"control_character", "empty"} <= kinds
        assert report["warnings"] and any(f["count"] for f in report["fallbacks"])
        assert report["distinct_messages"]["subject"] > 10
        assert any(w["kind"] == "formula" for w in report["warnings"])
        assert any("`email`" in w["detail"] for w in report["warnings"])


def test_the_demo_campaigns_preflight_in_sql_with_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = copy_demo(tmp_path)
    s = open_session(ws)
    try:
        stems = sorted(p.stem for p in (ws / "campaigns").glob("*.yaml"))
        assert stems
        for stem in stems:
            c = load_campaign(ws / "campaigns" / f"{stem}.yaml", s.catalog, ws, s.store)
            _, took = _both(s, c, monkeypatch)
            pool = c.coupon is not None and c.coupon.pool_file
            assert took is (not pool), stem
    finally:
        s.close()


def test_clashing_coupon_codes_are_redrawn_alike_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every demo customer with a 5-symbol code: a few clash, and the SQL path re-draws them
    as CodeAllocator does (the same report, the same distinct codes)."""
    ws = copy_demo(tmp_path)
    text = CAMPAIGN.format(
        channel="email",
        how="",
        variants=EMAIL_A + EMAIL_B,
        coupon="  coupon: {prefix: GN, length: 5}\n",
    )
    (ws / "campaigns" / "gen.yaml").write_text(text, "utf-8")
    s = open_session(ws)
    try:
        c = load_campaign(ws / "campaigns" / "gen.yaml", s.catalog, ws, s.store)
        report, took = _both(s, c, monkeypatch)
    finally:
        s.close()
    assert took is True and report["recipients"] > 10_000
