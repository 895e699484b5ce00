"""Every preset writes exactly the header docs/presets.md documents for the example campaigns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.model import DESTINATIONS
from queries.campaigns.presets import PRESETS, PRESETS_DATA
from queries.campaigns.preview import preview
from queries.handoff.approval import review
from queries.handoff.export.write import write_export
from queries.query.session import Session
from tests.handoff_tools import approved, write_campaign

ROOT = Path(__file__).resolve().parents[2]
LINE = """\
name: line
who: {where: {all: []}}
how: {channel: line, destination: line_audience}
what:
  variants:
    - {name: main, text: "{{ family_name }}様"}
policy: {max_contacts: none}
"""


def documented() -> dict[str, str]:
    text = (ROOT / "docs" / "presets.md").read_text("utf-8")
    return dict(re.findall(r"^## `(\w+)`\n.*?^```header\n(.*?)\n```", text, re.S | re.M))


def test_every_preset_is_documented_and_offered_by_campaigns() -> None:
    assert set(documented()) == set(PRESETS) == set(PRESETS_DATA) == set(DESTINATIONS)


def _header(folder: Path, name: str) -> str:
    path = folder / name
    if name.endswith(".parquet"):
        cur = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}') LIMIT 0")
        return ",".join(d[0] for d in cur.description)
    if name.endswith(".jsonl"):
        return ",".join(json.loads(path.read_text("utf-8").splitlines()[0]))
    first = path.read_bytes().split(b"\r\n", 1)[0]
    enc = "utf-8-sig" if first.startswith(b"\xef\xbb\xbf") else "utf-8"
    return first.decode(enc)


@pytest.mark.parametrize("name", [p for p in PRESETS if p != "line_audience"])
def test_preset_writes_its_documented_header(name: str, workspace: Path, session: Session) -> None:
    write_campaign(workspace, name, dest=name, encoding="utf-8" if name == "excel_ja" else None)
    c, rec = approved(session, name)
    m = write_export(session, c, rec, workspace / "exports", "E1")
    files = [f["name"] for f in m["files"]]
    audience = next(f for f in files if f.startswith("audience."))
    assert audience == f"audience.{PRESETS[name].ext}" and f"holdout.{PRESETS[name].ext}" in files
    assert _header(Path(m["folder"]), audience) == documented()[name]


def test_line_audience_is_ids_only(workspace: Path, session: Session) -> None:
    (workspace / "campaigns").mkdir()
    (workspace / "campaigns" / "line.yaml").write_text(LINE, "utf-8")
    c, rec = approved(session, "line")
    m = write_export(session, c, rec, workspace / "exports", "E1")
    assert documented()["line_audience"] == "(no header)"
    lines = (Path(m["folder"]) / "audience.txt").read_text().split("\n")
    assert lines[-1] == "" and lines[:-1] == ["U" + "a" * 32, "U" + "d" * 32]  # C01, C04


def documented_with_messages() -> dict[str, str]:
    text = (ROOT / "docs" / "presets.md").read_text("utf-8")
    return dict(
        re.findall(
            r"^## `(\w+)`\n(?:(?!^## ).)*?^```header with messages\n(.*?)\n```", text, re.S | re.M
        )
    )


CARRIERS = [p.name for p in PRESETS.values() if p.can_carry_messages]


def test_the_attribute_presets_that_can_carry_messages_are_documented() -> None:
    assert set(documented_with_messages()) == set(CARRIERS) and "braze" in CARRIERS


@pytest.mark.parametrize("name", CARRIERS)
def test_include_messages_writes_the_documented_columns_and_the_approved_texts(
    name: str, workspace: Path, session: Session
) -> None:
    path = write_campaign(
        workspace, name, dest=name, encoding="utf-8" if name == "excel_ja" else None
    )
    path.write_text(
        path.read_text("utf-8").replace(
            f"destination: {name}", f"destination: {name}, include_messages: true"
        ),
        "utf-8",
    )
    c, rec = approved(session, name)
    m = write_export(session, c, rec, workspace / "exports", "E1")
    audience = f"audience.{PRESETS[name].ext}"
    assert _header(Path(m["folder"]), audience) == documented_with_messages()[name]
    assert m["messages"] is True and m["messages_note"] is None


def test_a_file_without_messages_says_where_the_message_is_built(
    workspace: Path, session: Session
) -> None:
    write_campaign(workspace, "braze", dest="braze")
    c, rec = approved(session, "braze")
    assert any("the message is built in Braze" in n for n in review(session, c).preflight.notes)
    assert "the message is built in Braze" in preview(session, c, n=1).notes[0]
    m = write_export(session, c, rec, workspace / "exports", "E1")
    assert m["messages"] is False
    assert m["messages_note"].startswith(
        "this file carries attributes; the message is built in Braze from the template in "
        "campaign.json"
    )
