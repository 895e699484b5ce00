"""Start-up: a plain `kizuna count` loads only what it uses (no wall-clock asserts: module sets).

What a shell user waits for is mostly imports; these tests pin the heavy modules a count does
not need (the TUI, Liquid, the campaign model, other engines' SQL dialects) out of its process,
while help and the campaign commands still find them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.segtools import private_workspace

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "textual",
    "liquid",
    "queries.campaigns.model",
    "queries.campaigns.personalize",
    "queries.handoff.export.run",
    "sqlglot.dialects.spark",
    "sqlglot.dialects.postgres",
    "sqlglot.dialects.bigquery",
    "pydantic",  # typer 0.29+ (see pyproject.toml)
)
PROBE = """
import json, sys
from tui.cli.main import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    sys.stdout.flush()
    sys.stderr.write(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)) + "\\n")
"""


def loaded_after(*argv: str) -> tuple[str, list[str]]:
    """Run the CLI in a fresh interpreter; its stdout and the heavy modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.fixture()
def ws(tmp_path: Path, fixture_db: Path) -> Path:
    ws = private_workspace(tmp_path, fixture_db)
    seg = "name: Tokyo\nwhere:\n  all:\n    - {field: prefecture, op: '=', value: 東京都}\n"
    (ws / "segments" / "tokyo.yaml").write_text(seg, encoding="utf-8")
    return ws


def test_count_json_loads_no_heavy_module(ws: Path) -> None:
    out, heavy = loaded_after("count", "tokyo", "--json", "--workspace", str(ws))
    assert json.loads(out)["count"] > 0
    assert heavy == []


def test_event_segment_count_loads_no_heavy_module(ws: Path) -> None:
    seg = "name: Buyers\nwhere:\n  all:\n    - {event: orders, within: 30d}\n"
    (ws / "segments" / "buyers.yaml").write_text(seg, encoding="utf-8")
    out, heavy = loaded_after("count", "buyers", "--json", "--workspace", str(ws))
    assert json.loads(out)["count"] > 0
    assert heavy == []


def test_other_dialect_loads_on_demand(ws: Path) -> None:
    out, heavy = loaded_after("sql", "tokyo", "--dialect", "spark", "--workspace", str(ws))
    assert "`prefecture`" in out  # Spark quoting: the dialect was loaded when asked for
    assert "sqlglot.dialects.spark" in heavy


def test_help_lists_the_campaign_commands() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from tui.cli.main import app; app(['--help'])"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    for cmd in ("count", "preview", "approve", "export"):
        assert cmd in proc.stdout


ENTRY = """
import json, sys
sys.argv = ["kizuna", *sys.argv[1:]]
from tui.entry import main
try:
    main()
finally:
    sys.stdout.flush()
    loaded = [m for m in ("sqlglot", "typer", "rich") if m in sys.modules]
    sys.stderr.write(json.dumps(sorted(loaded)))
"""


def test_an_unchanged_count_imports_no_compiler(ws: Path) -> None:
    """The second `kizuna count --json` runs the cached SQL: no sqlglot, typer or rich."""
    argv = ["count", "tokyo", "--json", "--workspace", str(ws)]
    runs = []
    for _ in range(2):
        cmd = [sys.executable, "-c", ENTRY, *argv]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs.append((json.loads(proc.stdout), json.loads(proc.stderr.strip().splitlines()[-1])))
    (first, loaded_first), (second, loaded_second) = runs
    assert loaded_first == ["rich", "sqlglot", "typer"]
    assert loaded_second == []
    assert {**first, "elapsed_ms": 0} == {**second, "elapsed_ms": 0}
