"""Canned replies: saved answers with placeholders filled from a ticket."""

from __future__ import annotations

import re

from deskterm import clock
from deskterm.domain import Actor, BadInput, CannedReplyInfo, NotFound, Status, TicketDetail
from deskterm.services import directory
from deskterm.services.tickets import clean_tags, get_ticket, parse_status
from deskterm.services.values import check_name
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import CannedReply

#: The placeholders a canned reply may use, with what they stand for.
PLACEHOLDERS = {
    "requester.name": "the requester's full name",
    "requester.first_name": "the requester's first name",
    "requester.email": "the requester's address",
    "requester.organisation": "the requester's organisation",
    "requester.contract_no": "the requester's contract number",
    "ticket.ref": "the ticket reference, e.g. #1042",
    "ticket.id": "the ticket number",
    "ticket.subject": "the ticket subject",
    "ticket.status": "the ticket status",
    "ticket.priority": "the ticket priority",
    "ticket.queue": "the queue name",
    "agent.name": "the replying agent's name",
    "agent.first_name": "the replying agent's first name",
    "agent.email": "the replying agent's address",
}
_FIELD = re.compile(r"\{([a-z_.]+)\}")


def _info(row: CannedReply) -> CannedReplyInfo:
    return CannedReplyInfo(
        id=row.id,
        title=row.title,
        body=row.body,
        set_status=Status(row.set_status) if row.set_status else None,
        add_tags=tuple(t for t in row.add_tags.split(",") if t),
    )


def _row(key: int | str) -> CannedReply:
    """The canned reply with this id, or with this title: as written, else the one whose
    title differs from it only in case ("hvala" finds "Hvala", "ОТВЕТ" finds "Ответ")."""
    if isinstance(key, int) or str(key).isdigit():
        row = CannedReply.get_or_none(CannedReply.id == int(key))
    else:
        row = CannedReply.get_or_none(CannedReply.title == key) or _by_title_any_case(key)
    if row is None:
        raise NotFound(f"no canned reply {key!r}")
    return row


def _by_title_any_case(title: str) -> CannedReply | None:
    """The one canned reply whose title equals `title` ignoring case (Unicode case
    folding); BadInput naming them when several do."""
    folded = title.strip().casefold()
    found = [row for row in CannedReply.select() if row.title.casefold() == folded]
    if len(found) > 1:
        names = ", ".join(repr(row.title) for row in sorted(found, key=lambda r: r.id))
        raise BadInput(f"canned reply {title!r} could be {names}: give its exact title or id")
    return found[0] if found else None


def check_placeholders(body: str) -> None:
    """BadInput naming any placeholder that is not in PLACEHOLDERS."""
    unknown = sorted({name for name in _FIELD.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        raise BadInput(
            f"unknown placeholder {{{unknown[0]}}}: use one of "
            + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        )


def fuzzy_score(needle: str, haystack: str) -> int | None:
    """Score a subsequence match (higher is better); None when `needle` does not match."""
    needle, haystack = needle.casefold(), haystack.casefold()
    if not needle:
        return 0
    score, position, streak = 0, 0, 0
    for char in needle:
        found = haystack.find(char, position)
        if found < 0:
            return None
        streak = streak + 1 if found == position else 0
        score += 1 + streak * 2 + (3 if found == 0 or not haystack[found - 1].isalnum() else 0)
        position = found + 1
    return score


def list_canned(search: str | None = None) -> list[CannedReplyInfo]:
    """Canned replies by title, or best fuzzy matches first when `search` is given."""
    rows = [_info(r) for r in CannedReply.select().order_by(CannedReply.title)]
    if not search:
        return rows
    scored = []
    for info in rows:
        score = fuzzy_score(search, info.title)
        if score is None:
            body_score = fuzzy_score(search, info.body)
            score = None if body_score is None else body_score // 4
        if score is not None:
            scored.append((score, info))
    scored.sort(key=lambda pair: (-pair[0], pair[1].title))
    return [info for _, info in scored]


def get_canned(key: int | str) -> CannedReplyInfo:
    """One canned reply by id or title."""
    return _info(_row(key))


@retry_when_busy
def save_canned(
    actor: Actor,
    title: str,
    body: str,
    *,
    set_status: str | None = None,
    add_tags: tuple[str, ...] | list[str] = (),
    canned_id: int | None = None,
) -> CannedReplyInfo:
    """Create a canned reply, or update the one with `canned_id` (admins only: canned
    replies are shared by the whole desk)."""
    from deskterm.services.trust import access, audit

    title = check_name(title, "canned reply title")
    if not (body or "").strip():
        raise BadInput("canned reply body is empty")
    check_placeholders(body)
    status = parse_status(set_status).value if set_status else None
    tags = ",".join(clean_tags(add_tags))
    with write_transaction():
        access.check(actor, access.Action.MANAGE_CANNED)
        clash = CannedReply.get_or_none(CannedReply.title == title)
        if clash is not None and clash.id != canned_id:
            raise BadInput(f"a canned reply titled {title!r} already exists")
        before = None
        if canned_id is None:
            row = CannedReply.create(
                title=title,
                body=body,
                set_status=status,
                add_tags=tags,
                updated_at=clock.to_db(clock.now()),
            )
        else:
            row = _row(canned_id)
            before = _summary(row)
            row.title, row.body, row.set_status, row.add_tags = title, body, status, tags
            row.updated_at = clock.to_db(clock.now())
            row.save()
        after = _summary(row)
        if after != before:
            action = "canned.added" if before is None else "canned.changed"
            audit.record(None, actor, action, f"canned:{row.id}", before, after)
    return _info(row)


def _summary(row: CannedReply) -> str:
    """A canned reply as its audit events show it."""
    return (
        f"title={row.title} set_status={row.set_status or '-'} tags={row.add_tags or '-'}\n"
        f"{row.body}"
    )


@retry_when_busy
def delete_canned(actor: Actor, key: int | str) -> None:
    """Delete a canned reply (admins only)."""
    from deskterm.services.trust import access, audit

    with write_transaction():
        access.check(actor, access.Action.DELETE)
        row = _row(key)
        audit.record(None, actor, "canned.deleted", f"canned:{row.id}", _summary(row), None)
        row.delete_instance()


def placeholder_values(ticket: TicketDetail, agent_username: str | None) -> dict[str, str]:
    """The values each placeholder takes for this ticket and agent."""
    agent = directory.get_agent(agent_username) if agent_username else None
    requester = ticket.requester
    return {
        "requester.name": requester.name or requester.email,
        "requester.first_name": requester.first_name,
        "requester.email": requester.email,
        "requester.organisation": requester.organisation or "",
        "requester.contract_no": requester.contract_no or "",
        "ticket.ref": ticket.ref,
        "ticket.id": str(ticket.id),
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status.value,
        "ticket.priority": ticket.priority.value,
        "ticket.queue": ticket.queue_name,
        "agent.name": agent.name if agent else "",
        "agent.first_name": agent.name.split()[0] if agent and agent.name else "",
        "agent.email": agent.email if agent else "",
    }


def fill(body: str, values: dict[str, str]) -> str:
    """Replace `{placeholder}`s; unknown braces are left as written."""
    return _FIELD.sub(lambda m: values.get(m[1], m[0]), body)


def render_canned(key: int | str, ticket_id: int, agent_username: str | None) -> str:
    """The canned reply's text with placeholders filled from the ticket."""
    return fill(_row(key).body, placeholder_values(get_ticket(ticket_id), agent_username))


@retry_when_busy
def send_canned(
    actor: Actor,
    ticket_id: int,
    key: int | str,
    *,
    expected_version: int | None = None,
) -> TicketDetail:
    """Reply with a canned reply (placeholders filled) and apply its status and tags."""
    from deskterm.services import tickets

    info = get_canned(key)
    agent = actor.name if actor.kind == "agent" else None
    body = render_canned(info.id, ticket_id, agent)
    with write_transaction():
        tickets.reply(
            actor, ticket_id, body, set_status=info.set_status, expected_version=expected_version
        )
        if info.add_tags:
            tickets.add_tags(actor, ticket_id, info.add_tags)
    return get_ticket(ticket_id)
