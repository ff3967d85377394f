"""What every command shares: the database path and who is acting."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import typer

from deskterm import paths
from deskterm.domain import Actor


@dataclass
class CliState:
    """Set by the root callback from --db / --as (or their environment variables)."""

    db: Path | None = None
    agent: str | None = None
    _opened: bool = False

    @property
    def db_path(self) -> Path:
        return self.db or paths.default_db_path()

    @property
    def agent_name(self) -> str:
        return self.agent or os.environ.get("DESKTERM_AGENT") or getpass.getuser()

    def open(self) -> None:
        """Open (and upgrade) the database once per command."""
        if not self._opened:
            from deskterm.store.db import open_db

            open_db(self.db_path)
            self._opened = True

    def actor(self) -> Actor:
        """The acting agent; an OS user who is not an agent acts as `user:NAME`."""
        from deskterm.services.directory import actor_or_user

        self.open()
        return actor_or_user(self.agent_name)


def state(ctx: typer.Context) -> CliState:
    """The CliState of the running command (found on the root context)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
