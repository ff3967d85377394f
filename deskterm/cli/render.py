"""A ticket as text for the terminal (header, then the thread with notes marked).

Every symbol drawn here (markers, panel lines) follows the glyph rule in `deskterm/wgl4.py`,
as the console's do: no emoji, nothing a common monospace font lacks. Times are in the
agent's zone with its offset (`--utc` for UTC).
"""

from __future__ import annotations

from rich import box
from rich.panel import Panel
from rich.text import Text

from deskterm.cli import times
from deskterm.cli.output import clean, out, styled
from deskterm.domain import EntryKind, TicketDetail

#: Before an attachment's id and file name (the console's marker too).
ATTACHMENT = "+"
#: Between the parts of a header line.
SEPARATOR = "·"
#: Panel lines: light box drawing, all in WGL4 (Rich's default rounded corners are not).
BOX = box.SQUARE
#: Every symbol this module draws, for the glyph rule's test.
GLYPHS = (ATTACHMENT, SEPARATOR, *(v for v in vars(BOX).values() if isinstance(v, str)))

_STYLE = {
    EntryKind.CUSTOMER: ("customer", "cyan"),
    EntryKind.REPLY: ("public reply", "green"),
    EntryKind.NOTE: ("INTERNAL NOTE, not sent to customer", "yellow"),
    EntryKind.SYSTEM: ("system", "dim"),
}


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def render_ticket(ticket: TicketDetail) -> None:
    """Print the ticket header and its thread."""
    req, dot = ticket.requester, f" {SEPARATOR} "
    lines = [
        f"{ticket.ref}  {ticket.subject}",
        dot.join((
            f"status {ticket.status.label}", f"priority {ticket.priority.value}",
            f"queue {ticket.queue}", f"assignee {ticket.assignee or '-'}",
            f"team {ticket.team or '-'}",
        )),
        dot.join((
            f"requester {f'{req.name} <{req.email}>' if req.name else req.email}",
            f"phone {req.phone or '-'}",
            f"org {req.organisation or '-'}", f"contract {req.contract_no or '-'}",
        )),
        dot.join((
            f"created {times.when(ticket.created_at)}",
            f"updated {times.when(ticket.updated_at)}", f"version {ticket.version}",
        )),
    ]
    if ticket.snoozed_until:
        lines.append(f"snoozed until {times.when(ticket.snoozed_until)}")
    if ticket.followers:
        lines.append("followers " + ", ".join(f.email for f in ticket.followers))
    if ticket.tags:
        lines.append("tags " + ", ".join(ticket.tags))
    if ticket.merged_into:
        lines.append(f"merged into #{ticket.merged_into}")
    if ticket.linked_to:
        lines.append(f"linked to #{ticket.linked_to}")
    out.print(Panel(Text(clean("\n".join(lines))), box=BOX, expand=False))
    for entry in ticket.entries:
        label, colour = _STYLE[entry.kind]
        title = dot.join((label, entry.author, times.when(entry.created_at)))
        if entry.held_until:
            title += f"{dot}mail held until {times.when(entry.held_until, seconds=True)}"
            title += " (undo-send window)"
        elif entry.delivery:
            title += f"{dot}mail {entry.delivery.value}"
        body = Text(clean(entry.body))
        for att in entry.attachments:
            body.append(clean(f"\n{ATTACHMENT} [{att.id}] {att.filename} ({_size(att.size)})"))
        out.print(
            Panel(body, title=styled(title), title_align="left", border_style=colour, box=BOX)
        )
