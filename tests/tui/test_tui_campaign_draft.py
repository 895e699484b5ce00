"""The campaign editor's draft model (no Textual): engine validation, save and round trip."""

from __future__ import annotations

import pytest

from queries.campaigns.parse import load_campaign
from queries.core.errors import KizunaError
from queries.query.session import open_session
from tests.tui.test_tui_campaign_support import copy_demo
from tui.screens.campaigns.campaign_draft import (
    CampaignDraft,
    part_of,
    problem,
    starter_campaign,
    switch_channel,
)
from tui.widgets.campaign_preview import message_content, values_content


@pytest.fixture()
def ws_session(tmp_path):
    ws = copy_demo(tmp_path)
    s = open_session(ws)
    yield ws, s
    s.close()


def load(ws, s, stem: str) -> CampaignDraft:
    return CampaignDraft.load(ws / "campaigns" / f"{stem}.yaml", s.catalog, ws, s.store)


@pytest.mark.parametrize("stem", ["dormant_winback", "cart_sms", "birthday_line"])
def test_an_unchanged_draft_builds_the_same_campaign(ws_session, stem):
    ws, s = ws_session
    d = load(ws, s, stem)
    assert not d.dirty
    built = d.build(s.catalog, s.store)
    loaded = load_campaign(ws / "campaigns" / f"{stem}.yaml", s.catalog, ws, s.store)
    assert (built.who, built.how, built.when, built.holdout, built.policy, built.coupon) == (
        loaded.who,
        loaded.how,
        loaded.when,
        loaded.holdout,
        loaded.policy,
        loaded.coupon,
    )
    for key, tpl in loaded.templates.items():
        assert built.templates[key].source == tpl.source


def test_template_files_are_edited_as_text(ws_session):
    ws, s = ws_session
    d = load(ws, s, "birthday_line")
    v = d.variants[0]
    assert v.text_file == "templates/birthday_line.liquid"
    assert v.text.startswith("🎂 {{ family_name }}") and not v.text.endswith("\n")
    v.text += "\n{{ points }}pt"
    assert d.dirty and d.file_sources() == {"templates/birthday_line.liquid": v.text}
    assert "text_file: templates/birthday_line.liquid" in d.yaml()
    assert "{{ points }}pt" in d.yaml(inline_files=True)


def test_errors_name_the_field_and_the_template_position(ws_session):
    ws, s = ws_session
    d = load(ws, s, "dormant_winback")
    d.variants[1].body = "ok\n{{ famly_name }}"
    with pytest.raises(KizunaError) as err:
        d.build(s.catalog, s.store)
    where, text = problem(err.value)
    assert where == "what.variants[1].body" and part_of(where) == (1, "body")
    assert "famly_name" in text and "template line 2, column 4" in text
    assert "family_name" in text  # the suggestion
    d.variants[1].body = "ok"
    d.send_at = "2026-11-28T23:00:00+09:00"  # inside the quiet hours
    with pytest.raises(KizunaError) as err:
        d.build(s.catalog, s.store)
    assert problem(err.value)[0] == "when.send_at"
    d.send_at, d.holdout = "", "150"
    with pytest.raises(KizunaError) as err:
        d.build(s.catalog, s.store)
    assert problem(err.value)[0] == "holdout.percent"


def test_save_writes_changed_files_only_and_round_trips(ws_session):
    ws, s = ws_session
    d = load(ws, s, "dormant_winback")
    yaml_before = (ws / "campaigns/dormant_winback.yaml").read_text()
    d.variants[1].body = "<p>{{ family_name }}様</p>"
    written = d.save(s.catalog, s.store)
    assert written == [(ws / "templates/winback_b.liquid").resolve()]
    assert (ws / "campaigns/dormant_winback.yaml").read_text() == yaml_before
    d.send_at, d.holdout, d.variants[0].weight = "2026-12-01T10:00:00+09:00", "12.5", "70"
    assert d.save(s.catalog, s.store) == [ws / "campaigns/dormant_winback.yaml"]
    assert not d.dirty
    again = load(ws, s, "dormant_winback")
    assert again.yaml() == d.yaml() and again.file_sources() == d.file_sources()
    c = load_campaign(ws / "campaigns/dormant_winback.yaml", s.catalog, ws, s.store)
    assert (c.holdout.percent, c.variants[0].weight) == (12.5, 70)
    assert c.when.send_at.isoformat() == "2026-12-01T10:00:00+09:00"
    assert c.when.quiet_hours == ("21:00", "08:00")


def test_an_invalid_draft_is_not_saved(ws_session):
    ws, s = ws_session
    d = load(ws, s, "cart_sms")
    before = (ws / "campaigns/cart_sms.yaml").read_text()
    d.variants[0].text = "{% if %}"
    with pytest.raises(KizunaError):
        d.save(s.catalog, s.store)
    assert (ws / "campaigns/cart_sms.yaml").read_text() == before and d.dirty


def test_switching_channel_keeps_a_message_to_edit(ws_session):
    ws, s = ws_session
    d = load(ws, s, "cart_sms")
    switch_channel(d, "email")
    d.segment = "vip"
    c = d.build(s.catalog, s.store)
    assert c.how.channel == "email" and c.who.segment == "vip"
    assert ("A", "subject") in c.templates and "max_segments" not in d.yaml()


def test_a_new_campaign_starts_from_a_segment(ws_session):
    ws, s = ws_session
    path = starter_campaign("誕生日のご案内", "vip", ws / "campaigns", ws, s.catalog, s.store)
    # a Japanese name keeps its letters in the file name (issue 15); a taken name gets _2
    assert path == ws / "campaigns/誕生日のご案内.yaml"
    again = starter_campaign("誕生日のご案内", "vip", ws / "campaigns", ws, s.catalog, s.store)
    assert again.name == "誕生日のご案内_2.yaml"
    c = load_campaign(path, s.catalog, ws, s.store)
    assert c.who.segment == "vip" and c.how.channel == "email" and c.holdout.percent == 10


def test_values_line_up_by_cell_width():
    content = values_content({"family_name": "髙橋", "points": 12, "send_date": None}, "A")
    lines = content.plain.splitlines()[1:]
    starts = {line.index(v) for line, v in zip(lines, ["髙橋", "12", "—", "A"])}
    assert len(starts) == 1  # every value starts in the same column


def test_no_recipient_says_so():
    assert "audience is empty" in message_content(None, "A", 0, 0).plain
