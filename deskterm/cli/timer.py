"""`deskterm timer ...`: the agent's running time-tracking timer (the console's `T`)."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import times
from deskterm.cli.context import state
from deskterm.cli.output import out, print_json
from deskterm.cli.times import Utc

app = typer.Typer(help="Start and stop a timer that logs time on a ticket.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@app.command("start")
def start(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Ticket reference: #1042 or 1042")],
    as_json: Json = False,
) -> None:
    """Start timing a ticket (a timer running elsewhere is stopped and logged first)."""
    from deskterm.services import timers

    timer, stopped = timers.start_timer(state(ctx).actor(), ref)
    if as_json:
        print_json({"running": timer, "stopped": stopped})
        return
    if stopped is not None:
        out.print(f"logged {stopped.minutes} min on {stopped.timer.ref}")
    out.print(f"timer started on {timer.ref}")


@app.command("stop")
def stop(
    ctx: typer.Context,
    note: Annotated[str, typer.Option("--note", help="What the time was for")] = "",
    as_json: Json = False,
) -> None:
    """Stop the timer and log its minutes on the ticket (as `ticket time` does)."""
    from deskterm.services import timers

    stopped = timers.stop_timer(state(ctx).actor(), note)
    if as_json:
        print_json(stopped)
    else:
        out.print(f"logged {stopped.minutes} min on {stopped.timer.ref}")


@app.command("discard")
def discard(ctx: typer.Context, as_json: Json = False) -> None:
    """Stop the timer without logging any time."""
    from deskterm.services import timers

    timer = timers.discard_timer(state(ctx).actor())
    if as_json:
        print_json(timer)
    else:
        out.print(f"timer on {timer.ref} discarded, nothing logged")


@app.command("show")
def show(ctx: typer.Context, as_json: Json = False, utc: Utc = False) -> None:
    """Show the running timer (exit 1 when none runs)."""
    from deskterm import clock
    from deskterm.services import timers

    st = state(ctx)
    st.open()
    timer = timers.running_timer(st.agent_name)
    if timer is None:
        if as_json:
            print_json(None)
        else:
            out.print("no timer is running")
        raise typer.Exit(1)
    if as_json:
        print_json(timer)
    else:
        elapsed = _clock(timer.elapsed_seconds(clock.now()))
        out.print(f"{timer.ref} {timer.subject}: {elapsed} since {times.when(timer.started_at)}")
