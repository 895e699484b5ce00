"""The one definition of a normalised, usable address (email, phone, LINE id) and customer id.

Consent, suppression, the frequency cap, dedupe and the exported file all read these values
(computed once per snapshot by address_book.py), so every engine compares the same strings.
A function returns None when the value is not a usable address.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers

from .errors import ConfigError

DEFAULT_REGION = "JP"
VERSION = "1"  # bump when a rule changes: cached per-snapshot tables are rebuilt

# an email after normalisation: one @; a local part without the characters that split or wrap
# addresses in a header (, ; < > ( ) [ ] : " and spaces); a dotted domain of word characters
_EMAIL = re.compile(r"[^@,;<>()\[\]:\"\s]+@(?:[\w-]+\.)+[\w-]+")
_LINE = re.compile(r"U[0-9a-f]{32}")


def _blank(ch: str) -> bool:
    """Whitespace (any Unicode space, tab, line breaks) or a control/format character."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def trim(value: Any) -> str | None:
    """Text without leading/trailing whitespace and control characters; None when empty."""
    if value is None:
        return None
    text = str(value)
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end] or None


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
    if any(_blank(ch) for ch in text) or not _EMAIL.fullmatch(text):
        return None
    return text


def phone(value: Any, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (`+819012345678`) parsed with `phonenumbers`, the default region for national
    numbers; full-width digits, spaces, dashes, dots and brackets do not matter. None when it
    does not parse to a possible number (`N/A`, `-`, `x`) or carries an extension."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if not _blank(ch))
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
