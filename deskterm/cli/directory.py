"""`deskterm team|queue|canned ...`: the desk's places and saved replies (agents: agents.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.output import out, print_json

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]

teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
queues_app = typer.Typer(help="Queues.", no_args_is_help=True)
canned_app = typer.Typer(help="Canned replies.", no_args_is_help=True)


#: `team list`: teams and their members.
TEAMS = ListSpec(
    noun="teams",
    columns=(
        Column("slug", "Slug", lambda t: t.slug),
        Column("name", "Name", lambda t: t.name),
        Column("members", "Members", lambda t: ", ".join(t.members)),
        Column("id", "Id", lambda t: t.id, default=False),
    ),
    ref=lambda t: t.slug,
    empty="no teams",
)


@teams_app.command("list")
@lists(TEAMS)
def team_list(ctx: typer.Context, listing: Listing) -> None:
    """List teams and their members."""
    from deskterm.services import directory

    state(ctx).open()
    listing.show(directory.list_teams())


@teams_app.command("add")
def team_add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short name used in filters")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    as_json: Json = False,
) -> None:
    """Add a team (admins only); `deskterm agent set NAME --teams ...` puts agents in it."""
    from deskterm.services import directory

    team = directory.create_team(state(ctx).actor(), slug, name)
    print_json(team) if as_json else out.print(f"added team {team.slug}")


Outsiders = Annotated[
    str | None,
    typer.Option(
        "--outsiders", help="What agents outside the queue's team may do: read or hidden"
    ),
]


#: `queue list`: where tickets arrive.
QUEUES = ListSpec(
    noun="queues",
    columns=(
        Column("slug", "Slug", lambda q: q.slug),
        Column("name", "Name", lambda q: q.name),
        Column("address", "Address", lambda q: q.email),
        Column("team", "Team", lambda q: q.team),
        Column("outsiders", "Outsiders", lambda q: q.outsiders),
        Column("id", "Id", lambda q: q.id, default=False),
    ),
    ref=lambda q: q.slug,
    empty="no queues",
)


@queues_app.command("list")
@lists(QUEUES)
def queue_list(ctx: typer.Context, listing: Listing) -> None:
    """List queues."""
    from deskterm.services import directory

    state(ctx).open()
    listing.show(directory.list_queues())


@queues_app.command("add")
def queue_add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short name used in filters")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    email: Annotated[str | None, typer.Option("--email", help="Inbound address")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Default team")] = None,
    outsiders: Outsiders = None,
    as_json: Json = False,
) -> None:
    """Add a queue (admins only)."""
    from deskterm.services import directory

    st = state(ctx)
    queue = directory.create_queue(
        st.actor(), slug, name, email=email, team=team, outsiders=outsiders or "read"
    )
    print_json(queue) if as_json else out.print(f"added queue {queue.slug}")


@queues_app.command("set")
def queue_set(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Queue to change")],
    name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Team ('' for none)")] = None,
    outsiders: Outsiders = None,
    as_json: Json = False,
) -> None:
    """Change a queue's name, team or who outside the team sees it (admins only)."""
    from deskterm.services import directory

    queue = directory.update_queue(
        state(ctx).actor(), slug, name=name, team=team, outsiders=outsiders
    )
    if as_json:
        print_json(queue)
    else:
        out.print(f"queue {queue.slug}: team {queue.team or '-'}, outsiders {queue.outsiders}")


#: `canned list`: saved replies.
CANNED = ListSpec(
    noun="canned replies",
    columns=(
        Column("id", "Id", lambda c: c.id),
        Column("title", "Title", lambda c: c.title),
        Column("sets_status", "Sets status", lambda c: c.set_status.label if c.set_status
               else None),
        Column("adds_tags", "Adds tags", lambda c: ",".join(c.add_tags)),
        Column("body", "Body", lambda c: c.body, default=False, width=60),
    ),
    ref=lambda c: c.id,
    empty="no canned replies",
)


@canned_app.command("list")
@lists(CANNED)
def canned_list(
    ctx: typer.Context,
    listing: Listing,
    search: Annotated[str | None, typer.Argument(help="Fuzzy search in titles")] = None,
) -> None:
    """List canned replies."""
    from deskterm.services import canned

    state(ctx).open()
    listing.show(canned.list_canned(search))


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
