"""The desk's set-up as the directory reads it: queues and teams.

Loaded when first named (`from deskterm.domain import QueueInfo` works as for every
domain type, see `deskterm.domain.__getattr__`): the console's first rows need none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueInfo:
    id: int
    slug: str
    name: str
    email: str | None
    team: str | None
    outsiders: str = "read"


@dataclass(frozen=True)
class TeamInfo:
    id: int
    slug: str
    name: str
    members: tuple[str, ...] = ()
