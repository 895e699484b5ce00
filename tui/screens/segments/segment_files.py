"""Duplicate, rename and delete saved segments (with confirmation) from the list screen."""

from __future__ import annotations

from textual.screen import Screen

from queries.core.errors import KizunaError
from queries.core.history import keep
from queries.core.i18n import _
from queries.segments.model import Segment, slugify
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.widgets.edits import referenced


class SegmentFilesMixin(Screen):
    """File operations on `segments/*.yaml`; the list screen provides the table and refill."""

    def current_stem(self) -> str | None:  # pragma: no cover - the list screen defines it
        raise NotImplementedError

    def refill(self, select: str | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _selected_segment(self) -> Segment | None:
        stem = self.current_stem()
        if stem is None or self.app.session is None:
            return None
        try:
            return self.app.session.store.load(stem)
        except KizunaError as exc:
            self.notify(exc.render(), severity="error", timeout=10)
            return None

    def users_of(self, stem: str) -> list[str]:
        """Other saved segments that refer to `stem` (renaming or deleting would break them)."""
        store = self.app.session.store
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
        stem = slugify(name)
        if stem != allow and (self.app.session.ws.segments_dir / f"{stem}.yaml").exists():
            return _("segments/{stem}.yaml already exists").format(stem=stem)
        return None

    def action_duplicate(self) -> None:
        seg = self._selected_segment()
        if seg is None:
            return

        def named(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name = answer[0]
            path = self.app.session.ws.segments_dir / f"{slugify(name)}.yaml"
            Segment(name, seg.where, seg.description, path).save(path)
            keep(self.app.session.ws.state_dir, "segments", path)
            self.notify(_("Duplicated as segments/{file}").format(file=path.name))
            self.refill(select=path.stem)

        self.app.push_screen(
            PromptScreen(
                _("Duplicate segment as"),
                _("Copy of {name}").format(name=seg.name),
                check=self._free_name,
            ),
            named,
        )

    def action_rename(self) -> None:
        seg = self._selected_segment()
        if seg is None or seg.path is None:
            return
        old = seg.path.stem
        users = self.users_of(old)

        def named(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name = answer[0]
            stem = slugify(name) if not users else old
            path = seg.path.with_name(f"{stem}.yaml")
            state = self.app.session.ws.state_dir
            keep(state, "segments", seg.path)
            keep(state, "segments", path)
            Segment(name, seg.where, seg.description, path).save(path)
            keep(state, "segments", path)
            if path != seg.path:
                seg.path.unlink(missing_ok=True)
            if users and slugify(name) != old:
                self.notify(
                    _("Kept the file name {old}.yaml: {users} refer to it.").format(
                        old=old, users=", ".join(users)
                    ),
                    severity="warning",
                )
            self.app.segments_changed()
            self.refill(select=stem)

        self.app.push_screen(
            PromptScreen(
                _("Rename segment"),
                seg.name,
                check=lambda n: None if users else self._free_name(n, allow=old),
            ),
            named,
        )

    def action_delete(self) -> None:
        seg = self._selected_segment()
        if seg is None or seg.path is None:
            return
        users = self.users_of(seg.path.stem)
        question = _("Delete “{name}” (segments/{file})?").format(name=seg.name, file=seg.path.name)
        if users:
            question += "\n⚠ " + _("{users} refer to it and will stop working.").format(
                users=", ".join(users)
            )

        def answered(choice: str | None) -> None:
            if choice == "delete" and seg.path is not None:
                keep(self.app.session.ws.state_dir, "segments", seg.path)
                seg.path.unlink(missing_ok=True)
                self.app.segments_changed()
                self.notify(
                    _("Deleted segments/{file} (restore: kizuna restore {stem})").format(
                        file=seg.path.name, stem=seg.path.stem
                    )
                )
                self.refill()

        self.app.push_screen(
            ConfirmScreen(question, [("delete", _("Delete")), ("cancel", _("Cancel"))]), answered
        )
