"""`deskterm sla ...`: clocks of a ticket, the breach sweep, policies."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.options import Limit
from deskterm.cli.output import out, print_json, print_table

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
                c.due_at.strftime("%Y-%m-%d %H:%M UTC") if c.due_at else "",
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


@app.command("breaching")
def breaching(
    ctx: typer.Context,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """Open tickets that missed an SLA target, most urgent first."""
    from deskterm.services.automation import sla
    from deskterm.services.finding import listing

    st = state(ctx)
    st.open()
    rows = listing.list_tickets(BREACHING, actor=st.actor(), limit=limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        (
            (
                r.ref,
                r.subject,
                r.status.value,
                r.priority.value,
                r.assignee or "",
                sla.describe_clock(r)[0],
            )
            for r in rows
        ),
        ["Ref", "Subject", "Status", "Priority", "Assignee", "SLA"],
    )


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
