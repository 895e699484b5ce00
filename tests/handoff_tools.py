"""Helpers for the approval/export tests: a campaign workspace over the 8-customer fixture."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from queries.campaigns.model import Campaign
from queries.campaigns.parse import load_campaign
from queries.handoff.approval import approve, review
from queries.handoff.approval_record import Approval
from queries.query.session import Session

SPRING = """\
name: 春のご案内
who:
  segment: everyone
how: {{channel: email, destination: {dest}{enc}}}
what:
  variants:
    - {{name: A, subject: "{{{{ family_name }}}}様へ", body_file: templates/spring.liquid}}
    - name: B
      subject: "{{{{ given_name | default: 'お客' }}}}様"
      body: "<p>{{{{ points | default: 0 }}}} pt {{{{ coupon }}}}</p>"
  coupon: {{prefix: SP, length: 6}}
{policy}holdout: {{percent: 30, salt: spring}}
"""
OPEN_POLICY = "policy: {require_consent: false, max_contacts: none}\n"
BODY = "<p>{{ family_name }} {{ given_name | default: '' }}様 コード {{ coupon }}</p>\n"


def write_campaign(
    ws: Path,
    stem: str = "spring",
    dest: str = "generic_csv",
    policy: str = OPEN_POLICY,
    encoding: str | None = None,
) -> Path:
    """A two-variant email campaign over segments/everyone.yaml (referencing base.yaml)."""
    for sub in ("segments", "campaigns", "templates"):
        (ws / sub).mkdir(exist_ok=True)
    (ws / "segments" / "base.yaml").write_text("name: base\nwhere: {all: []}\n", "utf-8")
    (ws / "segments" / "everyone.yaml").write_text(
        "name: everyone\nwhere:\n  all:\n    - segment: base\n", "utf-8"
    )
    (ws / "templates" / "spring.liquid").write_text(BODY, "utf-8")
    enc = f", encoding: {encoding}" if encoding else ""
    path = ws / "campaigns" / f"{stem}.yaml"
    path.write_text(SPRING.format(dest=dest, enc=enc, policy=policy), "utf-8")
    return path


def load(s: Session, stem: str = "spring") -> Campaign:
    return load_campaign(s.ws.root / "campaigns" / f"{stem}.yaml", s.catalog, s.ws.root, s.store)


def approved(s: Session, stem: str = "spring", force: bool = False) -> tuple[Campaign, Approval]:
    """Load, review and approve a campaign; returns it with its approval record."""
    c = load(s, stem)
    return c, approve(s, review(s, c), "hanako", force)


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, Any]]:
    text = path.read_bytes().decode(encoding)
    return list(csv.DictReader(io.StringIO(text, newline="")))
