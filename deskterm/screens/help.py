"""`?`: the keys of the screen the agent came from, its own first, then the focused
widget's, then the ones that work everywhere; Textual's generic scroll keys are left out."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from deskterm.commands import own_actions
from deskterm.widgets.display import plain
from deskterm.widgets.ticket_table import SLA_LEGEND, TicketTable


def binding_tips(screen: Screen) -> dict[str, str]:
    """description -> tooltip of the screen's bindings (what the action does)."""
    return {
        a.binding.description: a.binding.tooltip
        for a in screen.active_bindings.values()
        if a.binding.description and a.binding.tooltip
    }


def binding_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for every described deskterm binding active on `screen`:
    the screen's own first, then its widgets', then the app's."""
    app = screen.app
    by_action: dict[tuple[int, str], tuple[list[str], str, int]] = {}
    own: dict[int, set[str]] = {}
    for active in screen.active_bindings.values():
        binding, node = active.binding, active.node
        if not binding.description or binding.system:
            continue
        if binding.action not in own.setdefault(id(node), own_actions(node)):
            continue
        rank = 0 if node is screen else (2 if node is app else 1)
        slot = by_action.setdefault((id(node), binding.action), ([], binding.description, rank))
        key = binding.key_display or app.get_key_display(binding)
        if key not in slot[0]:
            slot[0].append(key)
    ordered = sorted(by_action.values(), key=lambda slot: slot[2])
    return [(", ".join(keys), text) for keys, text, _ in ordered]


def writing_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, tooltip) of the composer's keys, which work while writing (so
    they are not active while `?` can be typed)."""
    from deskterm.widgets.composer import Composer

    if not screen.query(Composer):
        return []
    return [
        (b.key_display or b.key, b.description, b.tooltip or "")
        for b in Composer.BINDINGS
        if b.description
    ]


class HelpScreen(ModalScreen[None]):
    """A table of the bindings of the screen underneath (and the SLA legend where it shows)."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__(classes="dialog")
        self.rows = binding_rows(screen)
        self.tips = binding_tips(screen)
        self.screen_name = getattr(screen, "HELP_TITLE", type(screen).__name__)
        shown = {text for _, text in self.rows}
        self.writing = [row for row in writing_rows(screen) if row[1] not in shown]
        self.legend = SLA_LEGEND if screen.query(TicketTable) or hasattr(screen, "detail") else ""

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Action", no_wrap=True)
        table.add_column("", style="dim", ratio=1)
        for keys, text in self.rows:
            tip = self.tips.get(text, "")
            table.add_row(Text(keys), Text(text), Text(tip if tip != text else ""))
        with VerticalScroll(classes="dialog-box help-box"):
            yield Label(plain(f"Keys: {self.screen_name}"), classes="dialog-title")
            yield Static(table)
            if self.writing:
                yield Label("While writing (composer)", classes="dialog-title help-section")
                writing = Table(box=None, show_header=False, expand=True)
                writing.add_column("Key", style="bold", no_wrap=True)
                writing.add_column("Action", no_wrap=True)
                writing.add_column("", style="dim", ratio=1)
                for keys, text, tip in self.writing:
                    writing.add_row(Text(keys), Text(text), Text(tip))
                yield Static(writing, id="help-writing")
            if self.legend:
                yield Label("SLA", classes="dialog-title help-section")
                yield Static(plain(self.legend), id="sla-legend")
            yield Label(
                "ctrl+p: command palette (every action by name) · escape closes",
                classes="dialog-hint",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
