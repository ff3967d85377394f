"""`deskterm bulk ...`: change many tickets at once, all or nothing."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.filters import refs_from, with_filters
from deskterm.cli.output import confirm_or_refuse, out, print_json, print_table
from deskterm.domain import BadInput, BulkResult

app = typer.Typer(
    help="Change many tickets at once (one transaction; --dry-run first).", no_args_is_help=True
)

Refs = Annotated[list[str] | None, typer.Argument(help="Ticket refs, or - to read refs from stdin")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _run(
    ctx: typer.Context,
    verb: str,
    filters: str,
    refs,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    **changes,
) -> None:
    from deskterm.services.finding import bulk, listing

    st = state(ctx)
    st.open()
    ids = refs_from(refs)
    if not filters.strip() and ids is None:
        raise BadInput(
            "give a filter (e.g. --queue billing --older-than 30d) or refs; "
            "refusing to act on every ticket"
        )
    preview = bulk.bulk_set(st.actor(), filters, me=st.agent_name, ids=ids, dry_run=True, **changes)
    if dry_run:
        _report(preview, verb, as_json, listing)
        return
    if preview.matched:
        confirm_or_refuse(f"{verb} {preview.matched} ticket(s)?", yes=yes)
    result = bulk.bulk_set(st.actor(), filters, me=st.agent_name, ids=ids, **changes)
    _report(result, verb, as_json, listing)


def _report(result: BulkResult, verb: str, as_json: bool, listing) -> None:
    if as_json:
        print_json(result)
        return
    if result.dry_run:
        out.print(f"would {verb.lower()} {result.matched} ticket(s) (dry run, nothing changed)")
        first = result.ticket_ids[:10]
        if first:
            rows = listing.list_tickets(f"id:{','.join(map(str, first))}", limit=10)
            print_table(
                (
                    (r.ref, r.status.value, r.queue, r.subject[:60], f"{r.updated_at:%Y-%m-%d}")
                    for r in rows
                ),
                ("Ref", "Status", "Queue", "Subject", "Updated"),
            )
            if result.matched > len(first):
                out.print(f"… and {result.matched - len(first)} more")
    else:
        out.print(f"{verb.lower()}: {result.changed} of {result.matched} ticket(s) changed")


@app.command("close")
@with_filters
def close(
    ctx: typer.Context,
    filters: str,
    refs: Refs = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Close every matching ticket."""
    _run(ctx, "Close", filters, refs, dry_run, yes, as_json, status="closed")


@app.command("set")
@with_filters
def set_(
    ctx: typer.Context,
    filters: str,
    refs: Refs = None,
    to_status: Annotated[str | None, typer.Option("--to-status", help="Set this status")] = None,
    to_priority: Annotated[
        str | None, typer.Option("--to-priority", help="Set this priority")
    ] = None,
    to_queue: Annotated[str | None, typer.Option("--to-queue", help="Move to this queue")] = None,
    assign: Annotated[str | None, typer.Option("--assign", help="Assign to this agent")] = None,
    unassign: Annotated[bool, typer.Option("--unassign", help="Remove the assignee")] = False,
    to_team: Annotated[str | None, typer.Option("--to-team", help="Set this team")] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag")] = None,
    remove_tag: Annotated[
        list[str] | None, typer.Option("--remove-tag", help="Remove a tag")
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Set status, priority, queue, assignee, team or tags on every matching ticket."""
    if not any((to_status, to_priority, to_queue, assign, unassign, to_team, add_tag, remove_tag)):
        raise BadInput(
            "nothing to set: use --to-status, --to-priority, --to-queue, --assign, "
            "--unassign, --to-team, --add-tag or --remove-tag"
        )
    _run(
        ctx,
        "Change",
        filters,
        refs,
        dry_run,
        yes,
        as_json,
        status=to_status,
        priority=to_priority,
        queue=to_queue,
        assignee=assign,
        unassign=unassign,
        team=to_team,
        tags_add=add_tag or [],
        tags_remove=remove_tag or [],
    )
