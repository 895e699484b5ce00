"""Check segment files against the catalog and the workspace without opening the snapshot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .catalog import build_catalog
from .compile import Compiler
from .parse import load_segment
from .segment import Segment
from .store import SegmentStore
from .workspace import load_workspace


def validate_file(path: Path, workspace: Path | None = None) -> Segment:
    """Parse, validate and compile one segment (references and cycles included)."""
    ws = load_workspace(workspace)
    catalog = build_catalog(ws)
    path = Path(path)
    seg = load_segment(path, catalog)
    folder = path.resolve().parent if path.resolve().parent.name == "segments" else ws.segments_dir
    store = SegmentStore(folder, catalog)
    Compiler(catalog, ws.as_of or date.today(), store.resolver(seg), str(path)).node(seg.where)
    return seg
