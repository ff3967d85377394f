"""Go to a ticket from anywhere: `:` (or `#` then the number) opens a prompt with the
recent tickets, the palette takes `#42` too, and `deskterm console 42` starts on a ticket.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from deskterm.domain import TicketRow
from deskterm.services import desk
from deskterm.services.finding import recent
from deskterm.widgets.display import fit, one_line

_REF = re.compile(r"^\s*#?\s*(\d+)\s*$")


def ref_number(text: str) -> int | None:
    """`#42`, `42` or ` # 42 ` -> 42; anything else None."""
    match = _REF.match(text or "")
    return int(match.group(1)) if match else None


#: Cells of a recent ticket's subject and requester at most: one row each, whatever the
#: customer wrote (a 2,000-letter subject filled the whole list).
SUBJECT_CELLS, REQUESTER_CELLS = 50, 24


def _cut(text: str, cells: int) -> str:
    line = one_line(text)
    return fit(line, min(cells, cell_len(line)))


def row_label(row: TicketRow) -> Text:
    """One recent ticket as plain text on one row (subjects are data, never markup)."""
    return Text.assemble(
        (f"{row.ref:>7} ", "bold"),
        (f"{row.status.value.replace('_', ' '):<9} ", "dim"),
        _cut(row.subject, SUBJECT_CELLS),
        (f"  {_cut(row.requester, REQUESTER_CELLS)}", "dim"),
    )


def open_ticket(app: Any, ticket_id: int) -> None:
    """Open a ticket over whatever is showing: back to the queue first, so stacks stay short."""
    from deskterm.screens.queue import QueueScreen
    from deskterm.screens.ticket import TicketScreen

    def opened(found: int) -> None:
        while len(app.screen_stack) > 1 and not isinstance(app.screen, QueueScreen):
            app.pop_screen()
        queue = app.screen if isinstance(app.screen, QueueScreen) else None
        app.push_screen(TicketScreen(found, navigator=queue))

    app.call(recent.find_ticket, ticket_id, app.actor, done=opened)


class GotoDialog(ModalScreen[int | None]):
    """Type a ref and enter, or pick one of the tickets opened lately."""

    HELP_TITLE = "go to ticket"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="goto.cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, initial: str = "") -> None:
        super().__init__(classes="dialog")
        self.initial = initial
        self.rows: list[TicketRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box picker", id="goto-box"):
            yield Label("Go to ticket", classes="dialog-title")
            yield Input(self.initial, placeholder="#1042, then enter", id="goto-input")
            yield Label("Recent tickets", classes="dialog-hint")
            yield OptionList(id="goto-recent")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.app.call(
            recent.recent_tickets, self.app.agent.username, actor=self.app.actor, done=self._fill
        )

    def _fill(self, rows: list[TicketRow]) -> None:
        self.rows = rows
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(row_label(r), id=str(r.id)) for r in rows)
        if not rows:
            options.add_option(Option(Text("(no tickets opened yet)", style="dim"), disabled=True))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        number = ref_number(event.value)
        if number is not None:
            self.dismiss(number)
            return
        options = self.query_one(OptionList)
        if not event.value.strip() and options.highlighted is not None and self.rows:
            self.dismiss(int(options.get_option_at_index(options.highlighted).id))
            return
        self.notify(f"not a ticket reference: {event.value!r} (expected #1042)", severity="error")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(int(event.option.id))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.rows:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(len(self.rows) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _in_thread(fn: Callable[[], Any]) -> Any:
    with desk.worker_connection():
        return fn()


class GotoProvider(Provider):
    """Palette entries from any screen: `#42` opens ticket 42, Go to ticket, Reports and the
    recent tickets."""

    async def startup(self) -> None:
        username, actor = self.app.agent.username, self.app.actor
        try:
            self.rows = await asyncio.to_thread(
                _in_thread, lambda: recent.recent_tickets(username, actor=actor)
            )
        except Exception:  # noqa: BLE001 - the palette must open whatever the desk says
            self.rows = []

    def _open(self, ticket_id: int) -> Callable[[], None]:
        return lambda: open_ticket(self.app, ticket_id)

    async def discover(self) -> Hits:
        # "Go to ticket" itself is the app's `:` binding, listed with every other binding.
        for row in self.rows:
            yield DiscoveryHit(
                row_label(row), self._open(row.id), text=f"Recent {row.ref} {row.subject}"
            )

    async def search(self, query: str) -> Hits:
        number = ref_number(query)
        if number is not None:
            yield Hit(1.0, Text(f"Open ticket #{number}"), self._open(number),
                      text=f"Open ticket #{number}")
        matcher = self.matcher(query)
        score = matcher.match("Reports")
        if score > 0 and not _bound(self.screen, "app.reports"):
            yield Hit(score, matcher.highlight("Reports"), self.app.action_reports,
                      text="Reports", help="Figures and charts for a range (R on the queue)")
        for row in self.rows:
            text = f"Recent {row.ref} {row.subject}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, row_label(row), self._open(row.id), text=text)


def _bound(screen: Any, action: str) -> bool:
    """Whether a binding of `screen` already offers `action` (the palette lists it then)."""
    return any(b.binding.action == action for b in screen.active_bindings.values())
