"""The command palette with a search mark every font draws in one cell.

Textual 8's `CommandPalette.compose` yields a `SearchIcon` whose `icon` var defaults to
U+1F50E (a magnifying-glass emoji), two cells wide, which tmux and many terminals draw
misaligned; the palette here sets the icon of that widget as it is composed, so no frame
ever shows the emoji.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.command import CommandPalette, SearchIcon

from deskterm.widgets import glyphs


class DeskPalette(CommandPalette):
    """Textual's palette, its search mark `glyphs.SEARCH`."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, SearchIcon):
                widget.icon = glyphs.SEARCH
            yield widget
