"""Pilot: coupon, exclusions and contact policy set in the campaign editor without YAML, saved
in the campaign file format and read back by the engine's parser."""

from __future__ import annotations

import pytest
import yaml
from textual.widgets import Select, Static

from queries.campaigns.model import Coupon, MaxContacts
from queries.campaigns.parse import load_campaign
from queries.segments.model import EventCond, FieldCond, Group, SegmentRef
from tests.tui.test_tui_campaign_support import copy_demo, demo_app, open_editor
from tests.tui.test_tui_support import async_test, settle, type_text
from tui.screens.campaigns.campaign_edit import CampaignEditScreen
from tui.screens.campaigns.campaign_exclude import ExclusionsScreen
from tui.screens.campaigns.campaign_rules import CouponScreen, PolicyScreen

STEM = "dormant_winback"


@pytest.fixture()
def ws(tmp_path):
    return copy_demo(tmp_path)


def parsed(app, ws, stem: str = STEM):
    """The saved file as `kizuna` reads it."""
    s = app.session
    return load_campaign(ws / "campaigns" / f"{stem}.yaml", s.catalog, s.ws.root, s.store)


async def clear(pilot) -> None:
    await pilot.press("end", "ctrl+u")


async def choose(pilot, steps: int) -> None:
    """Open the focused Select and move `steps` options down (negative: up), then pick."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()


async def save(pilot, screen: CampaignEditScreen) -> None:
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert not screen.dirty


def error_text(app) -> str:
    return str(app.screen.query_one("#rules-error", Static).render())


@async_test
async def test_coupon_from_a_pool_file_then_generated_then_none(ws):
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_editor(pilot, ws, STEM)
        await pilot.press("c")
        assert isinstance(app.screen, CouponScreen)
        await choose(pilot, 1)  # a code per recipient → codes from a pool CSV file
        assert app.screen.query_one("#cp-kind", Select).value == "pool"
        # the cursor is in the pool file's box: typed straight away, nothing lost
        await type_text(pilot, "campaigns/nope.csv")
        await pilot.press("enter")
        assert isinstance(app.screen, CouponScreen)  # refused, with the engine's words
        assert "what.coupon.pool_file" in error_text(app) and "not found" in error_text(app)
        await clear(pilot)
        await type_text(pilot, "campaigns/birthday_coupons.csv")
        await pilot.press("enter")
        assert app.screen is screen and "coupon pool campaigns/birthday" in rules_row(screen)
        await save(pilot, screen)
        c = parsed(app, ws)
        assert c.coupon == Coupon(pool_file="campaigns/birthday_coupons.csv")

        await pilot.press("c")
        await choose(pilot, -1)  # back to a code per recipient: the cursor is in the prefix
        await type_text(pilot, "W B")  # not a valid prefix
        await pilot.press("enter")
        assert "`prefix` is up to 16 letters" in error_text(app)
        await clear(pilot)
        await type_text(pilot, "BD26")
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "10")
        await pilot.press("tab")
        await type_text(pilot, "500")
        await pilot.press("enter")
        await save(pilot, screen)
        assert parsed(app, ws).coupon == Coupon("BD26", 10, value=500)

        await pilot.press("c")
        await choose(pilot, -1)  # no coupon
        await pilot.press("tab", "enter")  # OK (the code rows are hidden)
        assert app.screen is screen
        await save(pilot, screen)
        assert parsed(app, ws).coupon is None
        assert "coupon:" not in (ws / "campaigns" / f"{STEM}.yaml").read_text()


def rules_row(screen) -> str:
    return str(screen.query_one("#cmp-rules", Static).render())


@async_test
async def test_policy_cap_dedupe_quiet_hours_and_drift(ws):
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_editor(pilot, ws, STEM)
        before = list(yaml.safe_load((ws / "campaigns" / f"{STEM}.yaml").read_text()))
        await pilot.press("p")
        assert isinstance(app.screen, PolicyScreen)
        await pilot.press("tab", "tab")  # consent, suppression → cap count
        await clear(pilot)
        await type_text(pilot, "2")
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "14d")
        await pilot.press("tab")
        await choose(pilot, 1)  # any channel → email
        await pilot.press("tab")
        await choose(pilot, 3)  # email → customer_id
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "21:00")
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "21:00")  # the same time twice: refused
        await pilot.press("enter")
        assert "quiet_hours" in error_text(app)
        await clear(pilot)
        await type_text(pilot, "09:00")
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "15%")
        await pilot.press("enter")
        assert app.screen is screen
        assert "cap 2 in 14d on email · one per customer_id" in rules_row(screen)
        await save(pilot, screen)
        c = parsed(app, ws)
        assert c.policy.max_contacts == MaxContacts(2, "14d", ("email",))
        assert c.policy.dedupe_by == "customer_id" and c.policy.require_consent
        assert c.when.quiet_hours == ("21:00", "09:00") and c.drift_limit == 15
        after = list(yaml.safe_load((ws / "campaigns" / f"{STEM}.yaml").read_text()))
        assert after == before  # every section where it was

        await pilot.press("p", "tab", "tab")
        await clear(pilot)  # no count: no frequency cap
        await pilot.press("enter")
        await save(pilot, screen)
        assert parsed(app, ws).policy.max_contacts is None


@async_test
async def test_exclusions_remove_add_a_segment_and_a_campaigns_recipients(ws):
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_editor(pilot, ws, STEM)
        winback = parsed(app, ws).who.exclude[1]
        await pilot.press("x")
        assert isinstance(app.screen, ExclusionsScreen)
        await pilot.press("delete")  # the highlighted first one: nps detractors
        await pilot.press("tab")
        await choose(pilot, 11)  # the blank, then the 11 saved segments: vip is the last
        assert app.screen.query_one("#ex-segment", Select).value == "vip"
        await pilot.press("tab", "enter")  # Add
        await pilot.press("tab")
        await type_text(pilot, "cart_sms")
        await pilot.press("tab")
        await clear(pilot)
        await type_text(pilot, "14d")
        await pilot.press("enter")  # adds the row, the dialog stays
        assert isinstance(app.screen, ExclusionsScreen)
        await pilot.press("tab", "tab", "enter")  # → Add → OK
        assert app.screen is screen
        assert "in segment vip" in str(screen.query_one("#cmp-exclude", Static).render())
        await save(pilot, screen)
        c = parsed(app, ws)
        cart = EventCond(
            "messages", Group("all", (FieldCond("campaign_id", "=", "cart_sms"),)), None, "14d"
        )
        assert c.who.exclude == (winback, SegmentRef("vip"), cart)
        assert screen.error is None  # the preview counted the new exclusions


@async_test
async def test_saving_without_changes_keeps_the_file_and_edits_round_trip(ws):
    app = demo_app(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        path = ws / "campaigns" / "cart_sms.yaml"
        original = path.read_text()
        screen = await open_editor(pilot, ws, "cart_sms")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert path.read_text() == original
        await pilot.press("p")
        await pilot.press("tab", "tab")
        await clear(pilot)
        await type_text(pilot, "5")
        await pilot.press("enter")
        await save(pilot, screen)
        s = app.session
        assert parsed(app, ws, "cart_sms") == screen.draft.build(s.catalog, s.store)
        assert parsed(app, ws, "cart_sms").policy.max_contacts == MaxContacts(5, "7d")
        assert "dedupe_by: phone" in path.read_text()


@async_test
async def test_campaign_ids_from_the_message_history_are_suggested(ws):
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_editor(pilot, ws, STEM)
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#ex-campaign").focus()
        await type_text(pilot, "20261114")
        await pilot.pause()
        await pilot.press("right")  # accept the suggestion
        assert app.screen.query_one("#ex-campaign").value == "20261114-nov-sale-final-email"
