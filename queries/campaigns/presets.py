"""Export presets as data: the columns, format and limits each sending system expects.

A column's `source` is one of: `customer_id`, `address` (the channel's address field),
`field:NAME` (a customer field), `consent:CHANNEL` (that channel's opt-in), `variant`,
`coupon`, `*fields` (the fields the templates read, minus those already written) and
`*messages` (the rendered parts: subject and body, or text; in presets that `can_carry_messages`
only when the campaign says `how: {include_messages: true}`). docs/presets.md shows the exact
headers; tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from queries.campaigns.model import ADDRESS, Campaign
from queries.core.i18n import N_, _

LINE_SPLIT_ROWS = 1_500_000
_TABULAR = [
    ("customer_id", "customer_id"),
    ("{address}", "address"),
    ("variant", "variant"),
    ("coupon", "coupon"),
    ("{field}", "*fields"),
    ("{part}", "*messages"),
]

PRESETS_DATA: dict[str, dict[str, Any]] = {
    "generic_csv": {
        "label": "Generic CSV (RFC 4180, CRLF)",
        "format": "csv",
        "columns": _TABULAR,
        "messages": True,
    },
    "braze": {
        "label": "Braze user import (external_id + attributes)",
        "format": "csv",
        "columns": [
            ("external_id", "customer_id"),
            ("{address}", "address"),
            ("first_name", "field:given_name"),
            ("last_name", "field:family_name"),
            ("kizuna_variant", "variant"),
            ("kizuna_coupon", "coupon"),
            ("{field}", "*fields"),
            ("kizuna_{part}", "*messages"),
        ],
        "can_carry_messages": True,
        "address_headers": {"email": "email", "sms": "phone", "line": "line_user_id"},
    },
    "mailchimp": {
        "label": "Mailchimp audience import",
        "format": "csv",
        "columns": [
            ("Email Address", "field:email"),
            ("First Name", "field:given_name"),
            ("Last Name", "field:family_name"),
            ("Variant", "variant"),
            ("Coupon", "coupon"),
            ("{field}", "*fields"),
            ("{part}", "*messages"),
        ],
        "can_carry_messages": True,
        "max_field_bytes": 255,
    },
    "sendgrid": {
        "label": "SendGrid contacts import",
        "format": "csv",
        "columns": [
            ("email", "field:email"),
            ("first_name", "field:given_name"),
            ("last_name", "field:family_name"),
            ("variant", "variant"),
            ("coupon", "coupon"),
            ("{field}", "*fields"),
            ("{part}", "*messages"),
        ],
        "can_carry_messages": True,
    },
    "klaviyo": {
        "label": "Klaviyo list import with consent",
        "format": "csv",
        "columns": [
            ("Email", "field:email"),
            ("Phone Number", "field:phone"),
            ("First Name", "field:given_name"),
            ("Last Name", "field:family_name"),
            ("Email Consent", "consent:email"),
            ("SMS Consent", "consent:sms"),
            ("Variant", "variant"),
            ("Coupon", "coupon"),
            ("{field}", "*fields"),
            ("{part}", "*messages"),
        ],
        "can_carry_messages": True,
    },
    "sfmc": {
        "label": "Salesforce Marketing Cloud data extension (TSV)",
        "format": "tsv",
        "columns": [
            ("SubscriberKey", "customer_id"),
            ("EmailAddress", "field:email"),
            ("MobileNumber", "field:phone", ("sms",)),
            ("LineUserId", "field:line_user_id", ("line",)),
            ("Variant", "variant"),
            ("Coupon", "coupon"),
            ("{field}", "*fields"),
            ("{part}", "*messages"),
        ],
        "can_carry_messages": True,
    },
    "line_audience": {
        "label": "LINE audience upload (one user id per line)",
        "format": "lines",
        "columns": [("line_user_id", "field:line_user_id")],
        "header": False,
        "newline": "\n",
        "split_rows": LINE_SPLIT_ROWS,
    },
    "excel_ja": {
        "label": "Excel (Japanese) for human review: masked, formula-safe",
        "format": "csv",
        "columns": [
            ("顧客ID", "customer_id"),
            ("宛先", "address"),
            ("姓", "field:family_name"),
            ("名", "field:given_name"),
            ("バリアント", "variant"),
            ("クーポン", "coupon"),
            ("{field}", "*fields"),
            ("{part}", "*messages"),
        ],
        "can_carry_messages": True,
        "bom": True,
        "mask_pii": True,
        "formula_guard": True,
    },
    "parquet": {"label": "Parquet", "format": "parquet", "columns": _TABULAR, "messages": True},
    "jsonl": {"label": "JSON lines", "format": "jsonl", "columns": _TABULAR, "messages": True},
}
EXTENSIONS = {"csv": "csv", "tsv": "tsv", "lines": "txt", "parquet": "parquet", "jsonl": "jsonl"}


@dataclass(frozen=True)
class Preset:
    """One destination's file shape (see PRESETS_DATA)."""

    name: str
    label: str
    format: str
    columns: tuple[tuple, ...]
    messages: bool = False  # writes the rendered messages
    can_carry_messages: bool = False  # writes them when the campaign says how.include_messages
    header: bool = True
    newline: str = "\r\n"
    bom: bool = False  # UTF-8 files start with a byte-order mark
    mask_pii: bool = False
    formula_guard: bool = False
    max_field_bytes: int | None = None
    split_rows: int | None = None
    address_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ext(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def delimiter(self) -> str:
        return "\t" if self.format == "tsv" else ","

    def text_encoding(self, encoding: str) -> str:
        """The Python codec: UTF-8 with a BOM where the preset asks for one."""
        return "utf-8-sig" if encoding == "utf-8" and self.bom else encoding


PRESETS: dict[str, Preset] = {
    name: Preset(name=name, **{**d, "columns": tuple(d["columns"])})
    for name, d in PRESETS_DATA.items()
}


@dataclass(frozen=True)
class OutColumn:
    """One column of an audience file: its header and where its value comes from."""

    header: str
    kind: str  # customer_id | field | consent | variant | coupon | part
    name: str = ""  # the field, channel or part


def columns_for(preset: Preset, c: Campaign, fields: list[str], messages: bool) -> list[OutColumn]:
    """The audience file's columns for a campaign whose templates read `fields`."""
    out: list[OutColumn] = []
    channel = c.how.channel
    for spec in preset.columns:
        header, source = spec[0], spec[1]
        if len(spec) > 2 and channel not in spec[2]:
            continue
        if source == "address":
            name = ADDRESS[channel]
            fixed = None if header.startswith("{") else header
            out.append(OutColumn(preset.address_headers.get(channel, fixed or name), "field", name))
        elif source.startswith("field:"):
            out.append(OutColumn(header, "field", source[6:]))
        elif source.startswith("consent:"):
            out.append(OutColumn(header, "consent", source[8:]))
        elif source in ("customer_id", "variant", "coupon"):
            if source == "coupon" and c.coupon is None:
                continue
            out.append(OutColumn(header, source, source))
        elif source == "*fields":
            have = {col.name for col in out if col.kind == "field"}
            out += [OutColumn(f, "field", f) for f in fields if f not in have]
        elif source == "*messages" and messages:
            out += [OutColumn(header.format(part=p), "part", p) for p in c.parts]
    return out


def holdout_header(preset: Preset) -> str:
    """The id column's header in holdout files: the preset's customer id header."""
    for spec in preset.columns:
        if spec[1] == "customer_id":
            return spec[0]
    return "customer_id"


def mask_for(preset: Preset, cols: list[OutColumn], catalog: Any) -> list[str | None]:
    """Per column, the field name to mask it as (personal data in masked presets), else None."""
    return [
        col.name
        if preset.mask_pii and col.kind == "field" and catalog.fields[col.name].pii
        else None
        for col in cols
    ]


SYSTEMS = {
    "braze": "Braze",
    "mailchimp": "Mailchimp",
    "sendgrid": "SendGrid",
    "klaviyo": "Klaviyo",
    "sfmc": "Marketing Cloud",
    "line_audience": "LINE",
    "excel_ja": "the sending system",
}


def carries_messages(preset: Preset, c: Campaign) -> bool:
    """Whether this campaign's audience file holds the rendered messages."""
    return bool(preset.messages or (preset.can_carry_messages and c.how.include_messages))


ATTRIBUTES_NOTE = N_(
    "this file carries attributes; the message is built in {system} from the template "
    "in campaign.json"
)
CARRY_HINT = N_(" (add `include_messages: true` under `how:` to put the rendered texts in it)")
SOME_SYSTEM = N_("the sending system")


def attributes_note(c: Campaign, translate: Callable[[str], str] = _) -> str | None:
    """For a file without the rendered messages: where the message is built instead
    (`translate=str` keeps it in English, for the manifest)."""
    preset = PRESETS[c.how.destination]
    if carries_messages(preset, c):
        return None
    system = SYSTEMS.get(preset.name) or translate(SOME_SYSTEM)
    note = translate(ATTRIBUTES_NOTE).format(system=system)
    if preset.can_carry_messages:
        note += translate(CARRY_HINT)
    return note
