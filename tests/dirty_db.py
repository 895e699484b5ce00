"""Small snapshots with the dirt real ones carry (tabs, full-width, case, punctuation), for the
address tests: customers, suppression rows and contact history given as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from queries.campaigns.parse import campaign_from_text
from queries.query.session import Session

from .fixture_db import SCHEMA

COLUMNS = [
    "customer_id", "email", "phone", "line_user_id", "family_name", "given_name", "gender",
    "birth_date", "prefecture", "signup_at", "signup_channel", "loyalty_tier", "points",
    "email_opt_in", "sms_opt_in", "line_opt_in", "preferred_channel",
]  # fmt: skip
DEFAULTS: dict[str, Any] = {
    "family_name": "山田",
    "given_name": "花子",
    "signup_at": "2020-01-01 00:00:00",
    "loyalty_tier": "regular",
    "points": 0,
    "email_opt_in": True,
    "sms_opt_in": True,
    "line_opt_in": True,
}


def build(
    path: Path,
    customers: list[dict[str, Any]],
    suppression: list[tuple] = (),  # type: ignore[assignment]
    messages: list[tuple] = (),  # type: ignore[assignment]
) -> Path:
    """A snapshot with these customers (dicts over COLUMNS), suppression rows
    (customer_id, email, channel, reason) and messages (customer_id, channel, sent_at)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA)
        for c in customers:
            row = [c.get(k, DEFAULTS.get(k)) for k in COLUMNS]
            con.execute(f"INSERT INTO customers VALUES ({','.join('?' * len(COLUMNS))})", row)
        for cid, email, channel, reason in suppression:
            con.execute(
                "INSERT INTO suppression_list VALUES (?, ?, ?, ?, TIMESTAMP '2026-01-01')",
                [cid, email, channel, reason],
            )
        for i, (cid, channel, sent_at) in enumerate(messages):
            con.execute(
                "INSERT INTO messages VALUES (?, ?, 'old', ?, ?, NULL, NULL)",
                [f"M{i}", cid, channel, sent_at],
            )
    finally:
        con.close()
    return path


def workspace(root: Path, db: Path, extra_toml: str = "") -> Path:
    """A workspace over `db` with an `everyone` segment."""
    for sub in ("segments", "campaigns", "templates"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "segments" / "everyone.yaml").write_text("name: everyone\nwhere: {all: []}\n", "utf-8")
    (root / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{db.as_posix()}"\n{extra_toml}', "utf-8"
    )
    return root


CAMPAIGN = """\
name: {stem}
who:
  segment: everyone
how: {{channel: {channel}, destination: {dest}}}
what:
  variants:
    - {{name: A, {parts}}}
policy: {policy}
holdout: {{percent: 0, salt: s}}
"""
PARTS = {"email": 'subject: "hi", body: "b"', "sms": 'text: "t"', "line": 'text: "t"'}


def campaign(
    s: Session,
    channel: str = "email",
    policy: str = "{}",
    stem: str = "t",
    dest: str = "generic_csv",
):
    """Write and load a one-variant campaign over `everyone` (no holdout)."""
    text = CAMPAIGN.format(
        stem=stem, channel=channel, parts=PARTS[channel], policy=policy, dest=dest
    )
    path = s.ws.root / "campaigns" / f"{stem}.yaml"
    path.write_text(text, "utf-8")
    return campaign_from_text(text, s.catalog, str(path), s.ws.root, s.store)
