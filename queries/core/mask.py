"""Mask personal data for display: `t***@example.jp`, `+81 90-****-5678`, `佐*`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return mask_text(value)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    """+819012345678 → +81 90-****-5678 (country code, first two digits and last four kept)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.startswith("+81") and len(digits) >= 10:
        national = digits[2:]
        return f"+81 {national[:2]}-****-{national[-4:]}"
    if len(digits) >= 6:
        head = value[: len(value) - len(value.lstrip("+")) + 2]
        return f"{head}{'*' * max(len(digits) - 6, 2)}{digits[-4:]}"
    return "****"


def mask_text(value: str) -> str:
    if not value:
        return value
    if len(value) == 1:
        return "*"
    return value[:1] + "*" * min(max(len(value) - 1, 1), 8)


def mask_value(name: str, value: Any) -> Any:
    """Mask one PII value according to what the field holds."""
    if value is None:
        return None
    if name == "email":
        return mask_email(str(value))
    if name == "phone":
        return mask_phone(str(value))
    if name == "line_user_id":
        s = str(value)
        return s[:1] + "***" + s[-4:] if len(s) > 5 else "***"
    if isinstance(value, (date, datetime)):
        return f"{value.year}-**-**"
    return mask_text(str(value))
