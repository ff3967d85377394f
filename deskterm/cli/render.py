"""A ticket as text for the terminal (header, then the thread with notes marked)."""

from __future__ import annotations

from rich.panel import Panel
from rich.text import Text

from deskterm.cli.output import clean, out, styled
from deskterm.domain import EntryKind, TicketDetail

_STYLE = {
    EntryKind.CUSTOMER: ("customer", "cyan"),
    EntryKind.REPLY: ("public reply", "green"),
    EntryKind.NOTE: ("INTERNAL NOTE, not sent to customer", "yellow"),
    EntryKind.SYSTEM: ("system", "dim"),
}


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def render_ticket(ticket: TicketDetail) -> None:
    """Print the ticket header and its thread."""
    req = ticket.requester
    lines = [
        f"{ticket.ref}  {ticket.subject}",
        f"status {ticket.status.value} · priority {ticket.priority.value} · queue {ticket.queue}"
        f" · assignee {ticket.assignee or '-'} · team {ticket.team or '-'}",
        f"requester {req.name or '-'} <{req.email}> · phone {req.phone or '-'}"
        f" · org {req.organisation or '-'} · contract {req.contract_no or '-'}",
        f"created {ticket.created_at:%Y-%m-%d %H:%M} UTC"
        f" · updated {ticket.updated_at:%Y-%m-%d %H:%M} UTC · version {ticket.version}",
    ]
    if ticket.followers:
        lines.append("followers " + ", ".join(f.email for f in ticket.followers))
    if ticket.tags:
        lines.append("tags " + ", ".join(ticket.tags))
    if ticket.merged_into:
        lines.append(f"merged into #{ticket.merged_into}")
    if ticket.linked_to:
        lines.append(f"linked to #{ticket.linked_to}")
    out.print(Panel(Text(clean("\n".join(lines))), expand=False))
    for entry in ticket.entries:
        label, colour = _STYLE[entry.kind]
        title = f"{label} · {entry.author} · {entry.created_at:%Y-%m-%d %H:%M}"
        if entry.delivery:
            title += f" · mail {entry.delivery.value}"
        body = Text(clean(entry.body))
        for att in entry.attachments:
            body.append(clean(f"\n📎 [{att.id}] {att.filename} ({_size(att.size)})"))
        out.print(Panel(body, title=styled(title), title_align="left", border_style=colour))
