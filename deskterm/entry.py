"""The `deskterm` script: bare `deskterm` opens the console without loading the CLI.

Typer and every command module cost the console's start ~0.4 s for nothing when no
command is given, so a bare `deskterm` on an existing desk builds the console straight
away: the desk from `DESKTERM_DB` (or the per-user file), the agent from `DESKTERM_AGENT`
(or the OS user), as the CLI would. Anything else goes through `deskterm.cli`: any
argument, a first run (it fills the demo desk), and every problem found before Textual
starts (no desk, not an agent, ...), which the CLI then reports in its one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm import collector

if TYPE_CHECKING:
    from deskterm.app import DesktermApp


def main() -> None:
    """Console-script entry point (`deskterm`, `python -m deskterm`)."""
    if sys.argv[1:] or not open_console():
        from deskterm.cli import main as cli_main

        cli_main()


def _run(app: DesktermApp) -> int:
    app.run()
    return app.return_code or 0


def open_console(run: Callable[[DesktermApp], int] = _run) -> bool:
    """Run the console as bare `deskterm` does, through `run(app)` (the real terminal by
    default). False, having started nothing, when the CLI must do it (see the module
    docstring); on a crash, the CLI's error line and exit code. The garbage collector
    waits for the first rows (`deskterm.collector`)."""
    collector.hold()
    try:
        app = _console_app()
        if app is None:
            return False
        code = run(app)
    finally:
        collector.release()  # the CLI's turn, or the console ended before its first rows
    if code:
        from deskterm.cli.output import fail  # after the console: no start-up to keep short

        raise SystemExit(fail(
            f"the console stopped on an unexpected error (exit {code}, details above)", code,
            kind="internal",
        ).exit_code)
    return True


def _console_app() -> DesktermApp | None:
    from deskterm import paths
    from deskterm.services import desk

    if os.environ.get("DESKTERM_DB", None) == "":
        return None  # let the CLI decide what an empty setting means
    target = paths.default_db_path()
    if not desk.is_server_url(target) and not Path(target).is_file():
        return None  # first run (the demo desk), or a mistyped DESKTERM_DB
    from deskterm.domain import DomainError
    from deskterm.services import maintenance

    try:
        desk.open_desk(target)
        if maintenance.is_empty():
            desk.close_desk()
            return None
        agent = os.environ.get("DESKTERM_AGENT") or None
        from deskterm import first_page
        from deskterm.services.trust import identity

        # the queue's first rows are read while Textual loads (`deskterm.first_page`)
        ahead = first_page.start(identity.resolve(agent))
        from deskterm.app import make_app

        return make_app(target, agent, first_page=ahead)
    except (DomainError, desk.DatabaseError, OSError):
        desk.close_desk()
        return None
