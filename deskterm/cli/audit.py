"""`deskterm audit`: the append-only record of who changed what, when."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.output import print_json, print_table

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def audit(
    ctx: typer.Context,
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="Only this ticket: #1042 or 1042")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only what this agent did (also as --as)")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only this recent: 7d, 12h, 30m, 2w")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most the newest N events (0: all)", min=0)
    ] = 200,
    as_json: Json = False,
) -> None:
    """Show audit events, oldest first: a ticket's trail (anyone who may read the ticket)
    or the desk's, by agent or time (admins and observers)."""
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
    records = audit_service.find_events(
        st.actor(),
        ticket_id=resolve_ref(ticket) if ticket else None,
        agent=agent,
        since=start,
        limit=limit,
    )
    if as_json:
        print_json(records)
        return
    print_table(
        (
            (
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                f"#{e.ticket_id}" if e.ticket_id else "-",
                e.who,
                e.action,
                e.field or "",
                e.before or "",
                e.after or "",
            )
            for e in records
        ),
        ("When (UTC)", "Ticket", "Who", "Action", "What", "Before", "After"),
    )
