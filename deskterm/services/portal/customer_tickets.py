"""Tickets as customers use them in the portal: open one, list mine, read, reply, resolve.

Every function takes the `CustomerScope` the request acts for and asks
`customer_access.check` first; what comes back is the customer's read model (public
entries only). Tickets opened here are channel `web` and go through `tickets.create_ticket`,
so SLA, rules and notifications treat them exactly like mail.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from peewee import DateTimeField, fn

from deskterm import clock
from deskterm.domain import (
    CustomerScope,
    CustomerTicket,
    CustomerTicketPage,
    Delivery,
    EntryKind,
    FormInvalid,
    NewAttachment,
    NotFound,
    Priority,
    PublicAttachment,
    PublicEntry,
    Status,
)
from deskterm.services import directory, tickets
from deskterm.services.portal import customer_access
from deskterm.services.portal.portal_settings import PortalSettings
from deskterm.services.trust import audit
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Attachment, Contact, Entry, OutboxMessage, Queue, Ticket

LIMITS = {"subject": 200, "text": 20_000, "name": 200, "phone": 40, "contract_no": 64,
          "custom": 500, "email": 254}
CLOSED_STATES = (Status.RESOLVED.value, Status.CLOSED.value)
SORTS = {"updated": Ticket.updated_at, "created": Ticket.created_at, "ref": Ticket.id,
         "subject": Ticket.subject, "status": Ticket.status}
SEARCH_MAX = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REF = re.compile(r"^#?\s*(\d{1,12})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class NewTicketForm:
    """What a customer typed into the new-ticket form (strings as sent)."""

    queue: str = ""
    subject: str = ""
    text: str = ""
    email: str = ""
    name: str = ""
    phone: str = ""
    contract_no: str = ""
    priority: str = "normal"
    sms: bool = False
    custom: dict[str, str] = field(default_factory=dict)


def clean_text(value: str) -> str:
    """Text as data: control characters (NUL and friends) removed, newlines kept."""
    return _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()


def parse_ref(ref: str) -> int:
    """A ticket number as typed (`12`, `#12`); NotFound for anything else."""
    match = _REF.match((ref or "").strip())
    if not match:
        raise NotFound(customer_access.NOT_FOUND)
    return int(match.group(1))


def check_files(files: Sequence[NewAttachment], settings: PortalSettings) -> str | None:
    """The error code for uploads over the desk's limits, or None."""
    if len(files) > settings.max_files:
        return "too_many_files"
    for item in files:
        if len(item.data) > settings.max_upload_bytes:
            return "file_too_large"
        suffix = "." + item.filename.rsplit(".", 1)[-1].lower() if "." in item.filename else ""
        if suffix not in settings.upload_types:
            return "file_type"
    return None


def upload(filename: str, data: bytes) -> NewAttachment:
    """A NewAttachment from an upload (the content type from the name, never the browser)."""
    from deskterm.services.attachments import safe_filename

    name = safe_filename(clean_text(filename))[:200]
    return NewAttachment(name, mimetypes.guess_type(name)[0] or "application/octet-stream", data)


def _validate(form: NewTicketForm, scope: CustomerScope | None, settings: PortalSettings,
              files: Sequence[NewAttachment]) -> tuple[dict[str, str], dict[str, str]]:
    errors: dict[str, str] = {}
    values = {
        "subject": clean_text(form.subject), "text": clean_text(form.text),
        "name": clean_text(form.name), "phone": clean_text(form.phone),
        "contract_no": clean_text(form.contract_no), "email": clean_text(form.email),
    }
    queue = Queue.get_or_none(Queue.slug == (form.queue or "")[:64])
    if queue is None:
        errors["queue"] = "required" if not form.queue else "invalid_choice"
        queue_form = settings.form_for("")
    else:
        queue_form = settings.form_for(queue.slug)
    for name in ("subject", "text"):
        if not values[name]:
            errors[name] = "required"
    if scope is None:
        try:
            values["email"] = directory.normalise_email(values["email"])
        except Exception:
            errors["email"] = "required" if not values["email"] else "invalid_email"
    for name in ("name", "phone", "contract_no"):
        if not queue_form.shows(name):
            values[name] = ""
        elif queue_form.requires(name) and not values[name]:
            errors[name] = "required"
    for custom in queue_form.custom:
        text = clean_text(form.custom.get(custom.name, ""))
        if queue_form.shows(custom.name):
            values[f"custom.{custom.name}"] = text
            if queue_form.requires(custom.name) and not text:
                errors[f"custom.{custom.name}"] = "required"
            elif len(text) > LIMITS["custom"]:
                errors[f"custom.{custom.name}"] = "too_long"
    for name, limit in LIMITS.items():
        if name in values and len(values[name]) > limit and name not in errors:
            errors[name] = "too_long"
    if values["phone"] and "phone" not in errors and not directory.is_phone(values["phone"]):
        errors["phone"] = "invalid_phone"
    if form.sms and not values["phone"] and "phone" not in errors:
        errors["phone"] = "phone_for_sms"
    try:
        if Priority(form.priority) not in settings.priorities:
            raise ValueError
    except ValueError:
        errors["priority"] = "invalid_choice"
    file_error = check_files(files, settings)
    if file_error:
        errors["attachments"] = file_error
    return errors, values


@retry_when_busy
def open_ticket(scope: CustomerScope | None, form: NewTicketForm,
                files: Sequence[NewAttachment], settings: PortalSettings,
                language: str | None = None) -> tuple[int, CustomerScope]:
    """Open a `web` ticket from the form; return its id and a scope that may see it (the
    caller's, or for an anonymous visitor a scope of that one ticket, for a tracking link).

    FormInvalid maps each bad field to an error code; nothing is written then. A customer
    whose language the desk does not know yet gets mail in `language` (the page's).
    """
    errors, values = _validate(form, scope, settings, files)
    if errors:
        raise FormInvalid(errors)
    queue = Queue.get(Queue.slug == form.queue)
    email = scope.email if scope else values["email"]
    custom_lines = [
        f"{c.label}: {values[f'custom.{c.name}']}"
        for c in settings.form_for(queue.slug).custom if values.get(f"custom.{c.name}")
    ]
    body = "\n".join(custom_lines) + ("\n\n" if custom_lines else "") + values["text"]
    with write_transaction():
        contact = directory.ensure_contact_row(email, values["name"] or None)
        actor = CustomerScope(contact_id=contact.id, email=contact.email).actor
        if language and directory.contact_language(contact.email) is None:
            directory.set_contact_language(actor, contact.email, language)  # mail in the page's
        changes = {k: values[k] for k in ("phone", "contract_no") if values[k]}
        if changes:
            directory.update_contact(contact.email, **changes)
        created = tickets.create_ticket(
            actor, subject=values["subject"], body=body, requester_email=contact.email,
            requester_name=values["name"] or None, queue=queue.slug, priority=form.priority,
            channel="web", attachments=files,
        )
        if form.sms:
            directory.set_sms(actor, contact.email, opt_in=True, phone=values["phone"])
            audit.record(created.id, actor, "sms_requested", "sms", None, values["phone"])
    if scope is not None:
        return created.id, scope
    return created.id, CustomerScope(contact_id=contact.id, email=contact.email,
                                     ticket_id=created.id)


# --- reading ---------------------------------------------------------------------------


def _held_replies(ticket_id: int) -> set[int]:
    """Replies whose mail waits out the agent's undo-send window: the customer sees them
    when they leave (the agent may still take them back), as the mail does."""
    now, mail = clock.now(), OutboxMessage
    waiting = (mail.select(mail.entry, mail.hold_until)
               .where((mail.ticket == ticket_id) & mail.entry.is_null(False)
                      & (mail.status == Delivery.QUEUED.value) & mail.hold_until.is_null(False)))
    return {m.entry_id for m in waiting if clock.to_utc(m.hold_until) > now}


def _public_entries(ticket_id: int) -> tuple[PublicEntry, ...]:
    held = _held_replies(ticket_id)
    entries = [e for e in (
        Entry.select(Entry.id, Entry.kind, Entry.author, Entry.body, Entry.created_at)
        .where((Entry.ticket == ticket_id)
               & Entry.kind.in_([EntryKind.CUSTOMER.value, EntryKind.REPLY.value]))
        .order_by(Entry.created_at, Entry.id)
    ) if e.id not in held]
    files: dict[int, list[PublicAttachment]] = {}
    if entries:
        for a in (Attachment.select().where(Attachment.entry.in_([e.id for e in entries]))
                  .order_by(Attachment.id)):
            files.setdefault(a.entry_id, []).append(
                PublicAttachment(a.id, a.filename, a.content_type, a.size))
    return tuple(
        PublicEntry(id=e.id, from_desk=e.kind == EntryKind.REPLY.value, author=e.author,
                    body=e.body, created_at=clock.to_utc(e.created_at),
                    attachments=tuple(files.get(e.id, ())))
        for e in entries
    )


def _customer_ticket(row: Ticket, queue_name: str, *, with_thread: bool,
                     merged_into: int | None = None) -> CustomerTicket:
    return CustomerTicket(
        id=row.id, subject=row.subject, status=Status(row.status),
        priority=Priority(row.priority), queue_name=queue_name,
        created_at=clock.to_utc(row.created_at), updated_at=clock.to_utc(row.updated_at),
        entries=_public_entries(row.id) if with_thread else (), merged_into=merged_into,
    )


def _survivor(scope: CustomerScope, row: Ticket, settings: PortalSettings) -> int | None:
    """Where a merged ticket's thread went, if the customer may see that ticket too."""
    if not row.merged_into_id:
        return None
    target = tickets.surviving_ticket(row.id)
    survivor = Ticket.get_or_none(Ticket.id == target)
    if survivor is None or not customer_access.owns(
            scope, survivor.requester_id, organisation_tickets=settings.organisation_tickets):
        return None
    return target


def view(scope: CustomerScope, ref: str | int, settings: PortalSettings) -> CustomerTicket:
    """One of the customer's tickets with its public thread in order."""
    ticket_id = ref if isinstance(ref, int) else parse_ref(ref)
    row = customer_access.check(scope, "ticket.view", ticket_id,
                                organisation_tickets=settings.organisation_tickets)
    return _customer_ticket(row, Queue.get_by_id(row.queue_id).name, with_thread=True,
                            merged_into=_survivor(scope, row, settings))


def _owned_filter(scope: CustomerScope, settings: PortalSettings):
    if scope.ticket_id is not None:
        return (Ticket.id == scope.ticket_id) & (Ticket.requester == scope.contact_id)
    mine = Ticket.requester == scope.contact_id
    if settings.organisation_tickets:
        org = Contact.select(Contact.organisation).where(Contact.id == scope.contact_id)
        colleagues = Contact.select(Contact.id).where(
            Contact.organisation.is_null(False) & (Contact.organisation == org))
        return mine | Ticket.requester.in_(colleagues)
    return mine


def _search_filter(text: str, timezone):
    """`#12` / `12`: that ticket; `2026-11-30`: opened that day (customer's zone); else
    words in the subject."""
    ref = _REF.match(text)
    if ref:
        return Ticket.id == int(ref.group(1))
    date = _DATE.match(text)
    if date:
        try:
            day = datetime(*(int(p) for p in date.groups())).date()
        except ValueError:
            return Ticket.id.is_null()  # no such date: nothing matches
        start = datetime.combine(day, time(), tzinfo=timezone)
        return ((Ticket.created_at >= clock.to_db(start))
                & (Ticket.created_at < clock.to_db(start + timedelta(days=1))))
    expr = None
    for word in text.split()[:10]:
        part = fn.LOWER(Ticket.subject).contains(word.lower())
        expr = part if expr is None else expr & part
    return expr


#: The longest cursor a page link may carry (a subject of 200 characters fits).
CURSOR_MAX = 1200


def _cursor(sort: str, row: Ticket) -> str:
    """A page boundary: the sort value and id of `row`, as an opaque URL-safe token."""
    value = getattr(row, SORTS[sort].name)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, row.id], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def _read_cursor(token: str, sort: str) -> tuple[object, int] | None:
    """The (sort value, id) in a cursor made for `sort`; None for anything else."""
    if not token or len(token) > CURSOR_MAX:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key, value, ticket_id = json.loads(raw.decode("utf-8"))
        if key != sort or not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            return None
        if isinstance(SORTS[sort], DateTimeField):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, int if sort == "ref" else str):
            return None
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return value, ticket_id


def _beyond(column, value, ticket_id: int, forward: bool):
    """Rows strictly after (`forward`) or before the boundary in (column, id) order."""
    if forward:
        return (column > value) | ((column == value) & (Ticket.id > ticket_id))
    return (column < value) | ((column == value) & (Ticket.id < ticket_id))


def list_mine(scope: CustomerScope, settings: PortalSettings, *, state: str = "all",
              search: str = "", sort: str = "-updated", after: str = "", before: str = "",
              page_size: int = 20, timezone=None) -> CustomerTicketPage:
    """The customer's tickets: `state` all | open | closed, `search` a number, a date or
    subject words, `sort` a key of SORTS (`-` for newest/last first).

    Paged by keyset: `after` / `before` are cursors from a page's `next_cursor` /
    `previous_cursor`; an unknown or foreign cursor gives the first page.
    """
    from zoneinfo import ZoneInfo

    where = _owned_filter(scope, settings)
    if state == "open":
        where &= Ticket.status.not_in(CLOSED_STATES)
    elif state == "closed":
        where &= Ticket.status.in_(CLOSED_STATES)
    text = clean_text(search)[:SEARCH_MAX]
    if text:
        where &= _search_filter(text, timezone or ZoneInfo("UTC"))
    total = Ticket.select().where(where).count()
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else "updated"
    column = SORTS[key]
    descending = sort.startswith("-") if key == sort.lstrip("-") else True
    boundary, backwards = _read_cursor(after, key), False
    if boundary is None and before:
        boundary = _read_cursor(before, key)
        backwards = boundary is not None
    forward = descending == backwards  # which way "after the boundary" runs in SQL
    query = Ticket.select(Ticket, Queue.name.alias("queue_name")).join(Queue).where(where)
    if boundary is not None:
        query = query.where(_beyond(column, *boundary, forward=forward))
    if forward:
        query = query.order_by(column.asc(), Ticket.id.asc())
    else:
        query = query.order_by(column.desc(), Ticket.id.desc())
    found = list(query.limit(page_size + 1))
    if boundary is not None and not found:  # a stale link past either end: start again
        return list_mine(scope, settings, state=state, search=search, sort=sort,
                         page_size=page_size, timezone=timezone)
    more = len(found) > page_size  # beyond this page, in the direction walked
    found = found[:page_size]
    if backwards:
        found.reverse()
    rows = tuple(_customer_ticket(t, t.queue.name, with_thread=False) for t in found)
    has_next = more if not backwards else True
    has_previous = boundary is not None if not backwards else more
    return CustomerTicketPage(
        tickets=rows, total=total,
        next_cursor=_cursor(key, found[-1]) if has_next else None,
        previous_cursor=_cursor(key, found[0]) if has_previous else None,
    )


def attachment(scope: CustomerScope, ref: str | int, attachment_id: str | int,
               settings: PortalSettings) -> tuple[PublicAttachment, bytes]:
    """A file on a public entry of one of the customer's tickets; NotFound otherwise."""
    from deskterm.services.attachments import read_bytes

    ticket_id = ref if isinstance(ref, int) else parse_ref(ref)
    customer_access.check(scope, "attachment.read", ticket_id,
                          organisation_tickets=settings.organisation_tickets)
    if not str(attachment_id).isdigit() or len(str(attachment_id)) > 12:
        raise NotFound(customer_access.NOT_FOUND)
    row = (Attachment.select(Attachment).join(Entry)
           .where((Attachment.id == int(attachment_id)) & (Entry.ticket == ticket_id)
                  & Entry.kind.in_([EntryKind.CUSTOMER.value, EntryKind.REPLY.value]))
           .first())
    if row is None or row.entry_id in _held_replies(ticket_id):
        raise NotFound(customer_access.NOT_FOUND)
    meta, data = read_bytes(row.id)
    return PublicAttachment(meta.id, meta.filename, meta.content_type, meta.size), data


# --- acting ---------------------------------------------------------------------------------


def reply(scope: CustomerScope, ref: str | int, text: str, files: Sequence[NewAttachment],
          settings: PortalSettings) -> None:
    """Add the customer's message to the same ticket (reopening it as mail would)."""
    ticket_id = ref if isinstance(ref, int) else parse_ref(ref)
    customer_access.check(scope, "ticket.reply", ticket_id,
                          organisation_tickets=settings.organisation_tickets)
    body = clean_text(text)
    errors = {}
    if not body:
        errors["text"] = "required"
    elif len(body) > LIMITS["text"]:
        errors["text"] = "too_long"
    file_error = check_files(files, settings)
    if file_error:
        errors["attachments"] = file_error
    if errors:
        raise FormInvalid(errors)
    tickets.add_customer_message(scope.actor, ticket_id, body=body, from_email=scope.email,
                                 attachments=files)


def resolve(scope: CustomerScope, ref: str | int, settings: PortalSettings) -> None:
    """The customer marks their ticket resolved."""
    ticket_id = ref if isinstance(ref, int) else parse_ref(ref)
    row = customer_access.check(scope, "ticket.resolve", ticket_id,
                                organisation_tickets=settings.organisation_tickets)
    if row.status not in CLOSED_STATES:
        tickets.set_status(scope.actor, ticket_id, Status.RESOLVED)
