"""The one definition of a normalised, usable address (email, phone, LINE id) and customer id.

Consent, suppression, the frequency cap, dedupe and the exported file all read these values
(computed once per snapshot by address_book.py), so every engine compares the same strings.
A function returns None when the value is not a usable address.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from queries.core.errors import ConfigError

DEFAULT_REGION = "JP"
VERSION = "1"  # bump when a rule changes: cached per-snapshot tables are rebuilt

# an email after normalisation: one @; a local part without the characters that split or wrap
# addresses in a header (, ; < > ( ) [ ] : " and spaces); a dotted domain of word characters
_EMAIL = re.compile(r"[^@,;<>()\[\]:\"\s]+@(?:[\w-]+\.)+[\w-]+")
_LINE = re.compile(r"U[0-9a-f]{32}")


# every blank: whitespace or a control/format character (Unicode 14: Cc, Cf, Zs, Zl, Zp;
# a test recomputes them), as ranges for C-speed strip and translate
_RANGES = [
    (0x0, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD),
    (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x1680, 0x1680), (0x180E, 0x180E),
    (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F), (0x3000, 0x3000),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
]  # fmt: skip
BLANKS = "".join(chr(c) for lo, hi in _RANGES for c in range(lo, hi + 1))
_DROP = str.maketrans("", "", BLANKS)


def _no_blank(text: str) -> bool:
    """No whitespace or control character anywhere (ASCII checked at C speed)."""
    if text.isascii():
        return text.isprintable() and " " not in text
    return len(text.translate(_DROP)) == len(text)


def trim(value: Any) -> str | None:
    """Text without leading/trailing whitespace and control characters; None when empty."""
    if value is None:
        return None
    return str(value).strip(BLANKS) or None


def customer_key(value: Any) -> str | None:
    """A customer id as compared with a suppression list: trimmed of whitespace/controls."""
    return trim(value)


def email(value: Any) -> str | None:
    """NFKC, trimmed of whitespace and control characters, lower-cased; None if unusable."""
    if value is None:
        return None
    text = trim(unicodedata.normalize("NFKC", str(value)))
    if text is None:
        return None
    text = text.lower()
    if not _no_blank(text) or not _EMAIL.fullmatch(text):
        return None
    return text


def phone(value: Any, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (`+819012345678`) parsed with `phonenumbers`, the default region for national
    numbers; full-width digits, spaces, dashes, dots and brackets do not matter. None when it
    does not parse to a possible number (`N/A`, `-`, `x`) or carries an extension."""
    import phonenumbers  # imported on first use: it is slow to import

    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = text.translate(_DROP)
    if not text or len(text) > 64:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def line_user_id(value: Any) -> str | None:
    """A LINE user id trimmed; usable only as `U` followed by 32 lower-case hex digits."""
    text = trim(value)
    if text is None or not _LINE.fullmatch(text):
        return None
    return text


def channel_name(value: Any) -> str | None:
    """A suppression or contact channel, compared trimmed and lower-cased."""
    text = trim(value)
    return text.lower() if text is not None else None


def default_region(raw: dict[str, Any]) -> str:
    """The workspace's `[addresses] default_region` (an ISO 3166 code; JP when unset)."""
    import phonenumbers

    section = raw.get("addresses", {})
    if not isinstance(section, dict):
        raise ConfigError("kizuna.toml [addresses] must be a table")
    region = str(section.get("default_region", DEFAULT_REGION)).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"kizuna.toml [addresses] default_region `{region}` is not a region phonenumbers "
            "knows (use an ISO 3166 code such as JP, US, GB)"
        )
    return region


class Normaliser:
    """The per-channel rules bound to a region, memoising phones (the slow one)."""

    def __init__(self, region: str = DEFAULT_REGION):
        self.region = region
        self._phones: dict[str, str | None] = {}

    def email(self, value: Any) -> str | None:
        return email(value)

    def phone(self, value: Any) -> str | None:
        if value is None:
            return None
        key = str(value)
        hit = self._phones.get(key, self)
        if hit is not self:
            # `self` is the miss sentinel (None is a cached answer): hit is a str | None here
            return hit  # type: ignore[return-value]
        out = phone(key, self.region)
        if len(self._phones) < 200_000:
            self._phones[key] = out
        return out

    def line_user_id(self, value: Any) -> str | None:
        return line_user_id(value)

    def address(self, field: str, value: Any) -> str | None:
        """The normalised value of an address field (email, phone or line_user_id)."""
        if field == "email":
            return self.email(value)
        if field == "phone":
            return self.phone(value)
        return self.line_user_id(value)
