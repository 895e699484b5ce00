"""Campaign files: load, validate (errors with file, line, field), and save round-trip."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from queries.campaigns.model import Campaign, Coupon, MaxContacts, Policy, find_campaign
from queries.campaigns.parse import campaign_from_text, load_campaign
from queries.campaigns.personalize import TemplateError
from queries.core.catalog import build_catalog
from queries.core.errors import SegmentError, UnknownField, UnknownSegment
from queries.query.store import SegmentStore

ROOT = Path(__file__).resolve().parents[2]
CATALOG = build_catalog(None)

BASE = """\
name: Test campaign
who:
  segment: dormant
how:
  channel: email
what:
  variants:
    - {name: A, weight: 50, subject: "Hi {{ given_name }}", body_file: templates/a.liquid}
"""


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    (tmp_path / "segments").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "segments" / "dormant.yaml").write_text(
        "name: Dormant\nwhere: {all: [{field: lifecycle_stage, op: '=', value: dormant}]}\n"
    )
    (tmp_path / "templates" / "a.liquid").write_text("<p>{{ family_name }}様</p>\n")
    (tmp_path / "templates" / "bad.liquid").write_text("ok\n{{ points }}\n{% for x in y %}\n")
    (tmp_path / "pool.csv").write_text("code\nAAA\nBBB\n")
    return tmp_path


def load(ws: Path, text: str) -> Campaign:
    store = SegmentStore(ws / "segments", CATALOG)
    return campaign_from_text(textwrap.dedent(text), CATALOG, "campaigns/c.yaml", ws, store)


def test_minimal_campaign_and_defaults(ws: Path) -> None:
    c = load(ws, BASE)
    assert c.name == "Test campaign" and c.who.segment == "dormant"
    assert c.how.destination == "generic_csv" and c.encoding == "utf-8"
    assert c.policy == Policy(True, True, MaxContacts(3, "7d"), None)
    assert c.policy.dedupe_field("email") == "email" and c.policy.dedupe_field("sms") == "phone"
    assert c.holdout.percent == 0 and c.salt == "c" and c.drift_limit == 20.0
    assert c.parts == ("subject", "body")
    assert c.templates[("A", "body")].autoescape and not c.templates[("A", "subject")].autoescape
    assert c.templates[("A", "body")].source == "<p>{{ family_name }}様</p>"  # last newline dropped
    assert c.template_fields() == ["family_name", "given_name"]


ERRORS = [
    # (replace this, with that, message fragment, line, field)
    ("who:", "whoo:", "unexpected key `whoo`", 2, "whoo"),
    ("  segment: dormant", "  segment: dormat", "unknown segment `dormat`", 3, "who.segment"),
    (
        "  segment: dormant",
        "  segment: dormant\n  where: {all: []}",
        "exactly one of `segment`",
        2,
        "who",
    ),
    (
        "  segment: dormant",
        "  segment: dormant\n  exclude:\n    - {field: loyaltytier, op: '=', value: gold}",
        "unknown field `loyaltytier`",
        5,
        "who.exclude[0].field",
    ),
    (
        "  segment: dormant",
        "  segment: dormant\n  exclude:\n    - {field: points, op: contains, value: 3}",
        "operator `contains` does not apply to number field `points`",
        5,
        "who.exclude[0].op",
    ),
    ("  channel: email", "  channel: emial", "unknown channel `emial`", 5, "how.channel"),
    (
        "  channel: email",
        "  channel: email\n  destination: line_audience",
        "preset `line_audience` does not carry email messages",
        6,
        "how.destination",
    ),
    (
        "  channel: email",
        "  channel: email\n  destination: brazee",
        "unknown destination",
        6,
        "how.destination",
    ),
    (
        "how:",
        "when:\n  send_at: 2026-11-28T10:00:00\nhow:",
        "needs a UTC offset",
        5,
        "when.send_at",
    ),
    (
        "how:",
        "when:\n  send_at: 2026-11-28T22:30:00+09:00\n  quiet_hours: ['21:00', '08:00']\nhow:",
        "falls inside the quiet hours 21:00–08:00",
        5,
        "when.send_at",
    ),
    (
        "how:",
        "when:\n  quiet_hours: ['25:00', '08:00']\nhow:",
        "quiet_hours",
        5,
        "when.quiet_hours",
    ),
    (
        "weight: 50",
        "weight: -5",
        "`weight` must be a positive number",
        8,
        "what.variants[0].weight",
    ),
    (
        "    - {name: A,",
        "    - {name: B, subject: x, body: y}\n    - {name: B,",
        "variant name `B` is used twice",
        9,
        "what.variants[1].name",
    ),
    ('subject: "Hi {{ given_name }}", ', "", "needs `subject`", 8, "what.variants[0]"),
    (
        "body_file: templates/a.liquid",
        "body_file: templates/nope.liquid",
        "not found",
        8,
        "what.variants[0].body_file",
    ),
    (
        "body_file: templates/a.liquid",
        "body_file: ../outside.liquid",
        "outside the workspace",
        8,
        "what.variants[0].body_file",
    ),
    (
        "body_file: templates/a.liquid",
        "body_file: templates/a.liquid, text: hi",
        "`text` does not apply to email",
        8,
        "what.variants[0].text",
    ),
    (
        "  channel: email",
        "  channel: sms",
        "`subject` does not apply to sms",
        8,
        "what.variants[0].subject",
    ),
    (
        "Hi {{ given_name }}",
        "Hi {{ given_nam }}",
        "unknown variable `given_nam`",
        8,
        "what.variants[0].subject",
    ),
    (
        "body_file: templates/a.liquid}",
        "body_file: templates/a.liquid}\n  coupon: {length: 40}",
        "`length` is a whole number 4..24",
        9,
        "what.coupon.length",
    ),
    (
        "body_file: templates/a.liquid}",
        "body_file: templates/a.liquid}\n  coupon: {prefix: X, pool_file: pool.csv}",
        "either derived",
        9,
        "what.coupon",
    ),
    (
        "body_file: templates/a.liquid}",
        "body_file: templates/a.liquid}\n  coupn: {length: 8}",
        "unexpected key `coupn`",
        9,
        "what.coupn",
    ),
    (
        "how:",
        "policy:\n  max_contacts: {count: 3, within: 7days}\nhow:",
        "is not a window",
        5,
        "policy.max_contacts.within",
    ),
    ("how:", "policy:\n  dedupe_by: mail\nhow:", "cannot dedupe by `mail`", 5, "policy.dedupe_by"),
    (
        "how:",
        "policy:\n  require_consent: maybe\nhow:",
        "true or false",
        5,
        "policy.require_consent",
    ),
    ("how:", "holdout: {percent: 100}\nhow:", "holdout `percent`", 4, "holdout.percent"),
    ("how:", "drift_limit: lots\nhow:", "`drift_limit` is a percentage", 4, "drift_limit"),
]


@pytest.mark.parametrize(("old", "new", "message", "line", "field"), ERRORS)
def test_validation_errors_name_file_line_field(
    ws: Path, old: str, new: str, message: str, line: int, field: str
) -> None:
    assert old in BASE
    with pytest.raises(SegmentError) as info:
        load(ws, BASE.replace(old, new, 1))
    e = info.value
    assert message in e.message, e.render()
    assert (e.loc.file, e.loc.line, e.loc.field) == ("campaigns/c.yaml", line, field), e.render()


def test_did_you_mean_hints(ws: Path) -> None:
    with pytest.raises(UnknownSegment) as info:
        load(ws, BASE.replace("segment: dormant", "segment: dormat"))
    assert info.value.hint == "did you mean `dormant`?"
    with pytest.raises(SegmentError) as err:
        load(ws, BASE.replace("channel: email", "channel: emial"))
    assert err.value.hint == "did you mean `email`?"
    with pytest.raises(UnknownField):
        load(
            ws,
            BASE.replace("segment: dormant", "where: {all: [{field: pints, op: '>', value: 1}]}"),
        )


def test_template_file_errors_point_into_the_template(ws: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load(ws, BASE.replace("templates/a.liquid", "templates/bad.liquid"))
    e = info.value
    assert (e.loc.file, e.loc.line, e.loc.field) == (
        "templates/bad.liquid",
        3,
        "what.variants[0].body_file",
    )
    assert "`{% for %}` is never closed" in e.message


def test_empty_and_wrong_documents(ws: Path) -> None:
    for text, msg in [
        ("", "the file is empty"),
        ("- a\n- b\n", "a campaign file is a mapping"),
        ("name: x\n", "a campaign needs `who`"),
    ]:
        with pytest.raises(SegmentError, match=msg):
            load(ws, text)


def test_full_campaign_round_trip(ws: Path, tmp_path: Path) -> None:
    text = """\
    name: Skincare win-back, November
    who:
      segment: dormant
      exclude:
        - event: purchases
          where: {all: [{field: category, op: "=", value: skincare}]}
          within: 14d
    how:
      channel: email
      destination: excel_ja
    when:
      send_at: 2026-11-28T10:00:00+09:00
      quiet_hours: ["21:00", "08:00"]
    what:
      variants:
        - name: A
          weight: 50
          subject: "{{ given_name | default: 'お客' }}様へ特別なご案内"
          body_file: templates/a.liquid
        - {name: B, weight: 50, subject: "...", body_file: templates/a.liquid}
      coupon: {prefix: WB11, length: 8}
    policy:
      require_consent: true
      suppression: true
      max_contacts: {count: 3, within: 7d}
      dedupe_by: email
    holdout: {percent: 10, salt: skincare-winback-2026-11}
    drift_limit: 20%
    """
    c = load(ws, text)
    assert c.encoding == "cp932" and c.coupon == Coupon("WB11", 8)
    assert c.when.send_at == datetime(2026, 11, 28, 10, tzinfo=timezone(timedelta(hours=9)))
    out = c.save(tmp_path / "saved.yaml")
    again = load_campaign(out, CATALOG, ws, SegmentStore(ws / "segments", CATALOG))
    assert again == c
    original = yaml.safe_load(textwrap.dedent(text))
    saved = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert saved == original  # same values
    assert list(saved) == list(original)  # same key order
    assert again.to_yaml() == c.to_yaml()


def test_round_trip_keeps_the_authors_order_and_omits_defaults(ws: Path, tmp_path: Path) -> None:
    text = (
        BASE.replace("name: Test campaign\n", "") + "name: Last\nholdout: {salt: s, percent: 5}\n"
    )
    c = load(ws, text)
    saved = yaml.safe_load(c.to_yaml())
    assert list(saved) == ["who", "how", "what", "name", "holdout"]
    assert list(saved["holdout"]) == ["salt", "percent"]
    assert "policy" not in saved and "drift_limit" not in saved
    assert saved["how"] == {"channel": "email"}


@pytest.mark.parametrize("name", ["dormant_winback", "birthday_line", "cart_sms"])
def test_example_campaigns_load_and_round_trip(name: str, tmp_path: Path) -> None:
    store = SegmentStore(ROOT / "segments", CATALOG)
    path = find_campaign(name, ROOT / "campaigns")
    c = load_campaign(path, CATALOG, ROOT, store)
    saved = c.save(tmp_path / f"{name}.yaml")
    assert yaml.safe_load(saved.read_text()) == yaml.safe_load(path.read_text())
    assert load_campaign(saved, CATALOG, ROOT, store) == c


def test_find_campaign_suggests(ws: Path) -> None:
    (ws / "campaigns" / "winback.yaml").write_text(BASE)
    assert find_campaign("winback", ws / "campaigns").name == "winback.yaml"
    with pytest.raises(SegmentError) as info:
        find_campaign("winbak", ws / "campaigns")
    assert info.value.hint == "did you mean `winback`?"


def test_template_files_are_regular_files_under_the_size_limit(ws: Path) -> None:
    import os

    from queries.campaigns.template_file import TEMPLATE_MAX_BYTES

    os.mkfifo(ws / "templates" / "pipe.liquid")
    with (ws / "templates" / "big.liquid").open("wb") as f:
        f.truncate(TEMPLATE_MAX_BYTES + 1)  # sparse: no 200 MB written to disk
    for name, message in (("pipe", "not a regular file"), ("big", "over the 500,000-byte")):
        with pytest.raises(SegmentError) as info:  # (a FIFO would hang an open() without it)
            load(ws, BASE.replace("templates/a.liquid", f"templates/{name}.liquid"))
        e = info.value
        assert message in e.message, e.render()
        assert (e.loc.file, e.loc.line, e.loc.field) == (
            "campaigns/c.yaml",
            8,
            "what.variants[0].body_file",
        )


def test_long_ranges_are_a_render_error_not_minutes() -> None:
    from queries.campaigns.personalize import compile_template
    from queries.campaigns.render_batch import render_batch
    from queries.core.errors import Location

    t = compile_template("{{ (1..10000000) | join: ',' }}", "text", Location("c", 1, "t"), [])
    batch = render_batch(t, {}, 3)
    assert set(batch.errors) == {0, 1, 2}
    assert "10,000,000 items, over the limit of 10,000" in str(batch.errors[0])
    t = compile_template("{{ (1..points) | join: ',' }}", "text", Location("c", 1, "t"), ["points"])
    assert render_batch(t, {"points": [3, 10**9]}, 2).texts[0] == "1,2,3"
