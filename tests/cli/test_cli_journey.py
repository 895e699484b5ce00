"""CLI traps a marketer hit: demo without saying so, no TTY, cut ids, 0.0%, id case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from tests.cli.test_cli import kizuna, ws  # noqa: F401  (the fixture)
from tui import render
from tui.fmt import pct_text


def test_count_outside_a_workspace_says_it_uses_the_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    r = kizuna(None, "count", "vip", "--json")
    assert r.exit_code == 0, r.stderr
    assert "bundled demo" in r.stderr
    assert json.loads(r.stdout)["count"] > 0  # stdout stays one JSON object


def test_count_inside_a_workspace_says_nothing_about_the_demo(ws):  # noqa: F811
    r = kizuna(ws, "count", "tokyo")
    assert "demo" not in r.stderr


def test_no_tty_prints_usage_and_exits_2(tmp_path):
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", "from tui.entry import main; main()"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert "Usage" in proc.stderr and "needs a terminal" in proc.stderr


def test_sample_never_cuts_ids_at_80_columns():
    rows = [
        {
            "customer_id": f"C{i:06d}",
            "given_name": "太郎" * 5,
            "email": "a-very-long-address@example.co.jp",
            "prefecture": "東京都",
            "loyalty_tier": "platinum",
            "points": 123456,
            "phone": "+81 90-****-5678",
        }
        for i in range(214000, 214003)
    ]
    console = Console(width=80, record=True, force_terminal=False)
    render.print_rows(console, rows, "sample")
    text = console.export_text()
    for r in rows:
        assert r["customer_id"] in text


def test_percent_keeps_two_decimals_for_small_shares_in_cli_and_tui():
    assert pct_text(5, 25_000) == "0.02%"
    assert pct_text(2125, 25_000) == "8.5%"


def test_cli_count_prints_the_same_percent_as_the_tui(ws):  # noqa: F811
    r = kizuna(ws, "count", "tokyo")
    assert f"({pct_text(3, 8)})" in r.stdout


def test_sample_json_names_the_sample_size(ws):  # noqa: F811
    data = json.loads(kizuna(ws, "sample", "tokyo", "--json", "-n", "1").stdout)
    assert data["count"] == 3 and data["sample_size"] == 1 and len(data["rows"]) == 1


def test_why_finds_an_id_typed_in_another_case(ws):  # noqa: F811
    r = kizuna(ws, "why", "tokyo", "c01", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["customer_id"] == "C01"
    r = kizuna(ws, "why", "tokyo", "C99")
    assert r.exit_code == 1 and "no customer" in r.stderr
