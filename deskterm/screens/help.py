"""`?`: the key bindings of the screen the agent came from."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


def binding_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for every described binding active on `screen`."""
    by_action: dict[tuple[int, str], tuple[list[str], str]] = {}
    app = screen.app
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        slot = by_action.setdefault((id(active.node), binding.action), ([], binding.description))
        key = binding.key_display or app.get_key_display(binding)
        if key not in slot[0]:
            slot[0].append(key)
    return [(", ".join(keys), text) for keys, text in by_action.values()]


class HelpScreen(ModalScreen[None]):
    """A table of the bindings of the screen underneath."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__(classes="dialog")
        self.rows = binding_rows(screen)
        self.screen_name = getattr(screen, "HELP_TITLE", type(screen).__name__)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Action")
        for keys, text in self.rows:
            table.add_row(keys, text)
        with VerticalScroll(classes="dialog-box help-box"):
            yield Label(f"Keys: {self.screen_name}", classes="dialog-title")
            yield Static(table)
            yield Label("ctrl+p: command palette (every action)", classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
