"""The config file's `[console]` section: the agent console's own switches.

Apart from `deskterm.config` so that a console started without a config file loads
neither the TOML parser nor the mail and SMS settings (`config` re-exports these names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskterm.domain import BadInput


@dataclass(frozen=True)
class ConsoleSettings:
    """`[console]`: the agent console's own switches (`bidi` is read by the display)."""

    #: How long a sent reply waits in the outbox so `u` can take it back (0: no window).
    undo_send_seconds: float = 10.0
    #: Ask "time spent?" after each send (what `deskterm ticket time` records).
    ask_time_spent: bool = False


def console_settings(section: dict[str, Any]) -> ConsoleSettings:
    """The `[console]` section's switches; BadInput names a bad value."""
    values: dict[str, Any] = {}
    seconds = section.get("undo_send_seconds", ConsoleSettings.undo_send_seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 600:
        raise BadInput("config [console] undo_send_seconds: expected 0 to 600 seconds")
    values["undo_send_seconds"] = float(seconds)
    ask = section.get("ask_time_spent", ConsoleSettings.ask_time_spent)
    if not isinstance(ask, bool):
        raise BadInput("config [console] ask_time_spent: expected true or false")
    values["ask_time_spent"] = ask
    return ConsoleSettings(**values)
