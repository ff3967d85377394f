"""What every command shares: the database path and who is acting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from deskterm import paths
from deskterm.domain import Actor


@dataclass
class CliState:
    """Set by the root callback from --db / --as (or their environment variables)."""

    db: Path | str | None = None
    agent: str | None = None
    _opened: bool = False
    _actor: Actor | None = None

    @property
    def db_path(self) -> Path | str:
        """The database file, or the PostgreSQL URL."""
        return self.db or paths.default_db_path()

    @property
    def agent_name(self) -> str:
        """The username of the acting agent (see `actor`)."""
        return self.actor().name

    def open(self, *, create: bool = False) -> None:
        """Open (and upgrade) the database once per command.

        A missing file is an error (a mistyped --db must not make a new empty desk) unless
        `create` (init, and the console's first run on the default path).
        """
        if not self._opened:
            from deskterm.domain import NotFound
            from deskterm.services import desk

            target = self.db_path
            if not create and not desk.is_server_url(target) and not Path(target).exists():
                raise NotFound(
                    f"no desk at {self.db_path}; create one with `deskterm init` "
                    "(empty) or `deskterm demo` (sample data)"
                )
            desk.open_desk(self.db_path)
            self._opened = True

    def actor(self) -> Actor:
        """Who acts: the OS user's agent, or `--as` for admins and demo desks
        (`services.identity`); Refused for an OS user who is not an agent."""
        from deskterm.services.trust import identity

        self.open()
        if self._actor is None:
            self._actor = identity.resolve(self.agent)
        return self._actor


def state(ctx: typer.Context) -> CliState:
    """The CliState of the running command (found on the root context)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
