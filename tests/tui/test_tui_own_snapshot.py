"""The TUI on a snapshot that is not the demo (issue 13, item 8 and the field picker)."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Select

from queries.segments.model import Group, Segment
from tests import own_snapshot_db as db
from tests.tui.test_tui_support import async_test, make_app, settle
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.widgets.look_breakdown import BreakdownPane


@async_test
async def test_breakdown_sample_and_picker_follow_what_the_snapshot_has(tmp_path):
    path = db.no_pii(tmp_path / "no_pii.duckdb")
    ws = db.workspace(tmp_path / "ws", path)
    Segment("Everyone", Group("all")).save(ws / "segments" / "everyone.yaml")
    app = make_app(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the only segment
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#sample-table", DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert "Email" not in labels  # the snapshot has no email column
        await pilot.press("2")
        await settle(pilot)
        pane = screen.query_one(BreakdownPane)
        # loyalty_tier exists but is empty everywhere: the default is a field with values
        assert pane.field == "lifecycle_stage"
        assert screen.query_one("#breakdown-field", Select).value == "lifecycle_stage"

        app.push_screen(FieldPickerScreen())
        await settle(pilot)
        picker = app.screen
        options = picker.query_one("#picker-list", OptionList)
        by_id = {
            options.get_option_at_index(i).id: options.get_option_at_index(i)
            for i in range(options.option_count)
        }
        assert by_id["email"].disabled and "needs customers.email" in str(by_id["email"].prompt)
        assert not by_id["points"].disabled
        picker._pick("email")  # an unavailable field cannot be picked
        await settle(pilot)
        assert app.screen is picker
