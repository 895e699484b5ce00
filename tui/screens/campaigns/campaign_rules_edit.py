"""The editor's coupon, exclusions and policy: dialogs whose results go into the draft.

Each dialog checks its part with the engine (`check_part`, the campaign file's own rules)
before it closes; the live preview then validates and counts the whole draft as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.screen import Screen

from queries.campaigns.parse import check_part
from queries.core.errors import KizunaError
from queries.segments.parse import parse_node
from tui.kizuna import session_of
from tui.screens.campaigns.campaign_draft import CampaignDraft, problem
from tui.screens.campaigns.campaign_exclude import ExclusionsScreen
from tui.screens.campaigns.campaign_rules import (
    CouponScreen,
    PolicyScreen,
    coupon_text,
    exclude_text,
    policy_text,
)
from tui.widgets.campaign_form import CampaignForm


class CampaignRules:
    """Keys c (coupon), x (exclusions), p (policy) of the campaign editor, which owns one:
    `draft` gives the draft being edited, `changed` is called after a dialog changed it."""

    def __init__(
        self,
        screen: Screen[None],
        path: Path,
        draft: Callable[[], CampaignDraft | None],
        form: Callable[[], CampaignForm],
        changed: Callable[[], None],
    ) -> None:
        self.screen = screen
        self.path = path
        self._draft = draft
        self._form = form
        self.changed = changed

    @property
    def draft(self) -> CampaignDraft | None:
        return self._draft()

    def fill(self) -> None:
        """Show the draft's exclusions and rules on the form's rules rows."""
        d = self.draft
        assert d is not None
        rules = (
            coupon_text(d.coupon)
            + " · "
            + policy_text(d.policy, d.channel, d.quiet_hours, d.drift_limit)
        )
        self._form().fill_rules(exclude_text(d.exclude), rules)

    def check_part(self, part: str, value: Any) -> str | None:
        """The engine's verdict on one part of the campaign: the problem, or None."""
        s = session_of(self.screen)
        send_at = None
        if part == "quiet_hours" and self.draft is not None:
            try:
                send_at = datetime.fromisoformat(self.draft.send_at.strip())
            except ValueError:
                send_at = None  # the send time's own error is shown in its field
        try:
            check_part(part, value, s.catalog, s.ws.root, send_at)
        except KizunaError as exc:
            return problem(exc)[1]
        return None

    def coupon(self) -> None:
        d = self.draft
        if d is None:
            return

        def done(result: dict[str, Any] | None) -> None:
            if result is not None and result["coupon"] != d.coupon:
                d.coupon = result["coupon"]
                self.changed()

        self.screen.app.push_screen(CouponScreen(d.coupon, self.check_part), done)

    def policy(self) -> None:
        d = self.draft
        if d is None:
            return

        def done(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            d.policy, d.quiet_hours = result["policy"], result["quiet_hours"]
            d.drift_limit = result["drift_limit"]
            self.changed()

        ask = PolicyScreen(d.policy, d.channel, d.quiet_hours, d.drift_limit, self.check_part)
        self.screen.app.push_screen(ask, done)

    def exclusions(self) -> None:
        d, s = self.draft, session_of(self.screen)
        if d is None:
            return
        folder = self.path.parent
        campaigns = sorted(p.stem for p in folder.glob("*.yaml") if p != self.path)

        def done(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            nodes = [parse_node(n, s.catalog) for n in result["exclude"]]
            if nodes != d.exclude:
                d.exclude = nodes
                self.changed()

        ask = ExclusionsScreen(d.exclude, s.store.names(), campaigns, self.check_part)
        self.screen.app.push_screen(ask, done)
