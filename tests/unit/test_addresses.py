"""Issue 10 items 2, 3, 4: normalised addresses in consent, suppression, dedupe and the export.

Each test builds a small snapshot with the dirt of a real one and runs the real funnel and
export; expected values come from the data (and `phonenumbers` directly), not from Kizuna.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import phonenumbers
import pytest

from queries.campaigns.funnel import FunnelSQL, policy_funnel
from queries.core import addresses
from queries.core.errors import ConfigError
from queries.handoff.approval import approve, review
from queries.handoff.export.write import write_export
from queries.query.session import Session, open_session
from tests import dirty_db

OPEN = "{require_consent: false, suppression: false, max_contacts: none}"
E164 = "+819012345678"
PHONE_VARIANTS = [
    "090-1234-5678",
    "+81 90 1234 5678",
    "０９０－１２３４－５６７８",  # full-width digits and dashes
    "(090)1234-5678",
    "090.1234.5678",
    "090\t1234\t5678",
    "　090 1234 5678\u3000",  # ideographic spaces
    "＋８１９０１２３４５６７８",
]


def _session(tmp_path: Path, customers, suppression=(), messages=(), toml="") -> Session:
    db = dirty_db.build(tmp_path / "snap.duckdb", customers, list(suppression), list(messages))
    return open_session(dirty_db.workspace(tmp_path / "ws", db, toml))


def _status(s: Session, c) -> dict[str, tuple]:
    rows = s.snapshot.cursor().execute(FunnelSQL(s, c).status().sql("duckdb")).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _final(s: Session, c) -> set[str]:
    return {cid for cid, (step, _) in _status(s, c).items() if step is None}


def _export(s: Session, c) -> list[dict[str, str]]:
    rec = approve(s, review(s, c), "lead", force=True)
    m = write_export(s, c, rec, s.ws.root / "exports", "E1", messages=False)
    text = (Path(m["folder"]) / "audience.csv").read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# -- the rules -----------------------------------------------------------------------------
def test_phone_variants_are_one_number_as_phonenumbers_says() -> None:
    for raw in PHONE_VARIANTS:
        assert addresses.phone(raw) == E164, raw
    # the reference: phonenumbers on the same digits written plainly
    ref = phonenumbers.parse("09012345678", "JP")
    assert phonenumbers.format_number(ref, phonenumbers.PhoneNumberFormat.E164) == E164


@pytest.mark.parametrize("raw", ["N/A", "-", "x", "", "  ", "\t", "なし", "0", "12", None])
def test_unusable_phones(raw) -> None:
    assert addresses.phone(raw) is None


def test_default_region_reads_national_numbers() -> None:
    assert addresses.phone("(415) 555-2671", "US") == "+14155552671"
    assert addresses.phone("+81 90 1234 5678", "US") == E164  # international stays itself


@pytest.mark.parametrize(
    "raw",
    [
        "Victim@Example.com\t",
        " victim@example.com",
        "VICTIM@EXAMPLE.COM\r\n",
        "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "\u3000victim@example.com\u200b",
        "\ufeffvictim@example.com\x00",
    ],
)
def test_email_variants_are_one_address(raw: str) -> None:
    assert addresses.email(raw) == "victim@example.com"


@pytest.mark.parametrize(
    "raw", ["a@", "@example.com", "a@b", "a b@example.com", "a@@example.com", "N/A", "-", ""]
)
def test_unusable_emails(raw: str) -> None:
    assert addresses.email(raw) is None


def test_blanks_are_every_whitespace_and_control_character() -> None:
    """The hard-coded set equals what unicodedata says (update it for a newer Unicode)."""
    import sys
    import unicodedata

    def blank(ch: str) -> bool:
        return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")

    want = {ch for ch in map(chr, range(sys.maxunicode + 1)) if blank(ch)}
    assert set(addresses.BLANKS) >= want
    assert all(blank(ch) or unicodedata.category(ch) == "Cn" for ch in addresses.BLANKS)


def test_line_ids_are_trimmed_and_checked() -> None:
    uid = "U" + "0123456789abcdef" * 2
    assert addresses.line_user_id(f" {uid}\t") == uid
    assert addresses.line_user_id("Uaaa") is None
    assert addresses.line_user_id("x") is None


def test_default_region_setting(tmp_path: Path) -> None:
    assert addresses.default_region({}) == "JP"
    assert addresses.default_region({"addresses": {"default_region": "us"}}) == "US"
    with pytest.raises(ConfigError, match="default_region `ZZ`"):
        addresses.default_region({"addresses": {"default_region": "ZZ"}})


# -- item 2: suppressed people are not exported --------------------------------------------
def test_item2_suppression_matches_dirty_emails_and_ids(tmp_path: Path) -> None:
    customers = [
        {"customer_id": "C000021", "email": "Victim@Example.com\t"},
        {"customer_id": "C000022", "email": "twentytwo@example.com"},
        {"customer_id": "C000023", "email": "ＢＩＧ@example.com"},
        {"customer_id": "C000024", "email": "fine@example.com"},
    ]
    suppression = [
        (None, "victim@example.com", "all", "complaint"),
        ("C000022 ", None, "all", "unsubscribed"),  # trailing space on the id
        (None, "\u3000big@EXAMPLE.com", "Email ", "bounced"),  # dirty email and channel
    ]
    s = _session(tmp_path, customers, suppression)
    try:
        c = dirty_db.campaign(s, "email", "{max_contacts: none}")
        st = _status(s, c)
        assert st["C000021"] == ("suppression", "complaint")
        assert st["C000022"] == ("suppression", "unsubscribed")
        assert st["C000023"] == ("suppression", "bounced")
        assert [r["email"] for r in _export(s, c)] == ["fine@example.com"]
    finally:
        s.close()


# -- item 3: one address gets one message --------------------------------------------------
def test_item3_one_phone_written_many_ways_gets_one_sms(tmp_path: Path) -> None:
    customers = [{"customer_id": f"C{i:02d}", "phone": raw} for i, raw in enumerate(PHONE_VARIANTS)]
    s = _session(tmp_path, customers)
    try:
        c = dirty_db.campaign(s, "sms", "{max_contacts: none}")
        assert _final(s, c) == {"C00"}
        f = policy_funnel(s, c)
        assert {st.key: st.removed for st in f.steps}["dedupe"] == len(PHONE_VARIANTS) - 1
        rows = _export(s, c)
        assert [r["phone"] for r in rows] == [E164]  # the exported address is normalised
    finally:
        s.close()


def test_item3_emails_differing_by_a_tab_or_width_are_one_address(tmp_path: Path) -> None:
    customers = [
        {"customer_id": "C1", "email": "dup@example.com"},
        {"customer_id": "C2", "email": "dup@example.com\t"},
        {"customer_id": "C3", "email": "ＤＵＰ@example.com"},
        {"customer_id": "C4", "email": "other@example.com"},
    ]
    s = _session(tmp_path, customers)
    try:
        c = dirty_db.campaign(s, "email", OPEN)
        assert _final(s, c) == {"C1", "C4"}
        emails = sorted(r["email"] for r in _export(s, c))
        assert emails == ["dup@example.com", "other@example.com"]
    finally:
        s.close()


# -- item 4: unusable phones are not usable ------------------------------------------------
def test_item4_unusable_phones_fail_consent_and_never_reach_the_sms_file(tmp_path: Path) -> None:
    junk = ["N/A", "-", "x", "", " ", "なし"]
    customers = [{"customer_id": f"J{i}", "phone": raw} for i, raw in enumerate(junk)]
    customers.append({"customer_id": "OK", "phone": "090-1234-5678"})
    s = _session(tmp_path, customers)
    try:
        c = dirty_db.campaign(s, "sms", "{max_contacts: none}")
        st = _status(s, c)
        for i in range(len(junk)):
            assert st[f"J{i}"] == ("consent", "no usable phone")
        assert [r["phone"] for r in _export(s, c)] == [E164]
    finally:
        s.close()


def test_unusable_emails_and_line_ids_fail_consent(tmp_path: Path) -> None:
    uid = "U" + "ab" * 16
    customers = [
        {"customer_id": "E1", "email": "a@", "line_user_id": "Uaaa"},
        {"customer_id": "E2", "email": "N/A", "line_user_id": "-"},
        {"customer_id": "E3", "email": "ok@example.com", "line_user_id": f"{uid}\t"},
    ]
    s = _session(tmp_path, customers)
    try:
        c = dirty_db.campaign(s, "email", "{max_contacts: none}")
        assert _final(s, c) == {"E3"}
        c = dirty_db.campaign(s, "line", "{max_contacts: none}", stem="l", dest="line_audience")
        assert _final(s, c) == {"E3"}
        rec = approve(s, review(s, c), "lead", force=True)
        m = write_export(s, c, rec, s.ws.root / "exports", "L1", messages=False)
        assert (Path(m["folder"]) / "audience.txt").read_text("utf-8") == uid + "\n"
    finally:
        s.close()


def test_the_default_region_decides_national_numbers(tmp_path: Path) -> None:
    customers = [
        {"customer_id": "U1", "phone": "(415) 555-2671"},
        {"customer_id": "U2", "phone": "+1 415 555 2671"},
    ]
    s = _session(tmp_path, customers, toml='[addresses]\ndefault_region = "US"\n')
    try:
        c = dirty_db.campaign(s, "sms", "{max_contacts: none}")
        assert _final(s, c) == {"U1"}  # one number: the second is a duplicate
        assert [r["phone"] for r in _export(s, c)] == ["+14155552671"]
    finally:
        s.close()


# -- the frequency cap compares addresses -------------------------------------------------
def test_cap_counts_every_customer_id_sharing_the_address(tmp_path: Path) -> None:
    customers = [
        {"customer_id": "A1", "email": "shared@example.com", "phone": "090-1111-2222"},
        {"customer_id": "A2", "email": "SHARED@example.com\t", "phone": "+81 90 1111 2222"},
        {"customer_id": "A3", "email": "alone@example.com", "phone": "090-3333-4444"},
    ]
    messages = [("A1", "email", "2026-02-27 10:00:00"), ("A1", "sms", "2026-02-28 10:00:00")]
    s = _session(tmp_path, customers, messages=messages)
    try:
        policy = "{max_contacts: {count: 2, within: 7d}, dedupe_by: none}"
        for channel in ("email", "sms"):
            c = dirty_db.campaign(s, channel, policy, stem=channel)
            st = _status(s, c)
            # A2 was never contacted under its own id, but its address was, twice
            assert st["A1"][0] == st["A2"][0] == "frequency_cap", channel
            assert st["A3"] == (None, None)
    finally:
        s.close()
