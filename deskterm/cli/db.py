"""`deskterm db ...`: schema upgrades and index maintenance."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.output import out, print_json

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


@app.command("upgrade")
def upgrade(ctx: typer.Context, as_json: Json = False) -> None:
    """Bring the database schema up to this release's version."""
    from deskterm.services import maintenance

    result = maintenance.upgrade(state(ctx).db_path)
    if as_json:
        print_json(result)
    elif result["applied"]:
        out.print(f"upgraded schema v{result['from']} -> v{result['to']}")
    else:
        out.print(f"schema is up to date (v{result['from']})")


@app.command("reindex")
def reindex(ctx: typer.Context, as_json: Json = False) -> None:
    """Rebuild the full-text search index from tickets and threads."""
    from deskterm.services import maintenance

    rows = maintenance.reindex(state(ctx).actor())
    if as_json:
        print_json({"indexed_rows": rows})
    else:
        out.print(f"reindexed {rows} rows")


@app.command("info")
def info(ctx: typer.Context, as_json: Json = False) -> None:
    """Where the database is, its schema version and row counts."""
    from deskterm.services import maintenance

    state(ctx).open()
    result = maintenance.database_info()
    if as_json:
        print_json(result)
    else:
        for key, value in result.items():
            out.print(f"{key}: {value}")


@app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help="The desk to copy: a file or postgresql:// URL")],
    dest: Annotated[str, typer.Argument(help="An empty database: a file or postgresql:// URL")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be copied")
    ] = False,
    as_json: Json = False,
) -> None:
    """Copy a whole desk (every table, files, id sequences) to another database, verified."""
    from deskterm.services import transfer

    result = transfer.copy_desk(source, dest, dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    verb = "would copy" if dry_run else "copied"
    rows = sum(t["rows"] for t in result["tables"].values())
    out.print(
        f"{verb} {rows} rows in {len(result['tables'])} tables from {result['source']} "
        f"to {result['destination']}"
        + ("" if dry_run else f"; {result['files']} files; counts and checksums match")
    )
