"""Options several commands share, with their ranges (a bad number is a usage error)."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.services.values import MAX_ID, STATUS_NAMES

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Limit = Annotated[
    int, typer.Option("--limit", help="At most this many rows (0: all)", min=0, max=MAX_ID)
]
Offset = Annotated[int, typer.Option("--offset", help="Skip this many rows", min=0, max=MAX_ID)]
IfVersion = Annotated[
    int | None,
    typer.Option(
        "--if-version", help="Refuse if the ticket changed since this version", min=1, max=MAX_ID
    ),
]
Minutes = Annotated[str, typer.Argument(
    help="Time spent: minutes (15), or hours and minutes (1h30, 2h, 45m)")]


def ids_argument(help_text: str) -> typer.models.ArgumentInfo:
    """A positional id (attachment, outbox message, quarantined mail): 1 to MAX_ID."""
    return typer.Argument(help=help_text, min=1, max=MAX_ID)

#: The statuses as the console names them ("on hold"; on-hold and on_hold work too).
STATUS_HELP = f"{STATUS_NAMES} (on-hold and on_hold work too)"
#: `--set-status`: the one name for changing a status (`--status` filters).
SetStatus = Annotated[
    str | None, typer.Option("--set-status", help=f"Also set this status: {STATUS_NAMES}")
]
#: The older name of `--set-status` on `ticket reply`, kept working, not shown.
OldSetStatus = Annotated[str | None, typer.Option("--status", hidden=True)]
