"""`deskterm view list`: the saved views the console's sidebar shows you."""

from __future__ import annotations

import typer

from deskterm.cli.context import state
from deskterm.cli.lists import Column, Listing, ListSpec, lists

app = typer.Typer(help="Saved views (the console's sidebar).", no_args_is_help=True)


def _kind(view) -> str:
    if view.builtin:
        return "built-in"
    return "shared" if view.owner is None else "personal"


#: `view list`: built-in views first, then yours and the shared ones, in sidebar order.
VIEWS = ListSpec(
    noun="views",
    columns=(
        Column("name", "View", lambda v: v.name),
        Column("kind", "Kind", _kind),
        Column("query", "Filter", lambda v: v.query),
        Column("id", "Id", lambda v: v.id, default=False),
        Column("owner", "Owner", lambda v: v.owner, default=False),
    ),
    ref=lambda v: v.name,
    empty="no views",
)


@app.command("list")
@lists(VIEWS)
def view_list(ctx: typer.Context, listing: Listing) -> None:
    """The views your sidebar shows: built-in, then yours and the team's (use one with
    `deskterm ticket list -q "FILTER"`)."""
    from deskterm.services.finding import views

    listing.show(views.list_views(state(ctx).actor().name))
