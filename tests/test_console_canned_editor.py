"""The canned-reply editor as an agent sees it: every placeholder it offers is readable in
full, and the save / cancel line is on screen, at 80x24 and at 120x40 (Pilot, read off the
drawn screen)."""

from __future__ import annotations

import pytest
from console_helpers import screen_lines, settle

from deskterm.app import make_app
from deskterm.screens.dialogs.canned_editor import CannedEditor
from deskterm.services import canned


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_editor_shows_every_placeholder_and_its_keys(demo_db, size):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CannedEditor)
        drawn = " ".join(line.strip(" │") for line in screen_lines(app))
        missing = [p for p in canned.PLACEHOLDERS if "{" + p + "}" not in drawn]
        assert missing == []
        assert "ctrl+s save · escape cancel" in drawn
        assert "New canned reply" in drawn
