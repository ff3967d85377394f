"""`deskterm audit`: the append-only record of who changed what, when."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.lists import Listing, ListSpec, lists
from deskterm.cli.tickets import event_columns

#: `deskterm audit`: events of the desk or a ticket, oldest first, the newest 200.
AUDIT = ListSpec(
    noun="events",
    columns=event_columns(ticket=True),
    ref=lambda e: e.id,
    default_limit=200,
    empty="no events match",
)


@lists(AUDIT)
def audit(
    ctx: typer.Context,
    listing: Listing,
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="Only this ticket: #1042 or 1042")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only what this agent did (also as --as)")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only this recent: 7d, 12h, 30m, 2w")
    ] = None,
) -> None:
    """Show audit events, oldest first: a ticket's trail (anyone who may read the ticket)
    or the desk's, by agent or time (admins and observers). A capped list keeps the newest."""
    from deskterm import clock
    from deskterm.domain import BadInput
    from deskterm.services.trust import audit as audit_service
    from deskterm.services.values import resolve_ref
    from deskterm.services.when import parse_duration

    st = state(ctx)
    try:
        start = clock.now() - parse_duration(since) if since else None
    except (OverflowError, ValueError):
        raise BadInput(f"--since {since!r} is too far back") from None
    actor = st.actor()
    where = {"ticket_id": resolve_ref(ticket) if ticket else None, "agent": agent, "since": start}
    records = audit_service.find_events(actor, limit=max(listing.fetch, 0), **where)
    listing.show(
        records, total=lambda: audit_service.count_events(actor, **where), newest_last=True
    )
