"""Check segment and campaign files against the catalog and workspace, without the snapshot."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from queries.core.catalog import build_catalog
from queries.core.workspace import load_workspace
from queries.core.yamlio import load_yaml_file
from queries.query.store import SegmentStore
from queries.segments.compile import Compiler
from queries.segments.parse import load_segment


def _is_campaign(path: Path) -> bool:
    """A campaign lives in campaigns/ or has a `who` key; anything else is a segment."""
    if path.resolve().parent.name == "campaigns":
        return True
    data, _ = load_yaml_file(path)
    return isinstance(data, dict) and "who" in data


def validate_file(path: Path, workspace: Path | None = None) -> Any:
    """Parse, validate and compile one segment or campaign (references and cycles included)."""
    ws = load_workspace(workspace)
    from queries.query.snapshot import presence_of

    presence = presence_of(ws)
    if presence is not None and presence.errors:
        presence = None  # `kizuna check` reports mapping errors; judge the file as mapped
    catalog = build_catalog(ws, presence=presence)
    path = Path(path)
    if _is_campaign(path):
        from queries.campaigns.parse import load_campaign

        root = (
            path.resolve().parent.parent if path.resolve().parent.name == "campaigns" else ws.root
        )
        store = SegmentStore(root / "segments", catalog)
        camp = load_campaign(path, catalog, root, store)
        if camp.who.segment:
            seg = store.load(camp.who.segment)
            Compiler(catalog, ws.as_of or date.today(), store.resolver(seg), str(seg.path)).node(
                seg.where
            )
        return camp
    seg = load_segment(path, catalog)
    folder = path.resolve().parent if path.resolve().parent.name == "segments" else ws.segments_dir
    store = SegmentStore(folder, catalog)
    Compiler(catalog, ws.as_of or date.today(), store.resolver(seg), str(path)).node(seg.where)
    return seg
