"""The canned-reply editor as an agent sees it: every placeholder it offers is readable in
full, and the save / cancel line is on screen, at 80x24 and at 120x40 (Pilot, read off the
drawn screen)."""

from __future__ import annotations

import pytest
from console_helpers import screen_lines, settle

from deskterm.app import make_app
from deskterm.screens.dialogs.canned_editor import CannedEditor
from deskterm.services import canned


async def open_editor(pilot, key: str) -> CannedEditor:
    """From the queue: the canned replies screen (`C`), then its editor (`n` new, `e` edit
    the reply the list starts on)."""
    await settle(pilot)
    for step in ("C", key):
        await pilot.press(step)
        await settle(pilot)
    assert isinstance(pilot.app.screen, CannedEditor)
    return pilot.app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_editor_shows_every_placeholder_and_its_keys(demo_db, size):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await open_editor(pilot, "n")
        drawn = " ".join(line.strip(" │") for line in screen_lines(app))
        missing = [p for p in canned.PLACEHOLDERS if "{" + p + "}" not in drawn]
        assert missing == []
        assert "ctrl+s save · escape cancel" in drawn
        assert "New canned reply" in drawn


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_editing_the_demo_reply_shows_its_whole_body(demo_db, size):
    """The demo's "Need more information" (six lines where its second paragraph wraps)
    is on screen whole in the editor, from its greeting to the signature."""
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        editor = await open_editor(pilot, "e")
        assert editor.reply.title == "Need more information"
        # the text inside each field's edges (the screen behind shows beside the dialog)
        fields = [line.split("▊", 1)[1].split("▎", 1)[0].strip() for line in screen_lines(app)
                  if "▊" in line and "▎" in line]
        assert fields[1] == "Need more information", "the title field"
        first = fields.index("Hi {requester.first_name},")
        last = fields.index("{agent.name}")
        shown = " ".join(line for line in fields[first : last + 1] if line)
        assert shown == ("Hi {requester.first_name}, to move {ticket.ref} forward we need a "
                         "bit more information: which version are you using, and when did "
                         "it start? {agent.name}")


async def test_a_refused_save_keeps_the_editor_open_with_the_text_as_typed(demo_db):
    """An unknown placeholder used to close the editor with a toast and drop the text."""
    from textual.widgets import Input, TextArea

    before = [c.title for c in canned.list_canned()]
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Ćao test", "tab", *"Zdravo {requester.first_name}, {foo}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CannedEditor)
        assert app.screen.query_one("#canned-title", Input).value == "Ćao test"
        body = app.screen.query_one("#canned-body", TextArea)
        assert body.text == "Zdravo {requester.first_name}, {foo}"
        assert [n.message.split(":")[0] for n in app._notifications] == [
            "unknown placeholder {foo}"]
        assert [c.title for c in canned.list_canned()] == before  # nothing saved
        body.text = "Zdravo {requester.first_name}, {ticket.ref}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CannedEditor)
        assert "Saved 'Ćao test'" in [n.message for n in app._notifications]
    assert canned.get_canned("Ćao test").body == "Zdravo {requester.first_name}, {ticket.ref}"
