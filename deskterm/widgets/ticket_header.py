"""The ticket screen's header: every field an agent checks before answering, on at most
four lines (five with a snooze, merge or follow-up note, and one more saying why the ticket
is read-only for this agent) whatever the width.

Each line is a row of fields with a rank; when a line is wider than the header, the
lowest-ranked fields are left out first (the requester panel `i`, `t` and `f` show them
in full), then the line is cut with `…`. Nothing wraps, so at 80 columns the thread keeps
the height.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from deskterm import clock
from deskterm.domain import Status, TicketDetail
from deskterm.widgets.display import one_line, visual, visual_line
from deskterm.widgets.thread_view import local_time

STATUS_COLOURS = {
    Status.NEW: "cyan",
    Status.OPEN: "green",
    Status.PENDING: "yellow",
    Status.ON_HOLD: "magenta",
    Status.POSTPONED: "blue",
    Status.RESOLVED: "dim",
    Status.CLOSED: "dim",
}
#: Between fields; the narrow one below this many columns.
WIDE_SEPARATOR, NARROW_SEPARATOR, NARROW = "  ·  ", " · ", 100
#: A field that is always kept (the line is cut instead).
KEEP = 99


@dataclass(frozen=True)
class Field:
    """One labelled value of a header line; `rank`: lower is left out first."""

    text: Text
    rank: int


def field(label: str, value: str, rank: int, style: str = "") -> Field:
    """`label value`, the label dim, the value plain data in display order."""
    text = Text()
    if label:
        text.append(f"{label} ", style="dim")
    text.append(visual(one_line(value)), style=style)
    return Field(text, rank)


def cut(text: str, width: int) -> str:
    """One line of `text` in at most `width` cells: cut with `…` at its logical end (so a
    right-to-left subject keeps its start), then put in display order."""
    line = one_line(text)
    if width <= 0:
        return ""
    if cell_len(line) > width:
        line = set_cell_size(line, width - 1).rstrip() + "…"
    return visual_line(line)


def pack(fields: list[Field], width: int | None) -> Text:
    """The fields on one line of at most `width` cells (lowest ranks left out first)."""
    sep = WIDE_SEPARATOR if width is None or width >= NARROW else NARROW_SEPARATOR
    kept = list(fields)

    def joined() -> Text:
        line = Text()
        for i, item in enumerate(kept):
            if i:
                line.append(sep, style="dim")
            line.append_text(item.text)
        return line

    line = joined()
    while width is not None and line.cell_len > width:
        droppable = [f for f in kept if f.rank < KEEP]
        if not droppable:
            line.truncate(width, overflow="ellipsis")
            break
        kept.remove(min(droppable, key=lambda f: f.rank))
        line = joined()
    return line


def sla_text(detail: TicketDetail) -> Text | None:
    """The SLA clock (`sla.describe_clock`): time left, or how late, styled by urgency."""
    from deskterm.services.automation.sla import describe_clock

    text, state = describe_clock(detail, clock.now())
    if not text:
        return None
    return Text(text, style={"breached": "bold red", "warning": "yellow"}.get(state, ""))


def header_lines(detail: TicketDetail, zone: Any, width: int | None = None,
                 read_only: str | None = None) -> list[Text]:
    """The header's lines, each fitted to `width` cells (None: no limit); `read_only`: why
    the agent may not change this ticket, on a line of its own."""
    r = detail.requester
    ref = f"{detail.ref}  "
    subject = cut(detail.subject, (width or 10_000) - cell_len(ref))
    title = Text(ref + subject, style="bold")

    state = [
        Field(
            Text(
                detail.status.value.replace("_", " "),
                style=f"bold {STATUS_COLOURS.get(detail.status, '')}",
            ),
            KEEP,
        ),
        Field(
            Text(detail.priority.value, style="bold red" if detail.priority.rank >= 2 else ""),
            KEEP,
        ),
        field("via", detail.channel, 4),  # the channel: web (the portal), email, phone...
        field("queue", detail.queue_name, 6),
        field("assignee", detail.assignee_name or "—", 8),
    ]
    if detail.team:
        state.append(field("team", detail.team, 2))
    sla = sla_text(detail)
    if sla is not None:
        state.append(Field(Text("SLA ", style="dim") + sla, 9))

    who = [field("requester", f"{r.name} <{r.email}>" if r.name else r.email, KEEP)]
    for label, value, rank in (
        ("phone", r.phone, 5),
        ("contract", r.contract_no, 3),
        ("org", r.organisation, 4),
    ):
        if value:
            who.append(field(label, value, rank))

    facts = [
        field("followers", ", ".join(f.email for f in detail.followers) or "—", 5),
        field("tags", " ".join(detail.tags) or "—", 7),
        field("created", local_time(detail.created_at, zone), 3),
        field("updated", local_time(detail.updated_at, zone), 6),
    ]
    lines = [title, pack(state, width), pack(who, width), pack(facts, width)]
    notes = []
    if detail.snoozed_until:
        notes.append(field("", f"snoozed until {local_time(detail.snoozed_until, zone)}", 3))
    if detail.merged_into:
        notes.append(field("", f"merged into #{detail.merged_into}", 2))
    if detail.linked_to:
        notes.append(field("", f"follows up #{detail.linked_to}", 1))
    if notes:
        line = pack(notes, width)
        line.stylize("italic")
        lines.append(line)
    if read_only:
        lines.append(pack([field("read-only:", read_only, KEEP, "yellow")], width))
    return lines


def header_text(detail: TicketDetail, zone: Any, width: int | None = None,
                read_only: str | None = None) -> Text:
    """The header as one Text, a line per row."""
    return Text("\n").join(header_lines(detail, zone, width, read_only))



class TicketHeader(Widget):
    """The header of the ticket on screen; laid out again for every width."""

    DEFAULT_CSS = "TicketHeader { height: auto; }"

    def __init__(self, zone: Any, **kwargs) -> None:
        super().__init__(**kwargs)
        self.zone = zone
        self.detail: TicketDetail | None = None
        #: Why this agent may not change the ticket (set with each load), else None.
        self.read_only: str | None = None

    def show(self, detail: TicketDetail) -> None:
        self.detail = detail
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.detail is None:
            return Text("")
        return header_text(self.detail, self.zone, self.content_size.width or None,
                           self.read_only)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.detail is None:
            return 1
        return len(header_lines(self.detail, self.zone, max(width, 1), self.read_only))

    def on_resize(self) -> None:
        self.refresh(layout=True)
