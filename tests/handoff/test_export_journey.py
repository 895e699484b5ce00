"""docs/journey.md, run from the CLI on a copy of the demo workspace; and a CP932 export."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
SJIS = """\
name: 全員 SJIS
who: {where: {all: [{field: email_opt_in, op: is_true}]}}
how: {channel: email, destination: generic_csv, encoding: cp932}
what:
  variants:
    - {name: A, subject: "{{ family_name }}様", body: "{{ given_name | default: '' }}様へ"}
policy: {max_contacts: none}
"""


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    ws = tmp_path / "demo"
    for sub in ("segments", "campaigns", "templates"):
        shutil.copytree(ROOT / sub, ws / sub)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{(ROOT / "demo.duckdb").as_posix()}"\n')
    cache = ROOT / ".kizuna" / "cache"
    if cache.is_dir():  # the features cache is keyed by the snapshot: reuse it
        shutil.copytree(cache, ws / ".kizuna" / "cache")
    return ws


def kizuna(ws: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "--workspace", str(ws)])
    assert res.exit_code == 0, f"kizuna {' '.join(args)}: {res.output}"
    return res.stdout


def journey_commands() -> list[list[str]]:
    text = (ROOT / "docs" / "journey.md").read_text("utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None
    lines = [ln.strip() for ln in block.group(1).splitlines()]
    return [shlex.split(ln)[1:] for ln in lines if ln.startswith("kizuna ")]


def test_the_documented_journey_works(demo: Path) -> None:
    cmds = journey_commands()
    assert [c[0] for c in cmds] == ["validate", "count", "sample", "preview", "approve", "export"]
    for args in cmds:
        args = [str(demo / a) if a.endswith(".yaml") else a for a in args]
        kizuna(demo, *args)
    (folder,) = (demo / "exports" / "dormant_winback").iterdir()
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    for f in m["files"]:
        data = (folder / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    preview = json.loads(kizuna(demo, "preview", "dormant_winback", "--json", "--no-preflight"))
    rows = (folder / "audience.csv").read_bytes().count(b"\r\n") - 1
    assert rows == m["counts"]["recipients"] > 0
    assert preview["count"] >= rows  # the preview's audience before the policy funnel
    refused = runner.invoke(app, ["export", "dormant_winback", "--force", "-w", str(demo)])
    assert refused.exit_code == 1 and "--replace" in refused.output  # stdin is not a terminal
    assert "exported before" in refused.output and f"{rows:,} recipients" in refused.output
    again = json.loads(kizuna(demo, "export", "dormant_winback", "--force", "--replace", "--json"))
    assert again["replaces"]["recipients"] == rows and again["send_at_passed"] is True
    assert (Path(again["folder"]) / "audience.csv").read_bytes() == (
        folder / "audience.csv"
    ).read_bytes()
    log = [json.loads(ln) for ln in (demo / ".kizuna" / "audit.log").read_text().splitlines()]
    assert [(e["action"], e["result"]) for e in log] == [
        ("approve", "ok"),
        ("export", "ok"),
        ("export", "refused"),
        ("export", "ok"),
    ]


def test_cp932_export_of_the_demo_succeeds_or_names_the_rows(demo: Path) -> None:
    (demo / "campaigns" / "sjis.yaml").write_text(SJIS, "utf-8")
    res = runner.invoke(app, ["approve", "sjis", "--by", "hanako", "-w", str(demo)])
    if res.exit_code != 0:  # the preflight names the customers first...
        assert "unencodable" in res.output and re.search(r"C\d{6}", res.output)
        kizuna(demo, "approve", "sjis", "--by", "hanako", "--force")
    exp = runner.invoke(app, ["export", "sjis", "-w", str(demo)])
    if exp.exit_code == 0:
        (folder,) = (demo / "exports" / "sjis").iterdir()
        (folder / "audience.csv").read_bytes().decode("cp932")
    else:  # ...and the export names the row, the customer and the column
        assert re.search(r"row [\d,]+ \(customer C\d{6}\), column `\w+`", exp.output)
        assert "cp932" in exp.output
        assert not [p for p in (demo / "exports" / "sjis").iterdir() if p.name[0] != "."]
