"""The command palette's search mark is one plain cell on every screen: Textual's default
(🔎, drawn two cells wide) misaligns the line in tmux and many terminals. Read off the
drawn screen at 80x24, right after ctrl+p and once the palette has settled."""

from __future__ import annotations

from console_helpers import screen_lines, settle
from rich.cells import cell_len
from textual.command import CommandPalette

from deskterm.app import make_app
from deskterm.widgets import glyphs

PLACEHOLDER = "Search for commands…"
# From the queue: the screen each key opens (escape goes back to the queue).
SCREENS = [("queue", None), ("ticket", "enter"), ("canned replies", "C"),
           ("rules", "L"), ("reports", "R")]


async def _input_line(pilot) -> str:
    """The palette's input line as first drawn (a loaded machine may need a few frames)."""
    for _ in range(100):
        lines = [line for line in screen_lines(pilot.app) if PLACEHOLDER in line]
        if lines:
            assert len(lines) == 1, "the palette's input line is drawn once"
            return lines[0]
        await pilot.pause(0.02)
    raise AssertionError("the palette's input line was never drawn")


async def test_the_palette_marks_its_input_with_one_plain_cell_on_every_screen(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for name, key in SCREENS:
            if key:
                await pilot.press(key)
                await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette), name
            for moment in ("first frame", "settled"):
                line = await _input_line(pilot)
                mark = line.split(PLACEHOLDER)[0].strip()
                assert mark == glyphs.SEARCH, (name, moment, line)
                assert cell_len(mark) == 1 and mark.isascii()
                await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            if key:
                await pilot.press("escape")
                await settle(pilot)
