"""A measured world for the tests: the demo, one exported campaign, later snapshots after it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from queries.campaigns.parse import load_campaign
from queries.demo.continuation import continue_demo
from queries.handoff.approval import approve, review
from queries.handoff.export.run import export_campaign
from queries.query.session import open_session

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo.duckdb"
SEND = "2026-11-25"

# every email-consented customer who bought in the last year; a 30 % holdout; Braze preset
BROAD = """\
name: Broad test
who:
  where:
    all:
      - {{field: email_opt_in, op: is_true}}
      - event: orders
        within: 365d
how: {{channel: email, destination: braze}}
when: {{send_at: {send}T10:00:00+09:00}}
what:
  variants:
    - {{name: A, weight: 50, subject: "A {{{{ coupon }}}}", body: "<p>{{{{ coupon }}}}</p>"}}
    - {{name: B, weight: 50, subject: "B {{{{ coupon }}}}", body: "<p>{{{{ coupon }}}}</p>"}}
  coupon: {{prefix: BT, length: 6}}
policy: {{max_contacts: none}}
holdout: {{percent: {percent}, salt: broad}}
"""


@dataclass
class World:
    ws: Path
    exports: list[Path] = field(default_factory=list)
    later: dict[str, Path] = field(default_factory=dict)


def write_broad(ws: Path, percent: int = 30) -> Path:
    path = ws / "campaigns" / "broad.yaml"
    path.write_text(BROAD.format(send=SEND, percent=percent), "utf-8")
    return path


def export_broad(ws: Path) -> Path:
    """Approve and export campaigns/broad.yaml; returns the export folder."""
    s = open_session(ws)
    try:
        c = load_campaign(ws / "campaigns" / "broad.yaml", s.catalog, s.ws.root, s.store)
        # the demo world's send_at is in the past of the wall clock: forced (recorded)
        approve(s, review(s, c), "tester", force=True)
        return export_campaign(s, c, force=True, replace=True).folder
    finally:
        s.close()


def build_world(base: Path) -> World:
    """The demo workspace with `broad` exported once, continued 45 days (+5 pp and +0 pp)."""
    ws = base / "ws"
    for sub in ("segments", "campaigns", "templates"):
        (ws / sub).mkdir(parents=True)
    shutil.copy(ROOT / "segments" / "dormant.yaml", ws / "segments" / "dormant.yaml")
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{DEMO.as_posix()}"\n', "utf-8")
    write_broad(ws)
    world = World(ws, [export_broad(ws)])
    for name, effect in (("effect", 0.05), ("null", 0.0)):
        out = base / f"later_{name}.duckdb"
        continue_demo(DEMO, out, days=45, effect=effect, seed=7, exports=ws / "exports")
        world.later[name] = out
    return world
