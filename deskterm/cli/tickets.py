"""`deskterm ticket ...`: create, show, list and change single tickets."""

from __future__ import annotations

import inspect
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli import times
from deskterm.cli.context import state
from deskterm.cli.filters import with_filters
from deskterm.cli.inputs import read_stdin, read_text
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.options import (
    STATUS_HELP,
    IfVersion,
    Minutes,
    Offset,
    OldSetStatus,
    SetStatus,
    ids_argument,
)
from deskterm.cli.output import out, print_json, warn
from deskterm.cli.times import Utc
from deskterm.domain import BadInput, TicketDetail
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


#: `ticket list` and `search`: the columns `--columns` can pick from.
TICKETS = ListSpec(
    noun="tickets",
    columns=(
        Column("ref", "Ref", lambda r: r.ref),
        Column("status", "Status", lambda r: r.status.label),
        Column("priority", "Priority", lambda r: r.priority.value),
        Column("subject", "Subject", lambda r: r.subject, width=60),
        Column("requester", "Requester", lambda r: r.requester),
        Column("queue", "Queue", lambda r: r.queue),
        Column("assignee", "Assignee", lambda r: r.assignee),
        Column("updated", "Updated", lambda r: r.updated_at),
        Column("id", "Id", lambda r: r.id, default=False),
        Column("email", "Email", lambda r: r.requester_email, default=False),
        Column("team", "Team", lambda r: r.team, default=False),
        Column("tags", "Tags", lambda r: ", ".join(r.tags), default=False),
        Column("created", "Created", lambda r: r.created_at, default=False),
        Column("reply_due", "Reply due", lambda r: r.first_response_due, default=False),
        Column("due", "Due", lambda r: r.resolution_due, default=False),
        Column("breached", "Breached", lambda r: "yes" if r.sla_breached else "no",
               default=False),
        Column("version", "Version", lambda r: r.version, default=False),
    ),
    ref=lambda r: r.ref,
    default_limit=50,
    empty="no tickets match",
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
def show(ctx: typer.Context, ref: Ref, as_json: Json = False, utc: Utc = False) -> None:
    """Show a ticket with its whole thread (internal notes marked)."""
    from deskterm.services import tickets

    show_detail(tickets.read_ticket(state(ctx).actor(), _ref(ref)), as_json)


def _event_value(event, value: str | None) -> str | datetime | None:
    """A status as people read it (`on hold`), an instant as every time is printed (in
    your zone; ISO in CSV); anything else as recorded."""
    moment = event.instant(value)
    if moment is not None:
        return moment
    return value.replace("_", " ") if value and event.field == "status" else value


def event_columns(*, ticket: bool) -> tuple[Column, ...]:
    """The columns of an event list; `ticket` shows the ticket column by default."""
    return (
        Column("when", "When", lambda e: e.at),
        Column("ticket", "Ticket", lambda e: f"#{e.ticket_id}" if e.ticket_id else None,
               default=ticket),
        Column("who", "Who", lambda e: e.who),
        Column("action", "Action", lambda e: e.action),
        Column("field", "What", lambda e: e.field),
        Column("before", "Before", lambda e: _event_value(e, e.before), width=60),
        Column("after", "After", lambda e: _event_value(e, e.after), width=60),
        Column("id", "Id", lambda e: e.id, default=False),
    )


#: `ticket events`: who changed what on one ticket, when (oldest first).
EVENTS = ListSpec(
    noun="events", columns=event_columns(ticket=False), ref=lambda e: e.id, empty="no events"
)


@app.command("events")
@lists(EVENTS)
def events(ctx: typer.Context, ref: Ref, listing: Listing) -> None:
    """Show a ticket's audit trail: who changed what, when (oldest first)."""
    from deskterm.services import tickets
    from deskterm.services.trust import audit

    actor = state(ctx).actor()
    ticket_id = tickets.read_ticket(actor, _ref(ref)).id
    listing.show(audit.ticket_trail(actor, ticket_id))


@app.command("list")
@with_filters
@lists(TICKETS)
def list_(
    ctx: typer.Context,
    filters: str,
    listing: Listing,
    offset: Offset = 0,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Start after this ticket (the last ref of the previous page)"),
    ] = None,
) -> None:
    """List tickets matching the filter options (newest update first).

    Page through a long list with `--after REF` (the last ref shown): each page is an index
    seek, as fast on page 1,000 as on the first. A capped list says so on stderr
    ("50 of 89 shown"); --ids prints every match.
    """
    from deskterm.services.finding import listing as tickets_listing
    from deskterm.services.values import resolve_ref

    st = state(ctx)
    actor = st.actor()
    query = tickets_listing.parse_for(filters, actor)
    cursor = tickets_listing.cursor_at(resolve_ref(after), query.sort) if after else None
    rows = tickets_listing.list_tickets(
        query, actor=actor, limit=listing.fetch, offset=offset, after=cursor
    )
    listing.show(
        rows, total=lambda: tickets_listing.count_tickets(query, actor=actor), offset=offset
    )


def _change(ctx: typer.Context, as_json: bool, message: str, action) -> None:
    st = state(ctx)
    ticket = action(st.actor())
    if as_json:
        print_json(ticket)
    else:
        out.print(message.format(ref=ticket.ref, status=ticket.status.label))


@app.command("reply")
def reply(
    ctx: typer.Context,
    ref: Ref,
    text: Annotated[str | None, typer.Argument(help="Reply text (- reads stdin)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the reply from a file")] = None,
    canned: Annotated[
        str | None, typer.Option("--canned", help="Reply with this canned reply")
    ] = None,
    set_status: SetStatus = None,
    old_status: OldSetStatus = None,
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
            set_status=set_status or old_status,
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


def _set_one_field(name: str, argument: str, value_help: str, doc: str, done: str,
                   setter: str) -> None:
    """Register `ticket NAME REF ARGUMENT`: one field of a ticket set to one value by
    `services.tickets.<setter>` (status, priority, move), with `--if-version` and `--json`."""

    def command(ctx: typer.Context, ref: str, if_version: int | None = None,
                as_json: bool = False, **value: str) -> None:
        from deskterm.services import tickets

        ticket_id = _ref(ref)
        set_field = getattr(tickets, setter)
        (new_value,) = value.values()
        _change(ctx, as_json, done, lambda actor: set_field(
            actor, ticket_id, new_value, expected_version=if_version))

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    command.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("ctx", keyword, annotation=typer.Context),
        inspect.Parameter("ref", keyword, annotation=Ref),
        inspect.Parameter(argument, keyword,
                          annotation=Annotated[str, typer.Argument(help=value_help)]),
        inspect.Parameter("if_version", keyword, default=None, annotation=Version),
        inspect.Parameter("as_json", keyword, default=False, annotation=Json),
    ])
    command.__annotations__ = {}
    command.__doc__ = doc
    command.__name__ = command.__qualname__ = name
    app.command(name)(command)


_set_one_field("status", "value", STATUS_HELP, "Change a ticket's status.",
               "{ref} is now {status}", "set_status")
_set_one_field("priority", "value", "low, normal, high, urgent", "Change a ticket's priority.",
               "priority of {ref} changed", "set_priority")
_set_one_field("move", "queue", "Queue slug", "Move a ticket to another queue.",
               "moved {ref}", "set_queue")


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
    if warning and not add_followers:  # about the merge that happened, not a refused one
        warn(warning)


@app.command("snooze")
def snooze(
    ctx: typer.Context,
    ref: Ref,
    until: Annotated[
        str, typer.Argument(help="'tomorrow 9:00', 'in 3 days', 2026-12-01 (in your time zone)")
    ],
    if_version: Version = None,
    as_json: Json = False,
    utc: Utc = False,
) -> None:
    """Postpone a ticket until a time; it reopens then."""
    from deskterm.services import tickets
    from deskterm.services.trust import identity
    from deskterm.services.when import parse_when

    actor = state(ctx).actor()
    ticket_id, when = _ref(ref), parse_when(until, zone=identity.zone_of(actor))
    _change(
        ctx,
        as_json,
        f"{{ref}} snoozed until {times.when(when)}",
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
    time_spent: Minutes,
    note_text: Annotated[str, typer.Option("--note", help="What the time was for")] = "",
    if_version: Version = None,
    as_json: Json = False,
) -> None:
    """Log time spent on a ticket."""
    from deskterm.services import tickets
    from deskterm.services.values import parse_minutes

    ticket_id = _ref(ref)
    minutes = parse_minutes(time_spent)
    _change(
        ctx,
        as_json,
        f"logged {minutes} min on {{ref}}",
        lambda actor: tickets.log_time(
            actor, ticket_id, minutes, note_text, expected_version=if_version
        ),
    )
