"""Saving the edited segment to `segments/*.yaml`, and asking before unsaved changes are lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.screen import Screen

from queries.core.errors import KizunaError
from queries.core.history import keep
from queries.core.i18n import _
from queries.query.store import SegmentStore
from queries.segments.model import Segment, slugify
from tui.kizuna import kizuna, session_of
from tui.screens.dialogs import ConfirmScreen, PromptScreen, ask_unsaved
from tui.widgets.edits import referenced


def other_segments(store: SegmentStore, own: Path | None) -> list[tuple[str, str]]:
    """(stem, name) of every saved segment except `own`."""
    out = []
    for stem in store.names():
        if own is not None and stem == own.stem:
            continue
        try:
            out.append((stem, store.load(stem).name))
        except KizunaError:
            out.append((stem, _("{stem} (invalid)").format(stem=stem)))
    return out


class SegmentFile:
    """Save / save as / leave for the builder, which owns one and is told what was saved.

    `current` gives the segment as edited (name, tree, description, path), `dirty` whether it
    differs from the file, `saved` is called with the segment written."""

    def __init__(
        self,
        screen: Screen,
        current: Callable[[], Segment],
        dirty: Callable[[], bool],
        saved: Callable[[Segment], None],
    ) -> None:
        self.screen = screen
        self.current = current
        self.dirty = dirty
        self.saved = saved

    def save(self, then: Callable[[], object] | None = None) -> None:
        seg = self.current()
        if seg.path is None:
            self.save_as(then)
        else:
            self._write(seg, seg.path, then)

    def save_as(self, then: Callable[[], object] | None = None) -> None:
        folder = session_of(self.screen).ws.segments_dir
        seg = self.current()

        def check(name: str) -> str | None:
            stem = slugify(name)
            if stem in referenced(Segment(name, seg.where)):
                return _("this segment refers to `{stem}`; a segment cannot contain itself").format(
                    stem=stem
                )
            return None

        def named(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name, description = answer
            target = folder / f"{slugify(name)}.yaml"

            def write() -> None:
                self._write(
                    replace(self.current(), name=name, description=description), target, then
                )

            if target.exists() and (seg.path is None or target.resolve() != seg.path.resolve()):
                question = _("segments/{file} already exists. Replace it?").format(file=target.name)
                self.screen.app.push_screen(
                    ConfirmScreen(question, [("yes", _("Replace")), ("cancel", _("Cancel"))]),
                    lambda choice: write() if choice == "yes" else None,
                )
            else:
                write()

        self.screen.app.push_screen(
            PromptScreen(_("Save segment as"), seg.name, seg.description, check), named
        )

    def _write(self, edited: Segment, path: Path, then: Callable[[], object] | None = None) -> None:
        seg = replace(edited, path=path)
        state = session_of(self.screen).ws.state_dir
        try:
            keep(state, "segments", path)  # the version this save replaces stays restorable
            seg.save(path)
            keep(state, "segments", path)
        except OSError as exc:
            self.screen.notify(
                _("Could not save {file}: {error}").format(file=path.name, error=exc),
                severity="error",
                timeout=8,
            )
            return
        app = kizuna(self.screen)
        app.last_stem = path.stem
        app.segments_changed()
        self.saved(seg)
        self.screen.notify(_("Saved segments/{file}").format(file=path.name), title=_("Saved"))
        if then is not None:
            then()

    def leave(self, proceed: Callable[[], object]) -> None:
        """Run `proceed` once unsaved changes are saved or knowingly dropped."""
        if not self.dirty():
            proceed()
            return
        ask_unsaved(
            self.screen.app, self.current().name, lambda then: self.save(then=then), proceed
        )
