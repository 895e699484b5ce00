"""Duplicate, rename and delete saved segments (with confirmation) from the list screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from queries.core.errors import KizunaError
from queries.core.i18n import _
from tui.kizuna import kizuna, session_of
from tui.screens.dialogs import ConfirmScreen, PromptScreen

if TYPE_CHECKING:  # the segment model (and YAML) loads with the session, after the first screen
    from queries.segments.model import Segment


class SegmentFiles:
    """File operations on `segments/*.yaml` for the list screen, which owns one: `current`
    gives the highlighted stem, `refill` lists the files again (selecting a stem)."""

    def __init__(
        self,
        screen: Screen[None],
        current: Callable[[], str | None],
        refill: Callable[[str | None], None],
    ) -> None:
        self.screen = screen
        self.current_stem = current
        self.refill = refill

    def notify(self, message: str, **kwargs: Any) -> None:
        self.screen.notify(message, **kwargs)

    def _selected_segment(self) -> Segment | None:
        stem = self.current_stem()
        if stem is None or kizuna(self.screen).session is None:
            return None
        try:
            return session_of(self.screen).store.load(stem)
        except KizunaError as exc:
            self.notify(exc.render(), severity="error", timeout=10)
            return None

    def users_of(self, stem: str) -> list[str]:
        """Other saved segments that refer to `stem` (renaming or deleting would break them)."""
        from tui.widgets.edits import referenced

        store = session_of(self.screen).store
        out = []
        for other in store.names():
            if other == stem:
                continue
            try:
                if stem in referenced(store.load(other)):
                    out.append(other)
            except KizunaError:
                continue
        return out

    def _free_name(self, name: str, allow: str | None = None) -> str | None:
        from queries.segments.model import slugify

        stem = slugify(name)
        if stem != allow and (session_of(self.screen).ws.segments_dir / f"{stem}.yaml").exists():
            return _("segments/{stem}.yaml already exists").format(stem=stem)
        return None

    def duplicate(self) -> None:
        seg = self._selected_segment()
        if seg is None:
            return
        from queries.core.history import keep
        from queries.segments.model import Segment, slugify

        def named(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name = answer[0]
            path = session_of(self.screen).ws.segments_dir / f"{slugify(name)}.yaml"
            Segment(name, seg.where, seg.description, path).save(path)
            keep(session_of(self.screen).ws.state_dir, "segments", path)
            self.notify(_("Duplicated as segments/{file}").format(file=path.name))
            self.refill(path.stem)

        self.screen.app.push_screen(
            PromptScreen(
                _("Duplicate segment as"),
                _("Copy of {name}").format(name=seg.name),
                check=self._free_name,
            ),
            named,
        )

    def rename(self) -> None:
        seg = self._selected_segment()
        if seg is None or seg.path is None:
            return
        from queries.core.history import keep
        from queries.segments.model import Segment, slugify

        old_path = seg.path
        old = old_path.stem
        users = self.users_of(old)

        def named(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name = answer[0]
            stem = slugify(name) if not users else old
            path = old_path.with_name(f"{stem}.yaml")
            state = session_of(self.screen).ws.state_dir
            keep(state, "segments", old_path)
            keep(state, "segments", path)
            Segment(name, seg.where, seg.description, path).save(path)
            keep(state, "segments", path)
            if path != old_path:
                old_path.unlink(missing_ok=True)
            if users and slugify(name) != old:
                self.notify(
                    _("Kept the file name {old}.yaml: {users} refer to it.").format(
                        old=old, users=", ".join(users)
                    ),
                    severity="warning",
                )
            kizuna(self.screen).segments_changed()
            self.refill(stem)

        self.screen.app.push_screen(
            PromptScreen(
                _("Rename segment"),
                seg.name,
                check=lambda n: None if users else self._free_name(n, allow=old),
            ),
            named,
        )

    def delete(self) -> None:
        seg = self._selected_segment()
        if seg is None or seg.path is None:
            return
        from queries.core.history import keep

        users = self.users_of(seg.path.stem)
        question = _("Delete “{name}” (segments/{file})?").format(name=seg.name, file=seg.path.name)
        if users:
            question += "\n⚠ " + _("{users} refer to it and will stop working.").format(
                users=", ".join(users)
            )

        def answered(choice: str | None) -> None:
            if choice == "delete" and seg.path is not None:
                keep(session_of(self.screen).ws.state_dir, "segments", seg.path)
                seg.path.unlink(missing_ok=True)
                kizuna(self.screen).segments_changed()
                self.notify(
                    _("Deleted segments/{file} (restore: kizuna restore {stem})").format(
                        file=seg.path.name, stem=seg.path.stem
                    )
                )
                self.refill(None)

        self.screen.app.push_screen(
            ConfirmScreen(question, [("delete", _("Delete")), ("cancel", _("Cancel"))]), answered
        )
