"""The ticket screen's side panel: the requester's details, organisation and other tickets.

`i` shows or hides it; enter on one of their tickets jumps there.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.services import requester
from deskterm.services.requester import RequesterSummary


def details_text(summary: RequesterSummary) -> Text:
    """Contact details as plain data (names and addresses never become markup)."""
    c = summary.contact
    text = Text()
    text.append(f"{c.name or c.email}\n", style="bold")
    text.append(f"{c.email}\n")
    for label, value in (("phone", c.phone), ("contract", c.contract_no)):
        if value:
            text.append(f"{label} ", style="dim")
            text.append(f"{value}\n")
    text.append("org ", style="dim")
    if c.organisation:
        text.append(c.organisation)
        text.append(
            f"\n  {summary.org_contacts} people · {summary.org_open} open tickets\n", style="dim"
        )
    else:
        text.append("—\n")
    text.append("tickets ", style="dim")
    text.append(f"{summary.ticket_count} · {summary.open_count} open")
    return text


def ticket_option(row) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{row.ref} ", style="bold")
    text.append(f"{row.status.value.replace('_', ' ')} ", style="dim")
    text.append(row.subject)
    return text


class RequesterPanel(Vertical):
    """Who asked, and what else they asked."""

    class Jump(Message):
        """The agent chose another ticket of this requester."""

        def __init__(self, ticket_id: int) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.summary: RequesterSummary | None = None
        self.ticket_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Label("Requester", classes="panel-title")
        yield Static("", id="requester-details")
        yield Label("Their other tickets", classes="panel-title")
        yield OptionList(id="requester-tickets")

    #: Narrower terminals keep the room for the thread (`i` still shows the panel).
    MIN_WIDTH = 120

    def on_mount(self) -> None:
        self.display = self.app.size.width >= self.MIN_WIDTH

    def show_for(self, ticket_id: int) -> None:
        """Load the panel for a ticket (in a worker)."""
        self.ticket_id = ticket_id
        self.app.call(
            requester.requester_summary,
            ticket_id,
            actor=self.app.actor,
            done=lambda s: self._fill(ticket_id, s),
            group="requester-panel",
            exclusive=True,
        )

    def _fill(self, ticket_id: int, summary: RequesterSummary) -> None:
        if ticket_id != self.ticket_id:
            return
        self.summary = summary
        self.query_one("#requester-details", Static).update(details_text(summary))
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if summary.others:
            options.add_options(Option(ticket_option(r), id=str(r.id)) for r in summary.others)
            options.highlighted = min(highlighted or 0, len(summary.others) - 1)
        else:
            options.add_option(Option(Text("(none)", style="dim"), disabled=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(int(event.option.id)))
