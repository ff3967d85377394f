"""`deskterm agent|team|queue|canned ...`: the desk's people, places and saved replies."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.output import out, print_json, print_table

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]

agents_app = typer.Typer(help="Agents.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
queues_app = typer.Typer(help="Queues.", no_args_is_help=True)
canned_app = typer.Typer(help="Canned replies.", no_args_is_help=True)


@agents_app.command("list")
def agent_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List agents."""
    from deskterm.services import directory

    state(ctx).open()
    agents = directory.list_agents()
    if as_json:
        print_json(agents)
        return
    print_table(
        (
            (
                a.username,
                a.name,
                a.role.value,
                a.timezone,
                ",".join(a.teams),
                "yes" if a.active else "no",
            )
            for a in agents
        ),
        ("Username", "Name", "Role", "Time zone", "Teams", "Available"),
    )


@agents_app.command("add")
def agent_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name")],
    name: Annotated[str, typer.Option("--name", help="Full name")],
    email: Annotated[str, typer.Option("--email", help="Address")] = "",
    role: Annotated[str, typer.Option("--role", help="agent or admin")] = "agent",
    timezone: Annotated[str, typer.Option("--tz", help="Time zone, e.g. Europe/Sarajevo")] = "UTC",
    team: Annotated[list[str] | None, typer.Option("--team", help="Team slug (repeatable)")] = None,
    as_json: Json = False,
) -> None:
    """Add an agent."""
    from deskterm.services import directory

    state(ctx).open()
    agent = directory.create_agent(
        username, name, email=email, role=role, timezone=timezone, teams=tuple(team or ())
    )
    print_json(agent) if as_json else out.print(f"added agent {agent.username}")


@teams_app.command("list")
def team_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List teams and their members."""
    from deskterm.services import directory

    state(ctx).open()
    teams = directory.list_teams()
    if as_json:
        print_json(teams)
        return
    print_table(
        ((t.slug, t.name, ", ".join(t.members)) for t in teams), ("Slug", "Name", "Members")
    )


@queues_app.command("list")
def queue_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List queues."""
    from deskterm.services import directory

    state(ctx).open()
    queues = directory.list_queues()
    if as_json:
        print_json(queues)
        return
    print_table(
        ((q.slug, q.name, q.email or "-", q.team or "-") for q in queues),
        ("Slug", "Name", "Address", "Team"),
    )


@queues_app.command("add")
def queue_add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short name used in filters")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    email: Annotated[str | None, typer.Option("--email", help="Inbound address")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Default team")] = None,
    as_json: Json = False,
) -> None:
    """Add a queue."""
    from deskterm.services import directory

    state(ctx).open()
    st = state(ctx)
    queue = directory.create_queue(st.actor(), slug, name, email=email, team=team)
    print_json(queue) if as_json else out.print(f"added queue {queue.slug}")


@canned_app.command("list")
def canned_list(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Argument(help="Fuzzy search in titles")] = None,
    as_json: Json = False,
) -> None:
    """List canned replies."""
    from deskterm.services import canned

    state(ctx).open()
    replies = canned.list_canned(search)
    if as_json:
        print_json(replies)
        return
    print_table(
        (
            (
                c.id,
                c.title,
                c.set_status.value if c.set_status else "-",
                ",".join(c.add_tags) or "-",
            )
            for c in replies
        ),
        ("Id", "Title", "Sets status", "Adds tags"),
    )


@canned_app.command("add")
def canned_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="Title")],
    body: Annotated[str, typer.Option("--body", help="Text with {requester.first_name} etc.")],
    set_status: Annotated[str | None, typer.Option("--set-status", help="Status to set")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag to add (repeatable)")] = None,
    as_json: Json = False,
) -> None:
    """Save a canned reply."""
    from deskterm.services import canned

    state(ctx).open()
    info = canned.save_canned(
        state(ctx).actor(), title, body, set_status=set_status, add_tags=tag or []
    )
    print_json(info) if as_json else out.print(f"saved canned reply {info.id}: {info.title}")


@canned_app.command("delete")
def canned_delete(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Id or title")],
    as_json: Json = False,
) -> None:
    """Delete a canned reply."""
    from deskterm.services import canned

    state(ctx).open()
    gone = canned.get_canned(key)
    canned.delete_canned(state(ctx).actor(), gone.id)
    print_json({"deleted": gone}) if as_json else out.print(f"deleted canned reply {gone.title}")
