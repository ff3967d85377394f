"""`deskterm console` (and bare `deskterm`): start the Textual agent console.

Textual is imported only inside `launch`, so the batch CLI never loads it.
"""

from __future__ import annotations

from pathlib import Path


def launch(
    db_path: Path | str,
    agent: str | None,
    *,
    light: bool = False,
    open_ticket: int | None = None,
) -> int:
    """Run the console on `db_path` as the OS user's agent (or the `--as` agent), opening
    ticket `open_ticket` if given. Returns the app's exit code: 0 when the agent quit,
    non-zero when it crashed (Textual has printed the traceback by then)."""
    from deskterm.app import make_app

    app = make_app(db_path, agent, dark=not light, open_ticket=open_ticket)
    app.run()
    return app.return_code or 0
