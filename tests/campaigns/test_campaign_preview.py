"""`kizuna preview` through the CLI: summary, audience, sample messages and preflight."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

CAMPAIGN = """\
name: 春のご案内
who:
  where: {all: [{field: email_opt_in, op: is_true}]}
  exclude:
    - {field: loyalty_tier, op: "=", value: platinum}
how:
  channel: email
when:
  send_at: 2026-03-05T10:00:00+09:00
what:
  variants:
    - {name: A, weight: 1, subject: "{{ family_name }}様へ", body_file: templates/spring.liquid}
    - {name: B, weight: 1, subject: "{{ given_name | default: 'お客' }}様", body: "hi {{ coupon }}"}
  coupon: {prefix: SP, length: 6}
holdout: {percent: 0, salt: spring}
policy: {require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}
"""


@pytest.fixture()
def ws(workspace: Path) -> Path:
    (workspace / "campaigns").mkdir()
    (workspace / "templates").mkdir()
    (workspace / "campaigns" / "spring.yaml").write_text(CAMPAIGN, encoding="utf-8")
    (workspace / "templates" / "spring.liquid").write_text(
        "<p>{{ family_name }} {{ given_name | default: '' }}様</p>\n"
        "<p>{{ send_date | date: '%m月%d日' }}から使えるコード {{ coupon }}</p>\n",
        encoding="utf-8",
    )
    return workspace


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_preview_json(ws: Path) -> None:
    res = invoke("preview", "spring", "--workspace", str(ws), "--json", "-n", "3")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    # email opt-in: C01 C02 C04 C07 C08 (C05 is NULL); minus platinum C02
    assert data["count"] == 4 and data["base"] == 8
    assert len(data["policies_off"]) == 4  # every policy switched off is listed
    steps = {s["label"]: s["count"] for s in data["funnel"]}
    assert data["funnel"][0]["count"] == 5  # the who: email opt-in
    assert steps["exclusions (1)"] == 4  # minus platinum C02
    assert sum(data["arms"].values()) == 4 and data["arms"]["holdout"] == 0
    assert len(data["samples"]) == 3
    sample = data["samples"][0]
    assert set(sample["messages"]) == {"A", "B"}
    assert sample["values"]["family_name"].endswith("*")  # masked by default
    body = sample["messages"]["A"]["body"]["text"]
    assert "03月05日から使えるコード SP" in body and body.startswith("<p>")
    assert data["preflight"]["recipients"] == 4 and data["preflight"]["ok"] is True


def test_preview_one_customer_unmasked(ws: Path) -> None:
    res = invoke(
        "preview",
        "spring",
        "-w",
        str(ws),
        "--json",
        "--customer",
        "C05",
        "--unmask",
        "--no-preflight",
    )
    data = json.loads(res.stdout)
    (s,) = data["samples"]
    assert s["customer_id"] == "C05" and s["member"] is False and s["arm"] == "not in audience"
    assert s["values"]["family_name"] == "𠮷野"
    assert s["messages"]["A"]["subject"]["text"] == "𠮷野様へ"
    assert data["preflight"] is None


def test_preview_rich_output(ws: Path) -> None:
    res = invoke(
        "preview",
        str(ws / "campaigns" / "spring.yaml"),
        "-w",
        str(ws),
        "-n",
        "2",
        "--encoding",
        "cp932",
    )
    assert res.exit_code == 0, res.output
    for text in ("春のご案内", "Audience", "variant A", "variant B", "Preflight", "sizes:"):
        assert text in res.stdout


def test_preview_errors(ws: Path) -> None:
    res = invoke("preview", "sprng", "-w", str(ws))
    assert res.exit_code == 1 and "did you mean `spring`?" in res.stderr
    res = invoke("preview", "spring", "-w", str(ws), "--customer", "C99")
    assert res.exit_code == 1 and "no customer with id `C99`" in res.stderr
    bad = CAMPAIGN.replace("channel: email", "channel: fax")
    (ws / "campaigns" / "bad.yaml").write_text(bad, encoding="utf-8")
    res = invoke("preview", "bad", "-w", str(ws))
    assert res.exit_code == 1
    assert "bad.yaml:7 at `how.channel`: unknown channel `fax`" in res.stderr
    assert "Traceback" not in res.output


DEMO = ROOT / "demo.duckdb"


@pytest.mark.skipif(not DEMO.is_file() or DEMO.stat().st_size == 0, reason="no demo snapshot")
@pytest.mark.parametrize("name", ["dormant_winback", "birthday_line", "cart_sms"])
def test_demo_campaigns_preview(demo_workspace: Path, name: str) -> None:
    shutil.copytree(ROOT / "campaigns", demo_workspace / "campaigns")
    shutil.copytree(ROOT / "templates", demo_workspace / "templates")
    res = invoke("preview", name, "-w", str(demo_workspace), "--json", "-n", "2")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["count"] > 0 and len(data["samples"]) == 2
    assert data["preflight"]["ok"], data["preflight"]["findings"]
    for s in data["samples"]:
        for parts in s["messages"].values():
            assert all(p["text"] and not p["error"] for p in parts.values())
