"""A campaign whose audience uses a derived feature its templates do not read still runs."""

from __future__ import annotations

from queries.campaigns.funnel import policy_funnel
from queries.campaigns.parse import campaign_from_text

CAMPAIGN = """\
name: prospects
who:
  where: {all: [{field: lifecycle_stage, op: "=", value: prospect}]}
how: {channel: email}
what:
  variants:
    - {name: A, subject: "hello", body: "hi"}
policy: {require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}
"""


def test_feature_only_in_the_audience(session) -> None:
    c = campaign_from_text(CAMPAIGN, session.catalog, None, session.ws.root, session.store)
    funnel = policy_funnel(session, c)
    assert funnel.steps[0].count == 3  # prospects (no orders): C03, C05, C08
