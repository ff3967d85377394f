"""Ticket pages: the start page, the new-ticket form, my tickets, one ticket, the tracking
link, replies, resolving and attachments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from deskterm import i18n
from deskterm.domain import CustomerScope, FormInvalid, Priority, Status
from deskterm.portal.web import (
    N_,
    call,
    finish,
    page,
    read_form,
    redirect,
    render,
    settings,
    uploads,
    visitor,
)
from deskterm.services import directory
from deskterm.services.portal import customer_tickets, customer_zone, customers, tracking
from deskterm.services.portal.customer_tickets import NewTicketForm

STATUS_LABELS = {
    Status.NEW: N_("Received"),
    Status.OPEN: N_("In review"),
    Status.PENDING: N_("Answered"),
    Status.ON_HOLD: N_("In review"),
    Status.POSTPONED: N_("In review"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
}
PRIORITY_LABELS = {
    Priority.LOW: N_("Low"),
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}
FIELD_LABELS = {
    "queue": N_("Problem type"),
    "subject": N_("Subject"),
    "text": N_("Describe the problem"),
    "email": N_("E-mail address"),
    "name": N_("Full name"),
    "phone": N_("Contact phone"),
    "contract_no": N_("Contract number"),
    "priority": N_("Priority"),
    "attachments": N_("Attachments"),
}
ERROR_TEXT = {
    "required": N_("Please fill in this field."),
    "invalid_email": N_("Please enter a valid e-mail address, e.g. name@example.com."),
    "invalid_choice": N_("Please choose one of the options."),
    "invalid_phone": N_("Please enter a phone number: digits, spaces, + ( ) - / ."),
    "phone_for_sms": N_("Please enter a phone number to get SMS notifications."),
    "too_long": N_("This is too long."),
    "too_short": N_("This is too short."),
    "too_many_files": N_("Too many files."),
    "file_too_large": N_("A file is larger than the limit."),
    "file_type": N_("This type of file cannot be uploaded."),
    "wrong_password": N_("This is not your current password."),
    "mismatch": N_("The two passwords are not the same."),
}


def labels(_) -> dict[str, object]:
    """Translated labels a ticket template needs."""
    return {
        "status_label": lambda status: _(STATUS_LABELS[Status(status)]),
        "priority_label": lambda priority: _(PRIORITY_LABELS[Priority(priority)]),
        "field_label": lambda name: _(FIELD_LABELS.get(name, name)),
    }


def error_messages(_, errors: dict[str, str]) -> dict[str, str]:
    return {name: _(ERROR_TEXT.get(code, ERROR_TEXT["invalid_choice"]))
            for name, code in errors.items()}


async def _context(request: Request, extra: dict) -> dict:
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    portal = settings(request)
    return {**labels(_), "portal": portal,
            "size_limit": f"{portal.max_upload_bytes / 1024 / 1024:g} MB", **extra}


# --- start and new ticket ---------------------------------------------------------------


@page
async def start(request: Request) -> Response:
    queues = await call(directory.list_queues)
    return await render(request, "start.html", await _context(request, {"queues": queues}))


async def _new_form(request: Request, values: dict, errors: dict[str, str],
                    status: int = 200) -> Response:
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    queues = await call(directory.list_queues)
    slug = values.get("queue") or ""
    known = {q.slug for q in queues}
    if slug not in known and len(queues) == 1:
        slug = queues[0].slug
    if slug not in known and not errors:
        return await render(request, "choose_queue.html",
                            await _context(request, {"queues": queues}))
    form = settings(request).form_for(slug)
    context = {
        "queues": queues, "queue_slug": slug, "form": form, "values": values,
        "errors": error_messages(_, errors), "priorities": settings(request).priorities,
    }
    return await render(request, "new.html", await _context(request, context), status)


@page
async def new_form(request: Request) -> Response:
    """The empty form; a logged-in customer finds their name and phone filled in."""
    values = {"queue": request.query_params.get("queue", "")[:64], "priority": "normal"}
    who = await visitor(request)
    if who.logged_in:
        info = await call(customers.account, who.scope)
        values.update(name=info.name, phone=info.phone or "")
    return await _new_form(request, values, {})


def _form_from(fields: dict[str, str]) -> NewTicketForm:
    custom = {k.removeprefix("custom."): v for k, v in fields.items() if k.startswith("custom.")}
    return NewTicketForm(
        queue=fields.get("queue", ""), subject=fields.get("subject", ""),
        text=fields.get("text", ""), email=fields.get("email", ""),
        name=fields.get("name", ""), phone=fields.get("phone", ""),
        contract_no=fields.get("contract_no", ""), priority=fields.get("priority", "normal"),
        sms=fields.get("sms") == "on", custom=custom,
    )


def _open(scope, form, files, portal, language) -> tuple[int, str | None]:
    """Open the ticket; an anonymous visitor also gets the tracking token of it."""
    ticket_id, granted = customer_tickets.open_ticket(scope, form, files, portal, language)
    if scope is not None:
        return ticket_id, None
    return ticket_id, tracking.make_token(ticket_id, granted.contact_id, portal.tracking_days)


@page
async def new_submit(request: Request) -> Response:
    fields, files = await read_form(request)
    who = await visitor(request)
    portal = settings(request)
    form = _form_from(fields)
    try:
        ticket_id, token = await call(_open, who.scope, form, uploads(files), portal,
                                      who.language)
    except FormInvalid as invalid:
        return await _new_form(request, fields, invalid.errors, status=400)
    if token:
        return redirect(request, f"/t/{token}?done=created")
    return redirect(request, f"/tickets/{ticket_id}?done=created")


# --- my tickets ----------------------------------------------------------------------------


@page
async def my_tickets(request: Request) -> Response:
    who = await visitor(request)
    if not who.logged_in:
        return redirect(request, "/account/login?next=/tickets")
    query = request.query_params
    state = query.get("state", "all") if query.get("state") in ("all", "open", "closed") else "all"
    sort = query.get("sort", "-updated")[:20]
    search = query.get("q", "")[:1000]
    found = await call(
        customer_tickets.list_mine, who.scope, settings(request), state=state, search=search,
        sort=sort, after=query.get("after", ""), before=query.get("before", ""),
        page_size=who.page_size, timezone=i18n.zone(who.timezone),
    )
    done = query.get("done", "")  # after a confirmation or reset link set the password
    context = {"found": found, "state": state, "sort": sort, "q": search,
               "done": done if done in ("confirm", "reset") else ""}
    return await render(request, "tickets.html", await _context(request, context))


# --- one ticket -----------------------------------------------------------------------------


async def _scope_for(request: Request) -> tuple[CustomerScope | None, str]:
    """The scope of a ticket URL (tracking token or session) and the page's base path."""
    token = request.path_params.get("token")
    if token is not None:
        scope = await call(tracking.open_token, token)
        return scope, f"/t/{token}"
    who = await visitor(request)
    return who.scope, f"/tickets/{request.path_params['ref']}"


async def _ticket_page(request: Request, errors: dict[str, str] | None = None,
                       values: dict | None = None, status: int = 200) -> Response:
    scope, base = await _scope_for(request)
    if scope is None:
        return redirect(request, f"/account/login?next={request.url.path}")
    ref = scope.ticket_id if scope.ticket_id is not None else request.path_params["ref"]
    ticket = await call(customer_tickets.view, scope, ref, settings(request))
    if ticket.merged_into and scope.ticket_id is None:
        return redirect(request, f"/tickets/{ticket.merged_into}")
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    done = request.query_params.get("done", "")
    context = {
        "ticket": ticket, "base": base, "tracking": scope.ticket_id is not None,
        "can_resolve": scope.ticket_id is None
        and ticket.status not in (Status.RESOLVED, Status.CLOSED),
        "done": done if done in ("created", "reply", "resolved") else "",
        "errors": error_messages(_, errors or {}), "values": values or {},
    }
    zone = None
    if scope.ticket_id is not None and not who.logged_in:  # a tracking link: its requester's
        zone = await call(customer_zone.customer_zone, scope.contact_id,
                          request.app.state.config)
    return await render(request, "ticket.html", await _context(request, context), status,
                        timezone=zone)


@page
async def ticket(request: Request) -> Response:
    return await _ticket_page(request)


@page
async def ticket_reply(request: Request) -> Response:
    fields, files = await read_form(request)
    scope, base = await _scope_for(request)
    if scope is None:
        return redirect(request, "/account/login")
    ref = scope.ticket_id if scope.ticket_id is not None else request.path_params["ref"]
    try:
        await call(customer_tickets.reply, scope, ref, fields.get("text", ""), uploads(files),
                   settings(request))
    except FormInvalid as invalid:
        return await _ticket_page(request, invalid.errors, fields, status=400)
    return redirect(request, f"{base}?done=reply#latest")


@page
async def ticket_resolve(request: Request) -> Response:
    await read_form(request)
    who = await visitor(request)
    if not who.logged_in:
        return redirect(request, "/account/login")
    ref = request.path_params["ref"]
    await call(customer_tickets.resolve, who.scope, ref, settings(request))
    return redirect(request, f"/tickets/{ref}?done=resolved")


@page
async def ticket_file(request: Request) -> Response:
    scope, _ = await _scope_for(request)
    if scope is None:
        return redirect(request, "/account/login")
    ref = scope.ticket_id if scope.ticket_id is not None else request.path_params["ref"]
    meta, data = await call(customer_tickets.attachment, scope, ref,
                            request.path_params["file"], settings(request))
    from urllib.parse import quote

    response = Response(data, media_type="application/octet-stream")
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(meta.filename, safe='')}")
    finish(request, response)
    response.headers["Cache-Control"] = "private, no-store"
    return response


routes = [
    Route("/", start),
    Route("/new", new_form, methods=["GET"]),
    Route("/new", new_submit, methods=["POST"]),
    Route("/tickets", my_tickets),
    Route("/tickets/{ref}", ticket),
    Route("/tickets/{ref}/reply", ticket_reply, methods=["POST"]),
    Route("/tickets/{ref}/resolve", ticket_resolve, methods=["POST"]),
    Route("/tickets/{ref}/files/{file}", ticket_file),
    Route("/t/{token}", ticket),
    Route("/t/{token}/reply", ticket_reply, methods=["POST"]),
    Route("/t/{token}/files/{file}", ticket_file),
]
