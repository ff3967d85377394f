"""`deskterm console` (and bare `deskterm`): start the Textual agent console.

Textual is imported only inside `launch`, so the batch CLI never loads it.
"""

from __future__ import annotations

from pathlib import Path


def launch(db_path: Path | str, agent: str | None, *, light: bool = False) -> None:
    """Run the console on `db_path` as `agent` (the only agent when just one exists)."""
    from deskterm.app import make_app
    from deskterm.domain import BadInput

    if not agent:
        agent = _only_agent(db_path)
    if not agent:
        raise BadInput("say who you are: deskterm --as AGENT (or console --as AGENT)")
    make_app(db_path, agent, dark=not light).run()


def _only_agent(db_path: Path | str) -> str | None:
    import os

    from deskterm.services.directory import list_agents
    from deskterm.store.db import open_db

    env = os.environ.get("DESKTERM_AGENT")
    if env:
        return env
    open_db(db_path)
    agents = list_agents()
    return agents[0].username if len(agents) == 1 else None
