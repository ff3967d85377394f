"""`deskterm bulk ...`: change many tickets at once, all or nothing."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import times
from deskterm.cli.context import state
from deskterm.cli.filters import refs_from, with_filters
from deskterm.cli.output import confirm_or_refuse, out, plain, print_json, print_table
from deskterm.domain import BadInput, BulkResult
from deskterm.services.values import STATUS_NAMES

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
    preview = bulk.bulk_set(
        st.actor(), filters, me=st.agent_name, ids=ids, dry_run=True, explain=dry_run, **changes
    )
    if dry_run:
        _report(preview, verb, as_json, listing)
        return
    if preview.matched:
        confirm_or_refuse(f"{verb} {preview.matched} ticket(s)?", yes=yes)
    result = bulk.bulk_set(st.actor(), filters, me=st.agent_name, ids=ids, **changes)
    _report(result, verb, as_json, listing)


#: Skipped tickets named on the summary line; more go in a table below it.
INLINE_SKIPS = 10


def _report(result: BulkResult, verb: str, as_json: bool, listing) -> None:
    if as_json:
        print_json(plain(result) | {"skipped": [
            {"ticket_id": s.ticket_id, "ref": s.ref, "reason": s.reason} for s in result.skipped
        ]})
        return
    from deskterm.services.finding import bulk_skips

    skipped = result.skipped
    why = "; " + bulk_skips.named(skipped) if skipped else ""
    if len(skipped) > INLINE_SKIPS:
        why = f"; {len(skipped)} skipped:"
    if result.dry_run:
        would = result.matched - sum(1 for s in skipped if s.ticket_id in result.ticket_ids)
        count = f"{would} of {result.matched + _outside(result)}" if skipped else str(would)
        out.print(f"would {verb.lower()} {count} ticket(s) (dry run, nothing changed){why}")
    else:
        out.print(
            f"{verb.lower()}: {result.changed} of {result.changed + len(skipped)} ticket(s) "
            f"changed{why}"
        )
    if len(skipped) > INLINE_SKIPS:
        print_table(((s.ref, s.reason) for s in skipped), ("Skipped", "Why"))
    if result.dry_run:
        _preview(result, listing)


def _outside(result: BulkResult) -> int:
    """Refs given that the filter does not reach (closed, missing, not matched)."""
    return sum(1 for s in result.skipped if s.ticket_id not in result.ticket_ids)


def _preview(result: BulkResult, listing) -> None:
    first = result.ticket_ids[:10]
    if not first:
        return
    rows = listing.list_tickets(f"id:{','.join(map(str, first))}", limit=10)
    print_table(
        (
            (r.ref, r.status.label, r.queue, r.subject[:60], times.when(r.updated_at))
            for r in rows
        ),
        ("Ref", "Status", "Queue", "Subject", "Updated"),
    )
    if result.matched > len(first):
        out.print(f"… and {result.matched - len(first)} more")


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
    set_status: Annotated[
        str | None, typer.Option("--set-status", help=f"Set this status: {STATUS_NAMES}")
    ] = None,
    set_priority: Annotated[
        str | None, typer.Option("--set-priority", help="Set this priority")
    ] = None,
    set_queue: Annotated[str | None, typer.Option("--set-queue", help="Move to this queue")] = None,
    assign: Annotated[str | None, typer.Option("--assign", help="Assign to this agent")] = None,
    unassign: Annotated[bool, typer.Option("--unassign", help="Remove the assignee")] = False,
    set_team: Annotated[str | None, typer.Option("--set-team", help="Set this team")] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag")] = None,
    remove_tag: Annotated[
        list[str] | None, typer.Option("--remove-tag", help="Remove a tag")
    ] = None,
    # The names before --set-*: still accepted, no longer shown.
    to_status: Annotated[str | None, typer.Option("--to-status", hidden=True)] = None,
    to_priority: Annotated[str | None, typer.Option("--to-priority", hidden=True)] = None,
    to_queue: Annotated[str | None, typer.Option("--to-queue", hidden=True)] = None,
    to_team: Annotated[str | None, typer.Option("--to-team", hidden=True)] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Set status, priority, queue, assignee, team or tags on every matching ticket."""
    status, priority = set_status or to_status, set_priority or to_priority
    queue, team = set_queue or to_queue, set_team or to_team
    if not any((status, priority, queue, assign, unassign, team, add_tag, remove_tag)):
        raise BadInput(
            "nothing to set: use --set-status, --set-priority, --set-queue, --assign, "
            "--unassign, --set-team, --add-tag or --remove-tag"
        )
    _run(
        ctx,
        "Change",
        filters,
        refs,
        dry_run,
        yes,
        as_json,
        status=status,
        priority=priority,
        queue=queue,
        assignee=assign,
        unassign=unassign,
        team=team,
        tags_add=add_tag or [],
        tags_remove=remove_tag or [],
    )
