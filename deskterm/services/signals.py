"""In-transaction change notifications between services.

A service that changes a ticket calls `emit(Change(...))` inside its transaction; every
listener named in `LISTENERS` runs right there, so what it writes (SLA due times, rule
actions, outbox mail) commits or rolls back with the change that caused it.
Listeners are named as "module:function" and imported on first use, so the batch path
loads only what it needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deskterm.domain import Actor

#: Run in this order: SLA clocks first (rules may look at them), then rules, then mail.
LISTENERS: list[str] = [
    "deskterm.services.automation.sla:on_change",  # issue 5
    "deskterm.services.automation.rules:on_change",  # issue 5
    "deskterm.services.messaging.notifications:on_change",  # issue 4
]


@dataclass(frozen=True)
class Change:
    """One change to a ticket, as listeners see it.

    kind: created | customer_message | reply | note | status | priority | queue |
          assignee | team | tags | merged | snoozed | follower | attachment
    """

    kind: str
    ticket_id: int
    actor: Actor
    entry_id: int | None = None
    field: str | None = None
    before: Any = None
    after: Any = None


_resolved: list[Callable[[Change], None]] | None = None
_muted = 0


def _listeners() -> list[Callable[[Change], None]]:
    global _resolved
    if _resolved is None:
        funcs = []
        for spec in LISTENERS:
            module_name, func_name = spec.split(":")
            funcs.append(getattr(importlib.import_module(module_name), func_name))
        _resolved = funcs
    return _resolved


def emit(change: Change) -> None:
    """Tell every listener about `change` (call inside the service's transaction)."""
    if _muted:
        return
    for listener in _listeners():
        listener(change)


def is_muted() -> bool:
    """True inside `muted()`: listeners do not run (set-based callers check this too)."""
    return bool(_muted)


class muted:
    """Context manager that silences listeners (bulk demo seeding, imports of history)."""

    def __enter__(self) -> None:
        global _muted
        _muted += 1

    def __exit__(self, *exc: object) -> None:
        global _muted
        _muted -= 1
