"""Segments saved in a workspace: find them by name or path, load them, follow references."""

from __future__ import annotations

from pathlib import Path

from queries.core.catalog import Catalog
from queries.core.errors import Location, SegmentCycle, UnknownSegment, suggest
from queries.core.i18n import _
from queries.segments.model import Segment, SegmentRef, walk
from queries.segments.parse import load_segment


class SegmentStore:
    """The `segments/` folder of a workspace, with a parse cache keyed by file mtime."""

    def __init__(self, folder: Path, catalog: Catalog):
        self.folder = Path(folder)
        self.catalog = catalog
        self._cache: dict[Path, tuple[int, Segment]] = {}

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.yaml"))

    def path_for(self, ref: str | Path) -> Path:
        """Resolve a CLI argument or reference: a file path, or a segment name in the folder."""
        p = Path(ref)
        if p.suffix in (".yaml", ".yml") and p.is_file():
            return p.resolve()
        for cand in (self.folder / f"{ref}.yaml", self.folder / f"{ref}.yml"):
            if cand.is_file():
                return cand.resolve()
        raise UnknownSegment(
            _("no segment `{name}` in {folder}").format(name=ref, folder=self.folder),
            Location(),
            suggest(str(ref), self.names())
            or (
                _("saved: {names}").format(names=", ".join(self.names())) if self.names() else None
            ),
        )

    def load(self, ref: str | Path) -> Segment:
        path = self.path_for(ref)
        mtime = path.stat().st_mtime_ns
        hit = self._cache.get(path)
        if hit and hit[0] == mtime:
            return hit[1]
        seg = load_segment(path, self.catalog)
        self._cache[path] = (mtime, seg)
        return seg

    def resolver(self, origin: Segment | None = None) -> SegmentResolver:
        return SegmentResolver(self, origin)


class SegmentResolver:
    """Looks up referenced segments while compiling, naming any cycle it walks into."""

    def __init__(self, store: SegmentStore, origin: Segment | None = None):
        self.store = store
        self.stack: list[str] = [origin.stem] if origin is not None else []

    def enter(self, ref: SegmentRef, file: str | None = None) -> Segment:
        if ref.segment in self.stack:
            cycle = " → ".join([*self.stack[self.stack.index(ref.segment) :], ref.segment])
            raise SegmentCycle(
                f"segment references form a cycle: {cycle}",
                Location(file, ref.line, "segment"),
            )
        try:
            seg = self.store.load(ref.segment)
        except UnknownSegment as exc:
            raise UnknownSegment(
                f"unknown segment `{ref.segment}`", Location(file, ref.line, "segment"), exc.hint
            ) from None
        self.stack.append(ref.segment)
        return seg

    def leave(self) -> None:
        self.stack.pop()


def referenced_files(seg: Segment, store: SegmentStore) -> list[Path]:
    """Every segment file this segment depends on, itself first (for fingerprints)."""
    out: list[Path] = [seg.path] if seg.path else []
    todo = [seg]
    seen = {seg.stem}
    while todo:
        cur = todo.pop()
        for node in walk(cur.where):
            if isinstance(node, SegmentRef) and node.segment not in seen:
                seen.add(node.segment)
                ref = store.load(node.segment)
                if ref.path:
                    out.append(ref.path)
                todo.append(ref)
    return out
