"""SMS segments (GSM-7 vs UCS-2), LINE and email budgets, encodings."""

from __future__ import annotations

import pytest

from queries.campaigns.channels import (
    budget,
    is_gsm7,
    parts_for,
    sms_count,
    unencodable,
    utf16_units,
)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("Café @ 5€ {ok}", "GSM-7", 17, 1),  # é is basic; € { } cost two septets each
        ("{" * 80, "GSM-7", 160, 1),
        ("{" * 80 + "a", "GSM-7", 161, 2),
        # an escape pair never straddles two parts: 152 + € does not fit in 153
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("あ" * 70, "UCS-2", 70, 1),
        ("あ" * 71, "UCS-2", 71, 2),
        ("あ" * 134, "UCS-2", 134, 2),
        ("あ" * 135, "UCS-2", 135, 3),
        ("Hello あ", "UCS-2", 7, 1),  # one Japanese character forces UCS-2
        ("ça va", "UCS-2", 5, 1),  # ç is not in GSM-7 (only Ç is)
        ("a`b", "UCS-2", 3, 1),  # nor is the backtick
        ("😀" * 35, "UCS-2", 70, 1),  # each emoji is a surrogate pair: two units
        ("😀" * 36, "UCS-2", 72, 2),
        ("𠮷野" * 20, "UCS-2", 60, 1),
        # a surrogate pair is never split: 66 + 2 does not fit in 67
        ("あ" * 66 + "😀" + "あ" * 66, "UCS-2", 134, 3),
    ],
)
def test_sms_count(text: str, encoding: str, units: int, segments: int) -> None:
    c = sms_count(text)
    assert (c.encoding, c.units, c.segments) == (encoding, units, segments)


def test_per_segment_sizes() -> None:
    assert sms_count("a" * 10).per_segment == 160
    assert sms_count("a" * 200).per_segment == 153
    assert sms_count("あ").per_segment == 70
    assert sms_count("あ" * 80).per_segment == 67


def test_gsm_alphabet_edges() -> None:
    assert is_gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà^{}\\[~]|€\n\r")
    assert not is_gsm7("ç")
    assert not is_gsm7("\x1b")


def test_utf16_units() -> None:
    assert utf16_units("abc") == 3
    assert utf16_units("東京") == 2
    assert utf16_units("𠮷") == 2
    assert utf16_units("👍🏽") == 4


def test_budgets() -> None:
    sms = budget("sms", "text", 2)
    assert (sms.limit, sms.unit) == (2, "segments")
    assert not sms.over("あ" * 134) and sms.over("あ" * 135)
    assert "UCS-2, 3 segments" in sms.describe("あ" * 135)
    line = budget("line", "text")
    assert line.limit == 5000 and not line.over("あ" * 5000) and line.over("あ" * 5001)
    assert line.size("😀" * 2500) == 5000
    subject = budget("email", "subject")
    assert subject.unit == "characters" and subject.over("x" * 151)
    body = budget("email", "body")
    assert body.size("あ") == 3 and body.unit == "bytes"
    texts = ["abc", "あい", "😀", ""]
    for b in (sms, line, subject, body):
        assert b.sizes(texts) == [b.size(t) for t in texts]
    assert parts_for("email") == ("subject", "body") and parts_for("sms") == ("text",)


def test_unencodable() -> None:
    assert unencodable("𠮷野 髙橋 山﨑", "cp932") == ["𠮷"]
    assert unencodable("鷗外 𠮷 𠮷", "cp932") == ["鷗", "𠮷"]
    assert unencodable("𠮷野", "utf-8") == []
