"""The COPY path with rendered messages writes byte for byte what the Python writer writes,
and hands every file it cannot vouch for (findings, CP932, masked presets) back to it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from queries.campaigns.parse import load_campaign
from queries.handoff.approval import approve, review
from queries.handoff.export import lookup as export_lookup
from queries.handoff.export.write import write_export
from queries.handoff.refusals import ExportError, PreflightFailed
from queries.query.session import Session, open_session
from tests.handoff_tools import load

ROOT = Path(__file__).resolve().parents[2]


def copy_demo(tmp_path: Path) -> Path:
    """The demo workspace's definitions over the committed demo.duckdb (its features cache too)."""
    ws = tmp_path / "demo"
    for sub in ("segments", "campaigns", "templates"):
        shutil.copytree(ROOT / sub, ws / sub)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{(ROOT / "demo.duckdb").as_posix()}"\n')
    cache = ROOT / ".kizuna" / "cache"
    if cache.is_dir():
        shutil.copytree(cache, ws / ".kizuna" / "cache")
    return ws


HOSTILE = """\
name: '敵対的, "quoted" #campaign'
who: {where: {all: []}}
how: {channel: email, destination: DEST}
what:
  variants:
    - name: A
      subject: "{{ family_name }}様、\\"特別\\"なご案内, {{ given_name | default: 'お客' }} #1"
      body_file: templates/hostile.liquid
    - name: B
      subject: " {{ given_name }} {{ campaign_name }}"
      body: "<p>{{ points | default: 0 | divided_by: -3.0 | round }}, {{ variant }}</p>\\n\
<p>{{ send_date | date: '%Y年%m月%d日' }} {{ coupon | prepend: '<b>' }}</p>"
  coupon: {prefix: HX, length: 6}
policy: {require_consent: false, max_contacts: none}
holdout: {percent: 20, salt: hostile}
"""
BODY = (
    '<p class="greet">{{ family_name }}, {{ email | escape }}</p>\n'
    "<p>\"quoted\", commas, 'single' & {{ given_name }} {{ email }}</p>\n"
    "{% assign n = points | default: 0 %}{% if n > 100 %}多い{% else %}少ない{% endif %}"
    " {{ coupon }}\n"
    "<p>{{ avg_order_value }} {{ email_open_rate_90d | times: -1.0 }} {{ birth_date }} "
    "{{ last_order_at }} {{ email_opt_in }} {{ points | default: 0 | plus: 0.5 }}</p>\n"
)


def _hostile(ws: Path, dest: str, extra: str = "") -> None:
    for sub in ("campaigns", "templates"):
        (ws / sub).mkdir(exist_ok=True)
    (ws / "templates" / "hostile.liquid").write_text(BODY, "utf-8")
    text = HOSTILE.replace("DEST", dest) + extra
    (ws / "campaigns" / "hostile.yaml").write_text(text, "utf-8")


def _both(s: Session, c, rec: dict, out: Path) -> dict | None:
    """Export on both paths: the same files byte for byte, or the same refusal."""
    got = []
    for fast in (True, False):
        try:
            got.append(write_export(s, c, rec, out, f"E{fast}", fast=fast))
        except ExportError as exc:
            got.append(exc)
    if isinstance(got[0], ExportError) or isinstance(got[1], ExportError):
        assert type(got[0]) is type(got[1]) and str(got[0]) == str(got[1])
        return None
    fast, slow = got
    assert slow["fast_path"] is False
    for f in fast["files"]:
        if f["name"] in ("campaign.json", "manifest.json"):
            continue
        a = (Path(fast["folder"]) / f["name"]).read_bytes()
        b = (Path(slow["folder"]) / f["name"]).read_bytes()
        assert a == b, f["name"]
    return fast


@pytest.mark.parametrize(
    ("dest", "encoding", "copy"),
    [
        ("generic_csv", None, True),
        ("sfmc", None, True),  # TSV
        ("sendgrid", None, True),  # include_messages
        ("excel_ja", "utf-8", False),  # a BOM, masked, formula-guarded: the Python writer
        ("excel_ja", "cp932", None),  # 𠮷 (C05) is not in CP932: refused alike
        ("mailchimp", None, False),  # a 255-byte field limit
    ],
)
def test_hostile_messages_copy_path_equals_the_python_writer(
    workspace: Path, session: Session, dest: str, encoding: str | None, copy: bool
) -> None:
    _hostile(workspace, dest)
    path = workspace / "campaigns" / "hostile.yaml"
    text = path.read_text("utf-8")
    how = f"destination: {dest}, include_messages: true"
    if encoding:
        how += f", encoding: {encoding}"
    path.write_text(text.replace(f"destination: {dest}", how), "utf-8")
    c = load(session, "hostile")
    rec = approve(session, review(session, c), "hanako", force=True)
    fast = _both(session, c, rec, workspace / "exports")
    if copy is None:
        assert fast is None
        return
    assert fast is not None and fast["fast_path"] is copy and fast["messages"] is True
    if dest == "generic_csv":
        data = (Path(fast["folder"]) / "audience.csv").read_bytes().decode("utf-8")
        assert "&lt;b&gt;" not in data and "<b>HX" in data  # safe markup, as python-liquid
        assert '""quoted""' in data and "\r\n" in data


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<p>{{ points | divided_by: 0 }}</p>", "render_error"),
        ("{{ given_name }}", "empty"),  # empty for C03 (no given name)
        ("<p>{{ family_name }}</p>" + "長い本文" * 9_000, "over_budget"),  # > 102 KB
    ],
)
def test_a_finding_sends_the_export_to_the_python_writer_which_refuses_alike(
    workspace: Path, session: Session, body: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    declined = []
    copy = export_lookup.copy_with_messages

    def spy(*args: Any) -> bool:
        declined.append(not copy(*args))
        return declined[-1] is False

    monkeypatch.setattr(export_lookup, "copy_with_messages", spy)
    _hostile(workspace, "generic_csv")
    (workspace / "templates" / "hostile.liquid").write_text(body, "utf-8")
    c = load(session, "hostile")
    rec = approve(session, review(session, c), "hanako", force=True)
    said = []
    for fast in (True, False):
        with pytest.raises(PreflightFailed) as refused:
            write_export(session, c, rec, workspace / "exports", f"E{fast}", fast=fast)
        said.append(str(refused.value))
    assert declined == [True]  # the COPY path looked and handed it back
    assert said[0] == said[1] and kind in said[0]
    assert not [p for p in (workspace / "exports" / "hostile").iterdir() if p.name[0] != "."]


def test_the_demo_campaigns_export_the_same_bytes_on_both_paths(tmp_path: Path) -> None:
    ws = copy_demo(tmp_path)
    s = open_session(ws)
    try:
        for stem, copy in (("dormant_winback", True), ("cart_sms", True)):
            c = load_campaign(ws / "campaigns" / f"{stem}.yaml", s.catalog, ws, s.store)
            rec = approve(s, review(s, c), "hanako", force=True)  # (its send_at is past)
            fast = _both(s, c, rec, ws / "exports")
            assert fast is not None and fast["fast_path"] is copy and fast["messages"] is True
    finally:
        s.close()
