"""Edit a campaign's 3W1H and see exactly what each sample recipient will receive, as you type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Select, Static, TextArea

from queries.campaigns.findings import PreflightReport
from queries.core.errors import KizunaError
from queries.core.i18n import _
from tui.keymap import bind
from tui.kizuna import session_of
from tui.screens.campaigns.campaign_draft import CampaignDraft, problem, switch_channel
from tui.screens.campaigns.campaign_live import CampaignLiveMixin
from tui.screens.campaigns.campaign_preflight import CampaignPreflightScreen
from tui.screens.campaigns.campaign_rules_edit import CampaignRules
from tui.screens.dialogs import PromptScreen, ask_unsaved
from tui.widgets.campaign_form import INLINE, CampaignForm
from tui.widgets.campaign_preview import CampaignPreview
from tui.widgets.header import SnapshotHeader


class CampaignEditScreen(CampaignLiveMixin):
    """The campaign editor: form on top, template editor beside the live preview."""

    BINDINGS = [
        bind("ctrl+s", "save", "Save", id="campaign.save"),
        bind("f,f5", "preflight", "Preflight", id="campaign.preflight"),
        bind(
            "right_square_bracket,ctrl+n",
            "recipient(1)",
            "Next person",
            id="campaign.next",
        ),
        bind(
            "left_square_bracket",
            "recipient(-1)",
            "Prev person",
            id="campaign.prev",
            key_display="[",
            show=False,
        ),
        bind("v", "next_variant", "Variant", id="campaign.variant"),
        bind("e", "edit", "Edit the message", id="campaign.edit", show=False),
        bind("i", "customer", "Preview a customer id", id="campaign.customer", show=False),
        bind("u", "unmask", "Show / mask personal data", id="campaign.unmask", show=False),
        bind("r", "raw", "HTML as source / as text", id="campaign.raw", show=False),
        bind("c", "coupon", "Coupon…", id="campaign.coupon", show=False),
        bind("x", "exclusions", "Exclusions…", id="campaign.exclusions", show=False),
        bind("p", "policy", "Contact policy…", id="campaign.policy", show=False),
        bind(
            "escape",
            "leave_field",
            "Leave the field (keys work again)",
            id="campaign.leave_field",
            show=False,
        ),
        bind("q", "back", "Campaigns", id="campaign.back"),
    ]

    DEFAULT_CSS = """
    CampaignEditScreen #cmp-title-row { height: 1; padding: 0 1; background: $boost; }
    CampaignEditScreen #cmp-title {
        width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CampaignEditScreen #cmp-file { width: auto; height: 1; margin-left: 2; }
    CampaignEditScreen.-narrow #cmp-file { display: none; }
    CampaignEditScreen #cmp-audience { width: auto; height: 1; margin-left: 2; }
    CampaignEditScreen #cmp-body { height: 1fr; border-top: solid $border-blurred; }
    CampaignEditScreen #cmp-template { width: 1fr; height: 1fr; scrollbar-size-vertical: 1; }
    CampaignEditScreen #cmp-template.-invalid { border-left: outer $error; }
    CampaignEditScreen #cmp-preview { width: 1fr; border-left: vkey $border-blurred; }
    CampaignEditScreen #cmp-status { height: auto; max-height: 3; padding: 0 1; }
    """

    def __init__(self, campaign_path: Path) -> None:
        super().__init__()
        self.path = Path(campaign_path)
        self.draft: CampaignDraft | None = None
        self.load_error: str | None = None
        self.variant = ""
        self.init_live()
        self.rules = CampaignRules(
            self, self.path, lambda: self.draft, lambda: self.form, self.changed
        )

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = session_of(self)
        try:
            self.draft = CampaignDraft.load(self.path, s.catalog, s.ws.root, s.store)
        except KizunaError as exc:
            self.load_error = exc.render()
        yield SnapshotHeader()
        with Horizontal(id="cmp-title-row"):
            yield Static(id="cmp-title")
            yield Static(id="cmp-file")
            yield Static(id="cmp-audience")
        variants = [v.name for v in self.draft.variants] if self.draft else []
        yield CampaignForm(s.store.names(), variants, id="cmp-form")
        with Horizontal(id="cmp-body"):
            yield TextArea(id="cmp-template", soft_wrap=True, show_line_numbers=True, compact=True)
            yield CampaignPreview(id="cmp-preview")
        yield Static(id="cmp-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.draft is None:
            self.notify(self.load_error or "cannot open", title=_("Cannot open"), severity="error")
            self.call_later(self.app.pop_screen)
            return
        d = self.draft
        form = self.form
        form.fill(d.segment, d.channel, d.destination, d.send_at, d.holdout)
        self.rules.fill()
        self.variant = d.variants[0].name
        form.fill_variants([v.name for v in d.variants], self.variant)
        self._load_variant()
        self._title()
        self.query_one(CampaignPreview).focus()
        self.request_preview(immediate=True)

    def on_unmount(self) -> None:
        self.stop_live()

    def on_resize(self) -> None:
        self.show_sample()  # the audience steps fit the pane's width

    @property
    def dirty(self) -> bool:
        return self.draft is not None and self.draft.dirty

    @property
    def part(self) -> str:
        """The part the big editor holds: the email body, else the text."""
        return "body" if self.draft and self.draft.channel == "email" else "text"

    def _load_variant(self) -> None:
        """Show the selected variant's weight, subject and template source in the form."""
        d = self.draft
        assert d is not None
        v = d.variant(self.variant)
        file = v.file_for(self.part)
        source = (
            f"{self.part} ← {file}"
            if file
            else _("{part}: inline in the campaign file").format(part=self.part)
        )
        self.form.fill_variant(v.weight, v.subject if d.channel == "email" else None, source)
        if self.editor.text != v.source(self.part):
            self.editor.load_text(v.source(self.part))

    # -- edits (values equal to the draft's are programmatic fills: no change) -------------
    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        d = self.draft
        if d is None or event.value is Select.NULL or event.value != event.select.value:
            return
        value = str(event.value)
        wid = event.select.id
        if wid == "cmp-variant":
            if value != self.variant:
                self.variant = value
                self._load_variant()
                self.show_sample()
            return
        if wid == "cmp-segment":
            seg = None if value == INLINE else value
            if seg == d.segment or (seg is None and d.base.who.segment is not None):
                return
            d.segment = seg
        elif wid == "cmp-channel":
            if value == d.channel:
                return
            switch_channel(d, value)
            self._load_variant()
        elif wid == "cmp-destination":
            if value == d.destination:
                return
            d.destination = value
        self.changed()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        d = self.draft
        if d is None or event.value != event.input.value:
            return
        v = d.variant(self.variant) if self.variant else None
        target = {
            "cmp-send-at": (d, "send_at"),
            "cmp-holdout": (d, "holdout"),
            "cmp-weight": (v, "weight"),
            "cmp-subject": (v, "subject"),
        }.get(event.input.id or "")
        if target is None or target[0] is None or getattr(*target) == event.value:
            return
        setattr(target[0], target[1], event.value)
        self.changed()

    @on(TextArea.Changed, "#cmp-template")
    def _edited(self, event: TextArea.Changed) -> None:
        d = self.draft
        if d is None or not self.variant:
            return
        v = d.variant(self.variant)
        text = event.text_area.text
        if v.source(self.part) == text:
            return
        setattr(v, self.part, text)
        self.changed()

    def changed(self) -> None:
        """The draft changed: mark it, and render the preview again once typing pauses."""
        self.generation += 1
        self.rules.fill()
        self._title()
        self.request_preview()

    # -- actions ---------------------------------------------------------------------------
    def action_coupon(self) -> None:
        self.rules.coupon()

    def action_exclusions(self) -> None:
        self.rules.exclusions()

    def action_policy(self) -> None:
        self.rules.policy()

    def action_recipient(self, step: int) -> None:
        if self.pinned is not None:
            self.pinned = None
            self.request_preview(immediate=True)
            return
        if self.result and self.result.samples:
            self.index = (self.index + step) % len(self.result.samples)
            self.show_sample()

    def action_next_variant(self) -> None:
        if self.draft is None:
            return
        names = [v.name for v in self.draft.variants]
        self.variant = names[(names.index(self.variant) + 1) % len(names)]
        self.form.fill_variants(names, self.variant)
        self._load_variant()
        self.show_sample()

    def action_edit(self) -> None:
        self.editor.focus()

    def action_leave_field(self) -> None:
        if isinstance(self.focused, (TextArea, Input)):
            self.query_one(CampaignPreview).focus()

    def action_unmask(self) -> None:
        self.unmask = not self.unmask
        self.notify(
            _("Showing personal data.") if self.unmask else "Personal data masked.", timeout=2
        )
        self.request_preview(immediate=True)

    def action_raw(self) -> None:
        self.raw = not self.raw
        self.show_sample()

    def action_customer(self) -> None:
        def answered(answer: tuple[str, str] | None) -> None:
            if answer:
                self.pinned = answer[0]
                self.request_preview(immediate=True)

        ask = PromptScreen(_("Preview for customer id"), self.pinned or "", label=_("Customer id"))
        self.app.push_screen(ask, answered)

    def action_preflight(self) -> None:
        d, s = self.draft, session_of(self)
        if d is None:
            return
        try:
            c = d.build(s.catalog, s.store)
        except KizunaError as exc:
            self.notify(problem(exc)[1], title=_("Fix this first"), severity="error", timeout=8)
            return
        generation = self.generation

        def done(report: PreflightReport | None) -> None:
            if report is not None:
                self.checked = (generation, report)
                if self.error is None:
                    self._status(self._ok_status())

        self.app.push_screen(CampaignPreflightScreen(s, c), done)

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        d, s = self.draft, session_of(self)
        if d is None:
            return
        try:
            from queries.core.history import keep

            if d.path is not None:
                keep(s.ws.state_dir, "campaigns", d.path)
            written = d.save(s.catalog, s.store)
            if d.path is not None:
                keep(s.ws.state_dir, "campaigns", d.path)
        except (KizunaError, OSError) as exc:
            text = problem(exc)[1] if isinstance(exc, KizunaError) else str(exc)
            self.notify(text, title=_("Not saved"), severity="error", timeout=10)
            return
        root = s.ws.root
        names = ", ".join(
            str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in written
        )
        self.notify(
            _("Saved {files}").format(files=names) if written else _("Nothing changed."), timeout=4
        )
        self._title()
        if then is not None:
            then()

    def leave(self, proceed: Callable[[], object]) -> None:
        """Run `proceed` once unsaved changes are saved or knowingly dropped."""
        if not self.dirty:
            proceed()
            return

        name = self.draft.base.name if self.draft else self.path.stem
        ask_unsaved(self.app, name, lambda then: self.action_save(then=then), proceed)

    def action_back(self) -> None:
        self.leave(self.app.pop_screen)
