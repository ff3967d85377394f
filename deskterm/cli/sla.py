"""`deskterm sla ...`: clocks of a ticket, the breach sweep, policies."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import times
from deskterm.cli.context import state
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.output import out, print_json, print_table
from deskterm.cli.times import Utc

app = typer.Typer(help="SLA clocks, breaches and policies.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
BREACHING = "sla:breached status:new,open,pending,on_hold,postponed sort:due"


def _clock_json(c) -> dict:
    return {
        "state": c.state,
        "started_at": c.started_at,
        "due_at": c.due_at,
        "remaining_minutes": int(c.remaining.total_seconds() // 60),
        "breached": c.breached,
        "breached_at": c.breached_at,
        "stopped_at": c.stopped_at,
    }


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Ticket reference: #1042 or 1042")],
    as_json: Json = False,
    utc: Utc = False,
) -> None:
    """A ticket's clocks: due, remaining, state (met, running, paused, breached)."""
    from deskterm.services.automation import sla
    from deskterm.services.automation.business_time import format_duration
    from deskterm.services.tickets import resolve_ref

    state(ctx).open()
    clocks = sla.ticket_clocks(resolve_ref(ref))
    if as_json:
        print_json(
            {
                "policy": clocks.policy,
                "breached": clocks.breached,
                **{c.target: _clock_json(c) for c in clocks.clocks},
            }
        )
        return
    if clocks.policy is None:
        out.print("no SLA policy on this ticket's queue")
        return
    print_table(
        (
            (
                c.target.replace("_", " "),
                c.state,
                times.when(c.due_at, empty=""),
                format_duration(c.remaining),
            )
            for c in clocks.clocks
        ),
        ["Clock", "State", "Due", "Remaining"],
        title=f"SLA policy {clocks.policy}",
    )


@app.command("sweep")
def sweep(ctx: typer.Context, as_json: Json = False) -> None:
    """Record breaches of clocks that ran out (also done by `deskterm rules run`)."""
    from deskterm.services.automation import sla

    state(ctx).open()
    count = sla.sweep()
    if as_json:
        print_json({"breaches": count})
    else:
        out.print(f"recorded {count} new SLA breaches")


def _sla(row) -> str:
    from deskterm.services.automation import sla

    return sla.describe_clock(row)[0]


#: `sla breaching`: open tickets past an SLA target.
BREACHING_TICKETS = ListSpec(
    noun="breaching tickets",
    columns=(
        Column("ref", "Ref", lambda r: r.ref),
        Column("subject", "Subject", lambda r: r.subject, width=60),
        Column("status", "Status", lambda r: r.status.label),
        Column("priority", "Priority", lambda r: r.priority.value),
        Column("assignee", "Assignee", lambda r: r.assignee),
        Column("sla", "SLA", _sla),
        Column("queue", "Queue", lambda r: r.queue, default=False),
        Column("reply_due", "Reply due", lambda r: r.first_response_due, default=False),
        Column("due", "Due", lambda r: r.resolution_due, default=False),
    ),
    ref=lambda r: r.ref,
    default_limit=50,
    empty="no open ticket has missed an SLA target",
)


@app.command("breaching")
@lists(BREACHING_TICKETS)
def breaching(ctx: typer.Context, listing: Listing) -> None:
    """Open tickets that missed an SLA target, most urgent first."""
    from deskterm.services.finding import listing as tickets_listing

    actor = state(ctx).actor()
    rows = tickets_listing.list_tickets(BREACHING, actor=actor, limit=listing.fetch)
    listing.show(rows, total=lambda: tickets_listing.count_tickets(BREACHING, actor=actor))


@app.command("install-defaults")
def install_defaults(
    ctx: typer.Context,
    timezone: Annotated[
        str, typer.Option("--tz", help="The calendar's time zone, e.g. Europe/Zagreb")
    ] = "Europe/Sarajevo",
    as_json: Json = False,
) -> None:
    """Create the "Workdays 8-19" calendar and "Standard" policy for queues without one."""
    from deskterm.services.automation import sla

    queues = sla.install_default_policies(state(ctx).actor(), timezone)
    if as_json:
        print_json({"queues": queues})
    else:
        out.print(f"Standard policy given to {len(queues)} queues: {', '.join(queues) or '-'}")


@app.command("set-policy")
def set_policy(
    ctx: typer.Context,
    queue: Annotated[str, typer.Argument(help="Queue slug")],
    policy: Annotated[str, typer.Argument(help="Policy name, or 'none' to remove")],
    as_json: Json = False,
) -> None:
    """Give a queue an SLA policy and recompute its tickets' clocks."""
    from deskterm.services.automation import sla

    name = None if policy == "none" else policy
    sla.set_queue_policy(state(ctx).actor(), queue, name)
    if as_json:
        print_json({"queue": queue, "policy": name})
    else:
        out.print(f"queue {queue}: SLA policy {policy}")
