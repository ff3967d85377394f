"""`deskterm agent ...`: who works the desk, their role, teams and OS user (admins change)."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.output import out, print_json
from deskterm.domain import AgentInfo

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Role = Annotated[str | None, typer.Option("--role", help="admin, agent or observer")]
OsUser = Annotated[
    str | None, typer.Option("--os-user", help="The OS login that is this agent ('' for none)")
]
Teams = Annotated[
    str | None, typer.Option("--teams", help="Team slugs, comma separated (replaces them)")
]

agents_app = typer.Typer(help="Agents: add, list, change, disable.", no_args_is_help=True)


def _teams(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(slug.strip() for slug in value.split(",") if slug.strip())


def _state(agent: AgentInfo) -> str:
    return "disabled" if not agent.enabled else ("available" if agent.active else "away")


#: `agent list`: who works the desk.
AGENTS = ListSpec(
    noun="agents",
    columns=(
        Column("username", "Username", lambda a: a.username),
        Column("name", "Name", lambda a: a.name),
        Column("role", "Role", lambda a: a.role.value),
        Column("teams", "Teams", lambda a: ",".join(a.teams)),
        Column("os_user", "OS user", lambda a: a.os_user),
        Column("timezone", "Time zone", lambda a: a.timezone),
        Column("state", "State", _state),
        Column("email", "Email", lambda a: a.email, default=False),
        Column("id", "Id", lambda a: a.id, default=False),
    ),
    ref=lambda a: a.username,
    empty="no agents",
)


@agents_app.command("list")
@lists(AGENTS)
def agent_list(ctx: typer.Context, listing: Listing) -> None:
    """List agents with their role, teams, OS user and state."""
    from deskterm.services import directory

    state(ctx).actor()
    listing.show(directory.list_agents())


@agents_app.command("add")
def agent_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Agent name used in filters and --as")],
    name: Annotated[str, typer.Option("--name", help="Full name (default: the username)")] = "",
    email: Annotated[str, typer.Option("--email", help="Address")] = "",
    role: Role = None,
    os_user: OsUser = None,
    teams: Teams = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", help="Team slug (repeatable)")
    ] = None,
    timezone: Annotated[str, typer.Option("--tz", help="Time zone, e.g. Europe/Sarajevo")] = "UTC",
    as_json: Json = False,
) -> None:
    """Add an agent (admins only): `--os-user` is the login that will be them."""
    from deskterm.services import directory

    st = state(ctx)
    slugs = (*(_teams(teams) or ()), *(team or ()))
    agent = directory.create_agent(
        st.actor(),
        username,
        name or username,
        email=email,
        role=role or "agent",
        timezone=timezone,
        teams=slugs,
        os_user=os_user,
    )
    if as_json:
        print_json(agent)
    else:
        out.print(f"added agent {agent.username} ({agent.role.value})")


@agents_app.command("set")
def agent_set(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Agent to change")],
    name: Annotated[str | None, typer.Option("--name", help="Full name")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Address")] = None,
    role: Role = None,
    os_user: OsUser = None,
    teams: Teams = None,
    timezone: Annotated[str | None, typer.Option("--tz", help="Time zone")] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Let them work, or stop them")
    ] = None,
    available: Annotated[
        bool | None,
        typer.Option("--available/--away", help="Whether rules may assign them tickets"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Change an agent's role, teams, OS user or state (admins only)."""
    from deskterm.services import directory

    st = state(ctx)
    agent = directory.update_agent(
        st.actor(),
        username,
        name=name,
        email=email,
        role=role,
        timezone=timezone,
        teams=_teams(teams),
        os_user=os_user,
        enabled=enable,
        available=available,
    )
    if as_json:
        print_json(agent)
    else:
        out.print(f"agent {agent.username}: {agent.role.value}, {_state(agent)}")


@agents_app.command("disable")
def agent_disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Agent who leaves or must stop")],
    as_json: Json = False,
) -> None:
    """Disable an agent (admins only): they can do nothing; their open tickets show in
    the built-in view "Needs reassignment"."""
    from deskterm.services import directory
    from deskterm.services.finding import listing, views

    st = state(ctx)
    agent = directory.disable_agent(st.actor(), username)
    waiting = listing.count_tickets(views.NEEDS_REASSIGNMENT, actor=st.actor())
    if as_json:
        print_json({"agent": agent, "needs_reassignment": waiting})
    else:
        out.print(
            f"disabled agent {agent.username}; {waiting} open ticket(s) need reassignment "
            f'(view "Needs reassignment", or `deskterm ticket list --assignee disabled`)'
        )


@agents_app.command("bulk-limit")
def agent_bulk_limit(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Argument(help="Tickets a non-admin may change at once")
    ] = None,
    as_json: Json = False,
) -> None:
    """Show, or set (admins only), how many tickets agents may change in one bulk action."""
    from deskterm.services.trust import access

    st = state(ctx)
    value = access.bulk_limit() if limit is None else access.set_bulk_limit(st.actor(), limit)
    print_json({"bulk_limit": value}) if as_json else out.print(f"bulk limit: {value} tickets")
