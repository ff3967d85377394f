"""How the CLI writes instants: in the acting agent's time zone with its UTC offset
(`2026-12-01 14:05 +01:00`), or in UTC with `--utc`. JSON keeps ISO 8601 UTC.

The zone is set once per command (the root callback, after who you are is known);
commands that run as the desk itself (mail import, rules check) write UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Annotated

import typer

_zone: tzinfo = UTC
_utc = False


def reset() -> None:
    """Back to UTC (each command line starts here)."""
    global _zone, _utc
    _zone, _utc = UTC, False


def use_zone(zone: tzinfo) -> None:
    """Write times in `zone` (the acting agent's) unless `--utc` was given."""
    global _zone
    _zone = zone


def force_utc(enabled: bool = True) -> None:
    """`--utc`: write every time in UTC."""
    global _utc
    _utc = _utc or enabled


def zone() -> tzinfo:
    """The zone times are written in now."""
    return UTC if _utc else _zone


def local(moment: datetime) -> datetime:
    """`moment` (aware, or naive UTC) in the output zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone())


def when(moment: datetime | None, *, seconds: bool = False, empty: str = "-") -> str:
    """`2026-12-01 14:05 +01:00` (with `seconds`: `14:05:09`); `empty` for None."""
    if moment is None:
        return empty
    from deskterm.services.when import written

    return written(moment, zone(), seconds=seconds)


def day(moment: datetime | None, *, empty: str = "-") -> str:
    """`2026-12-01`: the date in the output zone."""
    return empty if moment is None else local(moment).strftime("%Y-%m-%d")


def iso(moment: datetime | None) -> str:
    """ISO 8601 in the output zone, for CSV: `2026-12-01T14:05:09+01:00`."""
    return "" if moment is None else local(moment).replace(microsecond=0).isoformat()


def _utc_option(value: bool) -> bool:
    force_utc(value)
    return value


#: `--utc` on any command that prints times.
Utc = Annotated[
    bool,
    typer.Option(
        "--utc",
        help="Print times in UTC (default: your time zone, with its offset)",
        callback=_utc_option,
    ),
]
