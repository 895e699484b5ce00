"""Preflight over the fixture snapshot: every finding names the customers it hit."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.parse import load_campaign
from queries.campaigns.preflight import preflight
from queries.core.errors import QueryCancelled
from queries.engines.jobs import Job
from queries.query.session import Session

ALL = "who:\n  where: {all: []}\n"


POLICY_OFF = (
    "policy: {require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}\n"
)


def campaign(session: Session, body: str, name: str = "c") -> Campaign:
    """Write campaigns/<name>.yaml for everyone (`who` given) plus `body`, and load it."""
    ws = session.ws.root
    (ws / "campaigns").mkdir(exist_ok=True)
    path = ws / "campaigns" / f"{name}.yaml"
    text = f"name: {name}\n{ALL}" + textwrap.dedent(body)
    if "policy:" not in text:  # these tests look at rendering, so every member is a recipient
        text += "\n" + POLICY_OFF
    path.write_text(text, encoding="utf-8")
    return load_campaign(path, session.catalog, ws, session.store)


def kinds(r: PreflightReport) -> dict[str, tuple[int, list[str]]]:
    return {f"{f.kind}:{f.detail}": (f.count, f.customers) for f in r.findings}


def test_sms_budget_and_dynamic_undefined(session: Session) -> None:
    kana = "あ" * 67
    c = campaign(
        session,
        "how: {channel: sms, max_segments: 1}\n"
        f"what:\n  variants:\n    - {{name: long, text: '{kana}{{{{ family_name }}}}'}}\n",
    )
    r = preflight(session, c)
    assert r.recipients == 8 and r.holdout == 0
    # 67 Japanese characters + O'Brien (7) = 74 units: 2 segments; 𠮷野 is exactly 70 units
    assert kinds(r) == {"over_budget:text over 1 segments": (1, ["C03"])}
    assert r.largest["text"] == (2, "segments", 1)
    assert r.fast == {"long.text": True}

    c = campaign(
        session,
        """\
        how: {channel: line}
        what:
          variants:
            - text: >-
                {% if points > 1000 %}{% assign vip = 'VIP ' %}{% endif %}{{ vip }}{{ family_name }}
        """,
    )
    r = preflight(session, c)
    assert kinds(r) == {
        "undefined:'vip' is undefined (line 1, column 62)": (4, ["C03", "C05", "C07", "C08"])
    }
    assert r.fast == {"main.text": True} and not r.ok  # by pieces: the assign is one piece


def test_email_empty_unencodable_fallbacks_distinct(session: Session) -> None:
    c = campaign(
        session,
        """\
        how: {channel: email, destination: excel_ja}
        what:
          variants:
            - name: A
              subject: "{{ given_name }}"
              body: "<p>{{ family_name }}様 {{ coupon }}</p>"
            - name: B
              subject: "{{ given_name | default: 'お客' }}様"
              body: "<p>{{ family_name }}様 {{ coupon }}</p>"
          coupon: {prefix: T, length: 6}
        holdout: {percent: 0, salt: fixture}
        """,
    )
    r = preflight(session, c)
    assert r.encoding == "cp932"
    found = kinds(r)
    a_ids = {cid for cid in (f"C0{i}" for i in range(1, 9)) if c.plan().arm(cid) == "A"}
    assert sum(r.by_variant.values()) == 8
    assert r.by_variant == {"A": len(a_ids), "B": 8 - len(a_ids)}
    assert found["unencodable:'𠮷' (U+20BB7)"] == (1, ["C05"])
    empty = found.get("empty:empty subject")
    assert empty == ((1, ["C03"]) if "C03" in a_ids else None)
    fb = {(f.variant, f.label): f.count for f in r.fallbacks}
    assert fb == {("B", "given_name | default: 'お客'"): 0 if "C03" in a_ids else 1}
    assert r.distinct["body"] == 8  # every coupon differs
    assert r.distinct["subject"] <= 7  # two customers are both 太郎
    assert r.coupon_collisions == 0
    assert r.to_dict()["ok"] is False


def test_pool_too_small_names_who_gets_no_code(session: Session) -> None:
    (session.ws.root / "pool.csv").write_text("code\nA1\nA2\nA3\nA4\nA5\n")
    c = campaign(
        session,
        """\
        how: {channel: line}
        what:
          variants:
            - text: "{{ coupon }}"
          coupon: {pool_file: pool.csv}
        """,
    )
    r = preflight(session, c)
    f = kinds(r)["coupon:no code left: pool.csv has 5 for 8 recipients"]
    assert f == (3, ["C06", "C07", "C08"])
    assert "empty:empty text" in kinds(r)


def test_runaway_loop_is_a_render_error(session: Session) -> None:
    c = campaign(
        session,
        "how: {channel: line}\nwhat:\n  variants:\n"
        "    - text: '{% for i in (1..99999) %}x{% endfor %}'\n",
    )
    r = preflight(session, c)
    assert kinds(r) == {
        "render_error:loop iteration limit reached (line 1, column 4)": (
            8,
            [f"C0{i}" for i in range(1, 9)],
        )
    }


def test_column_and_liquid_paths_report_the_same(session: Session) -> None:
    body = """\
        how: {channel: email}
        what:
          variants:
            - name: A
              subject: "{{ given_name | default: 'お客' }}様 {{ points }}"
              body: "<b>{{ family_name }}</b>{{ prefecture | default: '-' }}"
            - name: B
              subject: "{{ email | default: 'x' }}"
              body: "{{ favorite_category | default: 'none' }} {{ coupon }}"
          coupon: {prefix: Q, length: 8}
        holdout: {percent: 25, salt: twin}
        """
    c = campaign(session, body)
    fast = preflight(session, c).to_dict()
    for tpl in c.templates.values():
        tpl._plan = dataclasses.replace(tpl.plan, whole=True)  # python-liquid, whole, per row
    slow = preflight(session, c).to_dict()
    assert set(fast["column_rendered"].values()) == {True}
    assert set(slow["column_rendered"].values()) == {False}
    for key in ("column_rendered", "elapsed_s"):
        fast.pop(key), slow.pop(key)
    assert fast == slow
    assert fast["holdout"] + fast["recipients"] == 8


def test_progress_and_cancel(session: Session) -> None:
    c = campaign(session, "how: {channel: line}\nwhat:\n  variants:\n    - text: hi\n")
    seen: list[tuple[int, int]] = []
    preflight(session, c, progress=lambda d, t: seen.append((d, t)), batch_size=3)
    assert seen == [(0, 8), (3, 8), (6, 8), (8, 8)]
    job = Job()
    job.cancel()
    with pytest.raises(QueryCancelled):
        preflight(session, c, job)
    job = Job()

    def stop(done: int, total: int) -> None:
        if done:
            job.cancel()

    with pytest.raises(QueryCancelled):
        preflight(session, c, job, stop, batch_size=3)


def test_arms_match_the_python_twin(session: Session) -> None:
    c = campaign(
        session,
        "how: {channel: line}\nwhat:\n  variants:\n    - {name: A, text: a}\n"
        "    - {name: B, text: b}\nholdout: {percent: 30, salt: s}\n",
    )
    r = preflight(session, c)
    arms = [c.plan().arm(f"C0{i}") for i in range(1, 9)]
    assert r.holdout == arms.count(HOLDOUT)
    assert r.by_variant == {"A": arms.count("A"), "B": arms.count("B")}
