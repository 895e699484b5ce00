"""Length budgets counted the way each channel counts: SMS segments, LINE characters, email."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from queries.core.i18n import N_, _, ngettext

# GSM 03.38 default alphabet (ESC excluded: it only introduces extension characters).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these costs two septets (ESC + the character).
GSM_EXTENSION = "\f^{}\\[~]|€"
SMS_SINGLE = {"GSM-7": 160, "UCS-2": 70}
SMS_PART = {"GSM-7": 153, "UCS-2": 67}
LINE_TEXT_MAX = 5000
EMAIL_SUBJECT_MAX = 150  # Mailchimp's cap, the strictest of the email presets
EMAIL_BODY_MAX_BYTES = 102 * 1024  # Gmail clips larger messages

_NOT_GSM = re.compile("[^" + re.escape(GSM_BASIC + GSM_EXTENSION) + "]")
_EXT = re.compile("[" + re.escape(GSM_EXTENSION) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_UTF16 = partial(str.encode, encoding="utf-16-le")


@dataclass(frozen=True)
class SmsCount:
    """How an SMS gateway counts a text: encoding, units (septets or UTF-16), segments."""

    encoding: str
    units: int
    segments: int

    @property
    def per_segment(self) -> int:
        return SMS_SINGLE[self.encoding] if self.segments <= 1 else SMS_PART[self.encoding]


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (emoji, 𠮷) count two."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def _pack(costs: list[int], size: int) -> int:
    """Segments needed when a two-unit character is never split across segments."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > size:
            segments += 1
            used = 0
        used += cost
    return segments


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return _NOT_GSM.search(text) is None


def sms_count(text: str) -> SmsCount:
    """Count an SMS: GSM-7 (160, or 153 per part) else UCS-2 (70, or 67 per part)."""
    if not text:
        return SmsCount("GSM-7", 0, 0)
    if is_gsm7(text):
        n_ext = len(_EXT.findall(text))
        units = len(text) + n_ext
        if units <= SMS_SINGLE["GSM-7"]:
            return SmsCount("GSM-7", units, 1)
        if not n_ext:
            return SmsCount("GSM-7", units, -(-units // SMS_PART["GSM-7"]))
        costs = [2 if ch in GSM_EXTENSION else 1 for ch in text]
        return SmsCount("GSM-7", units, _pack(costs, SMS_PART["GSM-7"]))
    units = utf16_units(text)
    if units <= SMS_SINGLE["UCS-2"]:
        return SmsCount("UCS-2", units, 1)
    if units == len(text):
        return SmsCount("UCS-2", units, -(-units // SMS_PART["UCS-2"]))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsCount("UCS-2", units, _pack(costs, SMS_PART["UCS-2"]))


@dataclass(frozen=True)
class Budget:
    """The limit for one message part on one channel, and how to measure a text against it."""

    channel: str
    part: str
    limit: int
    unit: str  # segments | characters | bytes

    def size(self, text: str) -> int:
        """The text's size in this budget's unit."""
        if self.unit == "segments":
            return sms_count(text).segments
        if self.unit == "bytes":
            return len(text) if text.isascii() else len(text.encode("utf-8"))
        return utf16_units(text)

    def sizes(self, texts: Sequence[str]) -> list[int]:
        """Sizes of many texts, at C speed when they are plain (no astral characters)."""
        if self.unit == "segments":
            return [sms_count(t).segments for t in texts]
        if self.unit == "bytes":
            return list(map(len, map(str.encode, texts)))
        if _ASTRAL.search("".join(texts)) is None:
            return list(map(len, texts))
        return [n >> 1 for n in map(len, map(_UTF16, texts))]

    def over(self, text: str) -> bool:
        return self.size(text) > self.limit

    def describe(self, text: str) -> str:
        """A short human account, e.g. `UCS-2, 2 segments (75 units; limit 1)`."""
        if self.unit == "segments":
            c = sms_count(text)
            segments = ngettext("{n} segment", "{n} segments", c.segments).format(n=c.segments)
            units = _("septets") if c.encoding == "GSM-7" else _("UTF-16 units")
            return _("{encoding}, {segments} ({n} {units}; limit {limit})").format(
                encoding=c.encoding, segments=segments, n=c.units, units=units, limit=self.limit
            )
        return _("{n} {unit} (limit {limit})").format(
            n=f"{self.size(text):,}",
            unit=_(UNITS.get(self.unit, self.unit)),
            limit=f"{self.limit:,}",
        )


UNITS = {"characters": N_("characters"), "bytes": N_("bytes"), "segments": N_("segments")}


def budget(channel: str, part: str, max_segments: int = 1) -> Budget:
    """The budget for a part: SMS text in segments, LINE text and email subject in characters
    (UTF-16 units, as LINE counts), email body in UTF-8 bytes."""
    if channel == "sms":
        return Budget(channel, part, max_segments, "segments")
    if channel == "line":
        return Budget(channel, part, LINE_TEXT_MAX, "characters")
    if part == "subject":
        return Budget(channel, part, EMAIL_SUBJECT_MAX, "characters")
    return Budget(channel, part, EMAIL_BODY_MAX_BYTES, "bytes")


def parts_for(channel: str) -> tuple[str, ...]:
    """The message parts a channel sends: subject and body for email, text otherwise."""
    return ("subject", "body") if channel == "email" else ("text",)


def unencodable(text: str, encoding: str) -> list[str]:
    """The distinct characters of `text` that `encoding` cannot carry, in order of appearance."""
    try:
        text.encode(encoding)
        return []
    except UnicodeEncodeError:
        pass
    bad: list[str] = []
    for ch in text:
        if ch not in bad:
            try:
                ch.encode(encoding)
            except UnicodeEncodeError:
                bad.append(ch)
    return bad
