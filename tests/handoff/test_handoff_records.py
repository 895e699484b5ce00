"""Typed records, unchanged files: approval.json, manifest.json and campaign.json are byte for
byte what Kizuna wrote before the records were typed (golden files made by the dict-based code,
with only the run's paths, clock and file stamps blanked out), and a bad approval file is
refused naming the file and the field."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import queries.handoff.approval as approval_mod
from queries.handoff import audit
from queries.handoff.approval import approve, review
from queries.handoff.approval_record import Approval, load_approval
from queries.handoff.export.manifest import Manifest, ManifestInvalid
from queries.handoff.export.write import write_export
from queries.handoff.refusals import ApprovalInvalid
from queries.query.session import open_session
from tests.fixture_db import build_fixture
from tests.handoff.golden_norm import normalise
from tests.handoff_tools import load, write_campaign

GOLDEN = Path(__file__).parent / "golden"
FIXED = datetime(2026, 12, 1, 9, 0, 0, tzinfo=timezone.utc)


class _Clock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]  # a fixed clock
        return FIXED


@pytest.fixture()
def short_root() -> Iterator[Path]:
    """A root as long as the golden run's (`/tmp/kzgold` + 8): SQL is wrapped by width."""
    root = Path(tempfile.mkdtemp(prefix="kzgold", dir="/tmp"))
    assert len(str(root)) == len("/tmp/kzgoldAAAAAAAA")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_approval_manifest_and_campaign_json_are_todays_bytes(
    short_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = short_root
    db = build_fixture(tmp_path / "fixture.duckdb")
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    write_campaign(ws)
    monkeypatch.setattr(audit, "who", lambda: {"os_user": "hanako", "host": "box", "ssh": None})
    monkeypatch.setattr(approval_mod, "datetime", _Clock)
    s = open_session(ws)
    try:
        c = load(s)
        rec = approve(s, review(s, c), "hanako")
        m = write_export(s, c, rec, ws / "exports", "E1", fast=False)
    finally:
        s.close()
    written = {
        "approval.json": ws / ".kizuna" / "approvals" / "spring.json",
        "manifest.json": Path(m["folder"]) / "manifest.json",
        "campaign.json": Path(m["folder"]) / "campaign.json",
    }
    for name, path in written.items():
        got = normalise(path.read_text("utf-8"), str(tmp_path))
        assert got == (GOLDEN / name).read_text("utf-8"), name


def test_an_approval_file_reads_back_byte_for_byte() -> None:
    text = (GOLDEN / "approval.json").read_text("utf-8")
    rec = Approval.from_json(text, "approval.json")
    assert rec.to_json() == text
    assert rec.approved_by == "hanako" and rec.recipients == 4
    assert rec.sha256 == json.loads(text)["fingerprint"]["sha256"]


def test_an_older_record_keeps_its_shape() -> None:
    """Keys an older Kizuna did not write stay absent; unknown ones are kept."""
    data = json.loads((GOLDEN / "approval.json").read_text("utf-8"))
    for key in ("who", "send_at_passed", "measurability"):
        del data[key]
    data["note"] = "signed on paper too"
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    rec = Approval.from_json(text)
    assert rec.to_json() == text and rec.who is None and rec.send_at_passed is False


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.pop("recipients"), "the approval has no `recipients`"),
        (lambda d: d.update(recipients="four"), "`recipients` must be int, not str"),
        (lambda d: d.update(approved_by=None), "`approved_by` must be str, not NoneType"),
        (lambda d: d["fingerprint"].update(files=[]), "`fingerprint.files` must map"),
    ],
)
def test_a_bad_approval_names_the_file_and_field(tmp_path: Path, change: Any, words: str) -> None:
    from queries.core.workspace import load_workspace

    (tmp_path / "kizuna.toml").write_text("")
    ws = load_workspace(tmp_path)
    data = json.loads((GOLDEN / "approval.json").read_text("utf-8"))
    change(data)
    path = ws.state_dir / "approvals" / "spring.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ApprovalInvalid) as exc:
        load_approval(ws, "spring")
    assert str(exc.value).startswith(".kizuna/approvals/spring.json: ")
    assert words in str(exc.value)


def test_broken_json_says_where(tmp_path: Path) -> None:
    with pytest.raises(ApprovalInvalid, match=r"x\.json: not valid JSON \(line 2, column 1"):
        Approval.from_json('{"campaign": "a",\n}', "x.json")


def test_a_manifest_reads_back_byte_for_byte() -> None:
    text = (GOLDEN / "manifest.json").read_text("utf-8")
    m = Manifest.from_json(text)
    assert m.to_json() == text
    assert m.recipients == 4 and [f.name for f in m.files][-1] == "campaign.json"


def test_a_bad_manifest_names_the_field() -> None:
    data = json.loads((GOLDEN / "manifest.json").read_text("utf-8"))
    data["forced"] = "no"
    with pytest.raises(ManifestInvalid, match=r"^m\.json: `forced` must be bool, not str"):
        Manifest.from_dict(data, "m.json")
    del data["forced"]
    with pytest.raises(ManifestInvalid, match=r"^m\.json: the manifest has no `forced`"):
        Manifest.from_dict(data, "m.json")
