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
from deskterm.widgets.display import one_line, visual
from deskterm.widgets.thread_view import wrapped_lines


def _shown(value: str, width: int | None = None) -> str:
    """Customer text as the console draws it: no controls, wrapped at `width` (logical
    order), then each row in visual order."""
    if width is None:
        return visual(one_line(value))
    return "\n".join(wrapped_lines(one_line(value), width))


def details_text(summary: RequesterSummary, width: int | None = None) -> Text:
    """Contact details as plain data (names and addresses never become markup); the name
    wrapped at `width` before it is reordered, so a Persian name reads top to bottom."""
    c = summary.contact
    text = Text()
    text.append(f"{_shown(c.name or c.email, width)}\n", style="bold")
    if c.name:  # else the address was the line above
        text.append(f"{_shown(c.email)}\n")
    for label, value in (("phone", c.phone), ("contract", c.contract_no)):
        if value:
            text.append(f"{label} ", style="dim")
            text.append(f"{_shown(value)}\n")
    text.append("org ", style="dim")
    if c.organisation:
        text.append(_shown(c.organisation))
        text.append(
            f"\n  {summary.org_contacts} people · {summary.org_open} open tickets\n", style="dim"
        )
    else:
        text.append("—\n")
    text.append("tickets ", style="dim")
    text.append(f"{summary.ticket_count} · {summary.open_count} open")
    return text


def ticket_option(row, width: int | None = None) -> Text:
    """`#21 on hold subject`, wrapped at `width` before each row is put in visual order (the
    option list would wrap the reordered text and show a Persian subject's end first)."""
    status = row.status.value.replace("_", " ")
    rows = wrapped_lines(f"{row.ref} {status} {one_line(row.subject)}", width)
    text = Text("\n".join(rows))
    if rows[0].startswith(f"{row.ref} {status} "):
        text.stylize("bold", 0, len(row.ref))
        text.stylize("dim", len(row.ref) + 1, len(row.ref) + 1 + len(status))
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
        details = self.query_one("#requester-details", Static)
        width = details.content_region.width  # the panel less its padding
        details.update(details_text(summary, width if width >= 8 else None))
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if summary.others:
            # the options' own padding is one cell on each side
            width = options.scrollable_content_region.width - 2
            options.add_options(
                Option(ticket_option(r, width if width >= 8 else None), id=str(r.id))
                for r in summary.others
            )
            options.highlighted = min(highlighted or 0, len(summary.others) - 1)
        else:
            options.add_option(Option(Text("(none)", style="dim"), disabled=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(int(event.option.id)))
