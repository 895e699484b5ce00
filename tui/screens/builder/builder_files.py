"""Saving the edited segment to `segments/*.yaml`, and asking before unsaved changes are lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.screen import Screen

from queries.core.errors import KizunaError
from queries.core.history import keep
from queries.core.i18n import _
from queries.segments.model import Node, Segment, slugify
from tui.screens.dialogs import ConfirmScreen, PromptScreen, ask_unsaved
from tui.widgets.edits import referenced
from tui.widgets.prune import without_empty_groups


class BuilderFilesMixin(Screen):
    """Save / save as / leave for the builder (which provides root, seg_name, path, ...)."""

    root: Node
    saved_root: Node | None
    seg_name: str
    description: str
    path: Path | None

    @property
    def dirty(self) -> bool:  # pragma: no cover - the builder defines it
        raise NotImplementedError

    def _title(self) -> None:  # pragma: no cover - the builder defines it
        raise NotImplementedError

    def other_segments(self) -> list[tuple[str, str]]:
        """(stem, name) of every saved segment except this one."""
        store = self.app.session.store
        own = self.path.stem if self.path else None
        out = []
        for stem in store.names():
            if stem == own:
                continue
            try:
                out.append((stem, store.load(stem).name))
            except KizunaError:
                out.append((stem, _("{stem} (invalid)").format(stem=stem)))
        return out

    def action_save(self, then: Callable[[], None] | None = None) -> None:
        if self.path is None:
            self.action_save_as(then)
        else:
            self._write(self.path, then)

    def action_save_as(self, then: Callable[[], None] | None = None) -> None:
        folder = self.app.session.ws.segments_dir

        def check(name: str) -> str | None:
            stem = slugify(name)
            if stem in referenced(Segment(name, self.root)):
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
                self.seg_name, self.description = name, description
                self._write(target, then)

            if target.exists() and (self.path is None or target.resolve() != self.path.resolve()):
                question = _("segments/{file} already exists. Replace it?").format(file=target.name)
                self.app.push_screen(
                    ConfirmScreen(question, [("yes", _("Replace")), ("cancel", _("Cancel"))]),
                    lambda choice: write() if choice == "yes" else None,
                )
            else:
                write()

        self.app.push_screen(
            PromptScreen(_("Save segment as"), self.seg_name, self.description, check), named
        )

    def _write(self, path: Path, then: Callable[[], None] | None = None) -> None:
        seg = Segment(self.seg_name, without_empty_groups(self.root), self.description, path)
        state = self.app.session.ws.state_dir
        try:
            keep(state, "segments", path)  # the version this save replaces stays restorable
            seg.save(path)
            keep(state, "segments", path)
        except OSError as exc:
            self.notify(
                _("Could not save {file}: {error}").format(file=path.name, error=exc),
                severity="error",
                timeout=8,
            )
            return
        self.path = seg.path
        self.saved_root = self.root
        self.app.last_stem = path.stem
        self.app.segments_changed()
        self._title()
        self.notify(_("Saved segments/{file}").format(file=path.name), title=_("Saved"))
        if then is not None:
            then()

    def leave(self, proceed: Callable[[], None]) -> None:
        """Run `proceed` once unsaved changes are saved or knowingly dropped."""
        if not self.dirty:
            proceed()
            return

        name = self.seg_name
        ask_unsaved(self.app, name, lambda then: self.action_save(then=then), proceed)

    def action_back(self) -> None:
        self.leave(self.app.pop_screen)
