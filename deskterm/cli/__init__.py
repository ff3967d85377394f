"""The `deskterm` command: bare `deskterm` opens the console; sub-commands script the desk.

This package never imports textual: the console is imported only when it launches.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
import typer._click as click
from typer.core import TyperGroup, TyperOption

from deskterm import __version__, paths
from deskterm.cli import (
    agents,
    audit,
    bulk,
    db,
    directory,
    mail,
    portal,
    reports,
    rules,
    sla,
    tickets,
    timer,
    times,
    views,
)
from deskterm.cli.context import state
from deskterm.cli.lists import Listing, lists
from deskterm.cli.output import exit_for, fail, out, print_json
from deskterm.domain import DomainError


class DeskGroup(TyperGroup):
    """Maps every error to one stderr line and an exit code, in one place (cli/errors.py)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from deskterm.cli import errors

        argv = list(sys.argv[1:] if args is None else args)
        _tidy_help(self)
        code = errors.run(
            lambda: super(DeskGroup, self).main(
                argv, prog_name or "deskterm", complete_var, standalone_mode=False, **extra
            ),
            argv,
        )
        if standalone_mode:
            errors.exit_with(code)
        return code

    def invoke(self, ctx: typer.Context) -> Any:
        from deskterm.services.desk import DatabaseError

        ctx.meta[_NO_IDENTITY_KEY] = self._no_identity(ctx)
        try:
            return super().invoke(ctx)
        except DomainError as error:
            raise exit_for(error) from None
        except DatabaseError as error:
            raise fail(f"database error: {error}") from None
        except OverflowError:
            # A number past what the database holds that no parser range-checked.
            raise fail("a number in the command is too large", 2, kind="bad_input") from None
        except OSError as error:
            raise fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")) from None

    def _no_identity(self, ctx: typer.Context) -> bool:
        """True when the command needs nobody to be an agent: help, and the commands that
        make a desk (`init`, `demo`: they map you to its admin) or check a file."""
        words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        if any(word in ("-h", "--help") for word in words):
            return True
        if len(words) == 1:
            command = self.get_command(ctx, words[0])
            # `deskterm ticket`: its help; but `deskterm report` is a command of its own
            if isinstance(command, TyperGroup) and not command.invoke_without_command:
                return True
        commands = [w for w in words if not w.startswith("-")]
        if tuple(commands[:1]) in _NO_IDENTITY or tuple(commands[:2]) in _NO_IDENTITY:
            return True
        if commands and commands[0] in _SERVERS:  # the server itself, not its sub-commands
            group = self.get_command(ctx, commands[0])
            sub = commands[1] if len(commands) > 1 else None
            return not (isinstance(group, TyperGroup) and sub and group.get_command(ctx, sub))
        return False


_NO_IDENTITY_KEY = "deskterm.no_identity"
#: Commands that run before anyone is an agent, read no desk, or are a channel the desk
#: itself runs (the console resolves who you are itself, after a first-run demo).
_NO_IDENTITY = {
    ("init",),
    ("demo",),
    ("console",),
    ("rules", "check"),
    # The desk's own jobs, run by the MTA, cron or systemd as a service user (README's
    # User=deskterm): they act as the desk itself (system:mail, rules), never as a person.
    ("mail", "import"),
    ("mail", "fetch"),
    ("mail", "watch"),
    ("mail", "send"),
    ("rules", "run"),
    ("sla", "sweep"),
    # Copies whole databases: whoever can open both (file modes, PostgreSQL credentials)
    # could copy them with sqlite3 or pg_dump; the desk's identity adds nothing.
    ("db", "copy"),
}
#: Servers whose users are not agents (the portal's are customers); their sub-commands
#: (`portal rotate-key`) still need one.
_SERVERS = {"portal"}

def _tidy_help(command: click.Command, seen: set[int] | None = None) -> None:
    """Flags show no `<bool>` type in --help (they take no value); a group's list of
    commands shows each one's first paragraph as one run of text (Typer's rich mode kept
    the docstring's line breaks there: `(anyone who may` / `read the ticket)`)."""
    seen = set() if seen is None else seen
    if id(command) in seen:
        return
    seen.add(id(command))
    if command.help and not command.short_help:
        first = inspect.cleandoc(command.help).split("\n\n")[0]
        command.short_help = " ".join(first.split())
    ctx = click.Context(command, help_option_names=["-h", "--help"])
    for param in [*command.params, command.get_help_option(ctx)]:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub, seen)


app = typer.Typer(
    cls=DeskGroup,
    help="deskterm: a helpdesk in the terminal. Without a command, opens the console.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(tickets.app, name="ticket")
app.add_typer(bulk.app, name="bulk")
app.add_typer(db.app, name="db")
app.add_typer(agents.agents_app, name="agent")
app.command("audit")(audit.audit)
app.add_typer(directory.queues_app, name="queue")
app.add_typer(directory.teams_app, name="team")
app.add_typer(directory.canned_app, name="canned")
app.add_typer(rules.app, name="rules")
app.add_typer(sla.app, name="sla")
app.add_typer(mail.app, name="mail")
app.add_typer(reports.app, name="report")
app.add_typer(portal.app, name="portal")
app.add_typer(timer.app, name="timer")
app.add_typer(views.app, name="view")

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _version(value: bool) -> None:
    if value:
        out.print(f"deskterm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db_path: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="DESKTERM_DB",
            help="Database file, or postgresql://user:pass@host:5432/desk (default: per-user file)",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--as", envvar="DESKTERM_AGENT", help="Act as this agent (default: OS user)"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """Open the console when no command is given."""
    st = state(ctx)
    st.db, st.agent = (paths.db_target(db_path) if db_path else None), agent
    if ctx.invoked_subcommand is None:
        _launch_console(ctx)
    elif not ctx.meta.get(_NO_IDENTITY_KEY):
        from deskterm.services.trust import identity

        # Who you are decides what you may do (refuse a stranger up front), and the time
        # zone every time is printed in.
        times.use_zone(identity.zone_of(st.actor()))


def _launch_console(ctx: typer.Context, ref: str | None = None) -> None:
    from deskterm.services import maintenance

    st = state(ctx)
    st.open(create=st.db is None)  # the first run makes the default desk; a typo'd --db no
    if maintenance.is_empty():
        from deskterm.services import demo  # only on a first run: it imports most services

        out.print(f"first run: filling a demo database at {st.db_path} …")
        demo.seed_demo()
    st.actor()  # who you are (services.identity): refuse here, in one line, before Textual
    open_ticket = None
    if ref is not None:
        from deskterm.services.finding.recent import find_ticket

        open_ticket = find_ticket(ref)  # a bad or unknown ref fails before the console starts
    from deskterm.cli.console import launch

    code = launch(st.db_path, st.agent, open_ticket=open_ticket)
    if code:
        raise fail(f"the console stopped on an unexpected error (exit {code}, details above)",
                   code, kind="internal")


@app.command("console")
def console(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(help="Open this ticket first: #1042 or 1042")
    ] = None,
) -> None:
    """Open the agent console (the same as plain `deskterm`), optionally on one ticket."""
    _launch_console(ctx, ref)


@app.command("init")
def init(ctx: typer.Context, as_json: Json = False) -> None:
    """Create an empty database with a default queue and team, and you (your OS user,
    named --as NAME if given) as its admin."""
    from deskterm.services import demo
    from deskterm.services.trust import identity

    st = state(ctx)
    st.open(create=True)
    created = demo.init_desk(st.agent or identity.os_user())
    if as_json:
        print_json({"path": str(st.db_path), **created})
    elif any(created.values()):
        out.print(f"database ready at {st.db_path}")
    else:
        out.print(f"a desk already exists at {st.db_path}; nothing to do")


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data")] = 7,
    count: Annotated[
        int, typer.Option("--tickets", help="How many tickets", min=0, max=10**6)
    ] = 300,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that is not a demo")
    ] = False,
    as_json: Json = False,
) -> None:
    """Replace the database with fresh, realistic demo data."""
    from deskterm.services import demo

    st = state(ctx)
    summary = demo.recreate_demo(st.db_path, seed=seed, tickets=count, force=force)
    st._opened = True
    if as_json:
        print_json(summary)
    else:
        out.print(
            f"demo database at {st.db_path}: {summary['tickets']} tickets, "
            f"{summary['agents']} agents, {summary['queues']} queues, "
            f"{summary['requesters']} requesters"
        )


@app.command("search")
@lists(tickets.TICKETS)
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='Words or "a phrase"; filter tokens allowed')],
    listing: Listing,
) -> None:
    """Full-text search in subjects and threads (any language)."""
    from deskterm.domain import BadInput
    from deskterm.services.finding import listing as tickets_listing

    if not text.strip():
        raise BadInput("nothing to search for: give words, a \"phrase\" or filter tokens")
    actor = state(ctx).actor()
    query = tickets_listing.parse_for(text, actor)
    rows = tickets_listing.list_tickets(query, actor=actor, limit=listing.fetch)
    listing.show(rows, total=lambda: tickets_listing.count_tickets(query, actor=actor))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="deskterm")
