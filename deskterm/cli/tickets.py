"""`deskterm ticket ...`: create, show, list and change single tickets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.filters import with_filters
from deskterm.cli.inputs import read_stdin, read_text
from deskterm.cli.options import IfVersion, Minutes, Offset, ids_argument
from deskterm.cli.output import notice, out, print_json, print_table, warn
from deskterm.domain import BadInput, TicketDetail, TicketRow
from deskterm.services.values import MAX_ID

app = typer.Typer(help="Create, show, list and change tickets.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Ticket reference: #1042 or 1042")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Version = IfVersion
Attach = Annotated[list[Path] | None, typer.Option("--attach", help="Attach a file (repeatable)")]


def _body(text: str | None, file: Path | None) -> str:
    if file is not None:
        return read_text(file)
    if text == "-":
        return read_stdin()
    if text is None:
        raise BadInput("give the text as an argument, or --file PATH, or - for standard input")
    return text


def _files(paths: list[Path] | None):
    from deskterm.services.attachments import from_path

    return [from_path(p) for p in paths or []]


def _ref(value: str) -> int:
    from deskterm.services.tickets import resolve_ref

    return resolve_ref(value)


def show_detail(ticket: TicketDetail, as_json: bool) -> None:
    """Print a ticket (header and thread), or its JSON."""
    if as_json:
        print_json(ticket)
        return
    from deskterm.cli.render import render_ticket

    render_ticket(ticket)


def show_rows(rows: list[TicketRow], as_json: bool, ids_only: bool) -> None:
    if ids_only:
        for row in rows:
            sys.stdout.write(f"{row.ref}\n")
    elif as_json:
        print_json(rows)
    elif not rows:
        out.print("no tickets match")
    else:
        print_table(
            (
                (
                    r.ref,
                    r.status.value,
                    r.priority.value,
                    r.subject[:60],
                    r.requester,
                    r.queue,
                    r.assignee or "-",
                    f"{r.updated_at:%Y-%m-%d %H:%M}",
                )
                for r in rows
            ),
            ("Ref", "Status", "Priority", "Subject", "Requester", "Queue", "Assignee", "Updated"),
        )


@app.command("new")
def new(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", help="Ticket subject")],
    requester: Annotated[str, typer.Option("--requester", help="Requester's email address")],
    body: Annotated[str | None, typer.Option("--body", help="Description (- reads stdin)")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Read the description from a file")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Requester's name")] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="Queue slug")] = None,
    priority: Annotated[
        str, typer.Option("--priority", help="low, normal, high, urgent")
    ] = "normal",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable)")] = None,
    cc: Annotated[
        list[str] | None, typer.Option("--cc", help="Follower address (repeatable)")
    ] = None,
    channel: Annotated[str, typer.Option("--channel", help="agent, phone, web or email")] = "agent",
    attach: Attach = None,
    as_json: Json = False,
) -> None:
    """Open a ticket for a requester."""
    from deskterm.services import tickets

    st = state(ctx)
    ticket = tickets.create_ticket(
        st.actor(),
        subject=subject,
        body=_body(body if body is not None else "", body_file),
        requester_email=requester,
        requester_name=name,
        queue=queue,
        priority=priority,
        channel=channel,
        tags=tag or [],
        followers=cc or [],
        attachments=_files(attach),
    )
    if as_json:
        print_json(ticket)
    else:
        out.print(f"created {ticket.ref}: {ticket.subject}")


@app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: Json = False) -> None:
    """Show a ticket with its whole thread (internal notes marked)."""
    from deskterm.services import tickets

    show_detail(tickets.read_ticket(state(ctx).actor(), _ref(ref)), as_json)


@app.command("events")
def events(ctx: typer.Context, ref: Ref, as_json: Json = False) -> None:
    """Show a ticket's audit trail: who changed what, when."""
    from deskterm.services import tickets
    from deskterm.services.trust import audit

    actor = state(ctx).actor()
    ticket_id = tickets.read_ticket(actor, _ref(ref)).id
    records = audit.ticket_trail(actor, ticket_id)
    if as_json:
        print_json(records)
        return
    print_table(
        (
            (f"{e.at:%Y-%m-%d %H:%M:%S}", e.who, e.action, e.before or "", e.after or "")
            for e in records
        ),
        ("When (UTC)", "Actor", "Action", "Before", "After"),
    )


@app.command("list")
@with_filters
def list_(
    ctx: typer.Context,
    filters: str,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help="At most this many rows (0: all; default 50, all with --ids)",
            min=0, max=MAX_ID,
        ),
    ] = None,
    offset: Offset = 0,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Start after this ticket (the last ref of the previous page)"),
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Every match (as --limit 0)")] = False,
    ids: Annotated[bool, typer.Option("--ids", help="Print only refs, one per line")] = False,
    as_json: Json = False,
) -> None:
    """List tickets matching the filter options (newest update first).

    Page through a long list with `--after REF` (the last ref shown): each page is an index
    seek, as fast on page 1,000 as on the first. A capped list says so on stderr
    ("50 of 89 shown"); --ids prints every match.
    """
    from deskterm.services.finding import listing
    from deskterm.services.finding.query import parse_query
    from deskterm.services.values import resolve_ref

    st = state(ctx)
    st.open()
    query = parse_query(filters, st.agent_name)
    cursor = listing.cursor_at(resolve_ref(after), query.sort) if after else None
    cap = 0 if all_rows else (limit if limit is not None else (0 if ids else 50))
    rows = listing.list_tickets(
        query, actor=st.actor(), limit=cap or -1, offset=offset, after=cursor
    )
    show_rows(rows, as_json, ids)
    if cap and len(rows) == cap:
        total = listing.count_tickets(query, actor=st.actor())
        if total > offset + len(rows):
            notice(f"{len(rows)} of {total} shown (--limit 0 for all)")


def _change(ctx: typer.Context, as_json: bool, message: str, action) -> None:
    st = state(ctx)
    ticket = action(st.actor())
    if as_json:
        print_json(ticket)
    else:
        out.print(message.format(ref=ticket.ref, status=ticket.status.value))


@app.command("reply")
def reply(
    ctx: typer.Context,
    ref: Ref,
    text: Annotated[str | None, typer.Argument(help="Reply text (- reads stdin)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the reply from a file")] = None,
    canned: Annotated[
        str | None, typer.Option("--canned", help="Reply with this canned reply")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="Also set this status")] = None,
    attach: Attach = None,
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Send a public reply to the requester and followers."""
    from deskterm.services import canned as canned_service
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    if canned:
        _change(
            ctx,
            as_json,
            "replied on {ref} ({status})",
            lambda actor: canned_service.send_canned(
                actor, ticket_id, canned, expected_version=if_version
            ),
        )
        return
    body = _body(text, file)
    _change(
        ctx,
        as_json,
        "replied on {ref} ({status})",
        lambda actor: tickets.reply(
            actor,
            ticket_id,
            body,
            attachments=_files(attach),
            set_status=status,
            expected_version=if_version,
        ),
    )


@app.command("note")
def note(
    ctx: typer.Context,
    ref: Ref,
    text: Annotated[
        str | None, typer.Argument(help="Note text (- reads stdin); @name mentions")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the note from a file")] = None,
    attach: Attach = None,
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Add an internal note (never sent to the customer)."""
    from deskterm.services import tickets

    ticket_id, body = _ref(ref), _body(text, file)
    _change(
        ctx,
        as_json,
        "noted on {ref}",
        lambda actor: tickets.add_note(
            actor, ticket_id, body, attachments=_files(attach), expected_version=if_version
        ),
    )


@app.command("assign")
def assign(
    ctx: typer.Context,
    ref: Ref,
    agent: Annotated[str, typer.Argument(help="Agent username, 'me' or 'none'")],
    team: Annotated[str | None, typer.Option("--team", help="Also set the team")] = None,
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Assign a ticket to an agent (and team)."""
    from deskterm.services import tickets

    st = state(ctx)
    ticket_id = _ref(ref)
    who = {"none": None, "me": st.agent_name}.get(agent, agent)
    _change(
        ctx,
        as_json,
        "assigned {ref}",
        lambda actor: tickets.assign(actor, ticket_id, who, team=team, expected_version=if_version),
    )


@app.command("status")
def status(
    ctx: typer.Context,
    ref: Ref,
    value: Annotated[str, typer.Argument(help="new, open, pending, on_hold, resolved, closed")],
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Change a ticket's status."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    _change(
        ctx,
        as_json,
        "{ref} is now {status}",
        lambda actor: tickets.set_status(actor, ticket_id, value, expected_version=if_version),
    )


@app.command("priority")
def priority(
    ctx: typer.Context,
    ref: Ref,
    value: Annotated[str, typer.Argument(help="low, normal, high, urgent")],
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Change a ticket's priority."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    _change(
        ctx,
        as_json,
        "priority of {ref} changed",
        lambda actor: tickets.set_priority(actor, ticket_id, value, expected_version=if_version),
    )


@app.command("move")
def move(
    ctx: typer.Context,
    ref: Ref,
    queue: Annotated[str, typer.Argument(help="Queue slug")],
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Move a ticket to another queue."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    _change(
        ctx,
        as_json,
        "moved {ref}",
        lambda actor: tickets.set_queue(actor, ticket_id, queue, expected_version=if_version),
    )


@app.command("tag")
def tag(
    ctx: typer.Context,
    ref: Ref,
    tags: Annotated[list[str], typer.Argument(help="Tags to add")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove the tags instead")] = False,
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Add (or remove) tags."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    change = tickets.remove_tags if remove else tickets.add_tags
    _change(
        ctx,
        as_json,
        "tags of {ref} updated",
        lambda actor: change(actor, ticket_id, tags, expected_version=if_version),
    )


@app.command("follow")
def follow(
    ctx: typer.Context,
    ref: Ref,
    email: Annotated[str, typer.Argument(help="Address to CC on public replies")],
    remove: Annotated[bool, typer.Option("--remove", help="Stop CC'ing this address")] = False,
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Add (or remove) a follower."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    change = tickets.remove_follower if remove else tickets.add_follower
    _change(
        ctx,
        as_json,
        "followers of {ref} updated",
        lambda actor: change(actor, ticket_id, email, expected_version=if_version),
    )


@app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The duplicate ticket (will be closed)")],
    target: Annotated[str, typer.Argument(help="The ticket that keeps the thread")],
    add_followers: Annotated[bool, typer.Option(
        "--add-followers", help="Also CC the source's requester and followers when the "
                                "tickets have different requesters")] = False,
    if_version: Annotated[int | None, typer.Option(
        "--if-version", help="Refuse if the duplicate (SOURCE) changed since this version",
        min=1, max=MAX_ID)] = None,
    if_target_version: Annotated[int | None, typer.Option(
        "--if-target-version", help="Refuse if TARGET changed since this version",
        min=1, max=MAX_ID)] = None,
    as_json: Json = False,
) -> None:
    """Merge a duplicate ticket into another (warns when the requesters differ)."""
    from deskterm.services import tickets

    source_id, target_id = _ref(source), _ref(target)
    state(ctx).open()
    warning = tickets.merge_warning(source_id, target_id)
    if warning and not add_followers:
        warn(warning)
    _change(
        ctx,
        as_json,
        f"merged #{source_id} into {{ref}}",
        lambda actor: tickets.merge(
            actor,
            source_id,
            target_id,
            add_followers=add_followers,
            expected_version=if_version,
            expected_target_version=if_target_version,
        ),
    )


@app.command("snooze")
def snooze(
    ctx: typer.Context,
    ref: Ref,
    until: Annotated[str, typer.Argument(help="'tomorrow 9:00', 'in 3 days', 2026-12-01")],
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Postpone a ticket until a time; it reopens then."""
    from deskterm.services import tickets
    from deskterm.services.when import parse_when

    ticket_id, when = _ref(ref), parse_when(until)
    _change(
        ctx,
        as_json,
        f"{{ref}} snoozed until {when:%Y-%m-%d %H:%M} UTC",
        lambda actor: tickets.snooze(actor, ticket_id, when, expected_version=if_version),
    )


@app.command("attach")
def attach_files(
    ctx: typer.Context,
    ref: Ref,
    files: Annotated[list[Path], typer.Argument(help="Files to attach")],
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Attach files to a ticket (as an internal note)."""
    from deskterm.services import tickets

    ticket_id, loaded = _ref(ref), _files(files)
    _change(
        ctx,
        as_json,
        "attached to {ref}",
        lambda actor: tickets.attach(actor, ticket_id, loaded, expected_version=if_version),
    )


@app.command("save-attachment")
def save_attachment(
    ctx: typer.Context,
    attachment_id: Annotated[int, ids_argument("Attachment id (see `ticket show`)")],
    destination: Annotated[Path, typer.Argument(help="File or folder to write to")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file or symlink")]
    = False,
    as_json: Json = False,
) -> None:
    """Save an attachment to a file (never over an existing file or symlink without --force)."""
    from deskterm.services import attachments

    saved = attachments.save_to(state(ctx).actor(), attachment_id, destination, force=force)
    print_json({"attachment": attachment_id, "path": str(saved)}) if as_json else out.print(
        f"saved {saved}"
    )


@app.command("time")
def log_time(
    ctx: typer.Context,
    ref: Ref,
    minutes: Minutes,
    note_text: Annotated[str, typer.Option("--note", help="What the time was for")] = "",
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Log time spent on a ticket."""
    from deskterm.services import tickets

    ticket_id = _ref(ref)
    _change(
        ctx,
        as_json,
        f"logged {minutes} min on {{ref}}",
        lambda actor: tickets.log_time(
            actor, ticket_id, minutes, note_text, expected_version=if_version
        ),
    )
