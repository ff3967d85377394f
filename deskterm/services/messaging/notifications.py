"""Customer notifications: the signals listener that queues mail in the change's transaction.

Ticket opened -> confirmation; public reply -> the reply (with its attachments) to the
requester, followers in Cc; status change by the desk -> a status mail, or the satisfaction
survey on resolve. Internal notes never produce mail. Automatic kinds (confirmation, status,
survey) are capped per address (`mail.auto_cap` per `mail.auto_cap_hours`) so two
auto-responders cannot ping-pong. Mail is written in the customer's language (see
`mail_text.choose`); templates are editable: a file `<config dir>/templates/mail-<kind>.<lang>.txt`
overrides the packaged one (and `mail-layout.html` the HTML part's layout).
The portal's "follow your ticket here" link is added by `tracking.follow_linker`, in the
same language. An admin's template file is read again only when its mtime changes.
Reply and status mail is queued by `notification_sets`, for one change here and for many
in bulk changes and time rules, so both follow the same rules.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

from deskterm import clock, paths
from deskterm.config import Config, load_config
from deskterm.domain import Actor, Delivery, Status
from deskterm.mail import ids
from deskterm.services import signals
from deskterm.services.messaging import mail_text, mailbox
from deskterm.services.portal import tracking
from deskterm.services.trust import audit
from deskterm.store.db import db, retry_when_busy, write_transaction
from deskterm.store.models import Contact, Follower, Ticket

AUTOMATIC_KINDS = ("ticket_opened", "status_changed", "survey")
_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+|marker|token)\}")
#: Every placeholder a template may use (a test renders every template with them).
PLACEHOLDERS = (
    "ticket.ref", "ticket.id", "ticket.subject", "ticket.status", "ticket.queue",
    "requester.name", "requester.first_name", "requester.email",
    "desk.name", "marker", "token", "status.line", "status.before", "status.after",
    "reply.body", "agent.name",
)

#: Who records that an automatic mail was not sent (the cap).
CAP_ACTOR = Actor.system("mail")
#: A status mail is folded into a reply the same agent queued this recently.
_SAME_ACTION = timedelta(seconds=5)

_config: Config | None = None


def use_config(config: Config | None) -> None:
    """Set the config the listener uses (None: read the config file on next use)."""
    global _config
    _config = config


def current_config() -> Config:
    """The config notifications and delivery use (read from the file on first use)."""
    global _config
    if _config is None:
        _config = load_config()
    return _config


# --- templates ---------------------------------------------------------------------


@lru_cache(maxsize=64)
def _packaged(name: str) -> str | None:
    item = resources.files("deskterm").joinpath("templates", name)
    return item.read_text(encoding="utf-8") if item.is_file() else None


#: The admin's template files read so far: path -> (mtime, text); re-read when changed.
_user_texts: dict[Path, tuple[int, str]] = {}


def _user_template(path: Path) -> str | None:
    """An admin's template file (one stat; read again only when its mtime changed)."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    cached = _user_texts.get(path)
    if cached is not None and cached[0] == info.st_mtime_ns:
        return cached[1]
    text = path.read_text(encoding="utf-8")
    _user_texts[path] = (info.st_mtime_ns, text)
    return text


def _template_file(name: str) -> str | None:
    """A template by file name: the admin's copy in the config folder, else the packaged."""
    text = _user_template(paths.config_path().parent / "templates" / name)
    return text if text is not None else _packaged(name)


def html_layout() -> str:
    """The HTML part's layout (`{lang}`, `{dir}`, `{subject}`, `{body}`, `{hidden}`)."""
    return _template_file("mail-layout.html") or "<html><body>{body}{hidden}</body></html>"


def template_text(kind: str, language: str) -> str:
    """The template source for a mail kind: user override, then packaged, English last."""
    user_dir = paths.config_path().parent / "templates"
    for lang in dict.fromkeys((language, "en")):
        name = f"mail-{kind}.{lang}.txt"
        text = _user_template(user_dir / name)
        if text is not None:
            return text
        text = _packaged(name)
        if text is not None:
            return text
    raise LookupError(f"no template for mail kind {kind!r}")


@lru_cache(maxsize=256)
def _pieces(source: str) -> tuple[str, ...]:
    """A template split once: its text and placeholder names in turn (text first)."""
    return tuple(_PLACEHOLDER.split(source))


def render(
    kind: str, values: dict[str, str], language: str = "en", *, source: str | None = None
) -> tuple[str, str]:
    """(subject, body) of a template with `{ticket.ref}`-style placeholders filled.

    Unknown placeholders are left as written, so a typo shows in the mail instead of
    failing the agent's change. `source`: the template text, when the caller has it.
    """
    source = source if source is not None else template_text(kind, language)
    pieces = _pieces(source)
    filled = "".join([pieces[0], *(
        values.get(name, f"{{{name}}}") + text
        for name, text in zip(pieces[1::2], pieces[2::2], strict=True))])
    head, _, body = filled.partition("\n\n")
    subject = head.removeprefix("Subject:").strip() if head.startswith("Subject:") else ""
    if not subject:
        body = filled
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return " ".join(subject.split()), body


# --- what goes where ----------------------------------------------------------------


@dataclass(frozen=True)
class _TicketFacts:
    """What a notification needs to know about its ticket (one query, on the hot path)."""

    id: int
    subject: str
    status: str
    created_at: datetime
    merged_into: int | None
    queue_slug: str
    queue_name: str
    queue_email: str | None
    requester_name: str
    requester_email: str
    requester_language: str | None  # the portal account's choice, else the contact's
    queue_language: str | None
    requester_phone: str | None
    wants_sms: int  # the contact or their portal account opted in
    requester_id: int


#: The facts of tickets, without the WHERE (`notification_sets` reads a batch's at once).
FACTS_SELECT = (
    'SELECT t."id", t."subject", t."status", t."created_at", t."merged_into_id", q."slug", '
    'q."name", q."email", c."name", c."email", COALESCE(a."language", c."language"), '
    'q."language", c."phone", c."sms_opt_in" + COALESCE(a."sms_opt_in", 0), c."id" '
    'FROM "ticket" t JOIN "queue" q ON q."id" = t."queue_id" '
    'JOIN "contact" c ON c."id" = t."requester_id" '
    'LEFT JOIN "customer_account" a ON a."contact_id" = c."id" '
)
_FACTS_SQL = FACTS_SELECT + 'WHERE t."id" = ?'
#: Message-IDs received (entries) and sent (outbox) for a ticket, oldest first.
_KNOWN_IDS_SQL = (
    'SELECT "created_at", "message_id" FROM "entry" WHERE "ticket_id" = ? AND '
    '"message_id" IS NOT NULL UNION ALL SELECT "created_at", "message_id" FROM '
    '"outbox_message" WHERE "ticket_id" = ? AND "channel" = \'email\' AND "message_id" != \'\' '
    'ORDER BY 1'
)


def facts_of(row: tuple) -> _TicketFacts:
    """A `FACTS_SELECT` row as facts."""
    created = row[3] if isinstance(row[3], datetime) else datetime.fromisoformat(str(row[3]))
    return _TicketFacts(row[0], row[1], row[2], created, *row[4:])


def _facts(ticket_id: int) -> _TicketFacts | None:
    row = db.execute_sql(_FACTS_SQL, (ticket_id,)).fetchone()
    return None if row is None else facts_of(row)


def language_of(ticket: _TicketFacts, config: Config) -> str:
    """The language this ticket's customer mail is written in."""
    return mail_text.choose(ticket.requester_language, ticket.queue_language, config.language)


def _values(ticket: _TicketFacts, config: Config, secret: str) -> dict[str, str]:
    name, email = ticket.requester_name, ticket.requester_email
    first = name.split()[0] if name.strip() else email.split("@")[0]
    language = language_of(ticket, config)
    return {
        "language": language,
        "ticket.ref": f"#{ticket.id}",
        "ticket.id": str(ticket.id),
        "ticket.subject": ticket.subject,
        "ticket.status": mail_text.status_name(ticket.status, language),
        "ticket.queue": ticket.queue_name,
        "requester.name": name or email,
        "requester.first_name": first,
        "requester.email": email,
        "desk.name": config.desk_name,
        "marker": mail_text.MARKERS[language],
        "token": ids.make_token(ticket.id, secret),
        "status.line": "",
    }


def _known_ids(ticket_id: int) -> list[str]:
    """Message-IDs of the ticket's mail so far (received and sent), oldest first."""
    return [mid for _, mid in db.execute_sql(_KNOWN_IDS_SQL, (ticket_id, ticket_id))]


def _desk_address(ticket: _TicketFacts, config: Config) -> str:
    """The address customers write to for this ticket: its queue's, else the desk's."""
    if ticket.queue_email:
        return ticket.queue_email
    routed = [a for a, slug in config.mail.routes.items() if slug == ticket.queue_slug]
    return routed[0] if routed else config.mail.address


_CAP_SQL = (
    'SELECT COUNT(*) FROM "outbox_message" WHERE "to_addrs" = ? AND "created_at" >= ? '
    f'AND "kind" IN ({", ".join("?" for _ in AUTOMATIC_KINDS)})'
)


def _automatic_count(address: str, config: Config) -> int:
    since = clock.to_db(clock.now() - timedelta(hours=config.mail.auto_cap_hours))
    params = (address, since.isoformat(sep=" "), *AUTOMATIC_KINDS)
    (count,) = db.execute_sql(_CAP_SQL, params).fetchone()
    return count


def _capped(address: str, config: Config) -> bool:
    return _automatic_count(address, config) >= config.mail.auto_cap


def capped_note(kind: str, to: str, config: Config) -> str:
    """The audit note of an automatic mail the cap held back."""
    return (f"{kind} to {to} not sent: {config.mail.auto_cap} automatic mails in "
            f"{config.mail.auto_cap_hours:g}h")


def _queue(ticket: _TicketFacts, kind: str, values: dict[str, str]) -> None:
    """Queue one automatic mail (a new ticket's confirmation) unless the cap holds it."""
    config = current_config()
    secret = mailbox.secret(config.mail.secret)
    to = ticket.requester_email
    if kind in AUTOMATIC_KINDS and _capped(to, config):
        audit.record(ticket.id, CAP_ACTOR, "mail_capped", "mail", None,
                     capped_note(kind, to, config))
        return
    row = _outbox_row(ticket, kind, values, _known_ids(ticket.id), None, config, secret)
    db.execute_sql(OUTBOX_SQL, outbox_params(row))


#: Columns of an `_outbox_row`, in the prepared INSERT's order (the ORM would rebuild
#: this statement for every message); mail and SMS alike.
OUTBOX_COLUMNS = ("ticket", "entry", "kind", "to_addrs", "cc_addrs", "subject", "body",
                  "message_id", "headers", "status", "created_at", "channel")
OUTBOX_SQL = (
    'INSERT INTO "outbox_message" ("ticket_id", "entry_id", "kind", "to_addrs", "cc_addrs", '
    '"subject", "body", "message_id", "headers", "status", "created_at", "channel", '
    f'"attempts") VALUES ({", ".join("?" * len(OUTBOX_COLUMNS))}, 0)'
)


#: `json.dumps(headers, ensure_ascii=False)` with the encoder built once, not per mail.
_HEADERS_JSON = json.JSONEncoder(ensure_ascii=False).encode


def outbox_params(row: dict) -> tuple:
    """An outbox row's values in `OUTBOX_SQL`'s order."""
    return tuple(row[name] for name in OUTBOX_COLUMNS)


def _outbox_row(
    ticket: _TicketFacts, kind: str, values: dict[str, str], known: list[str],
    in_reply_to: str | None, config: Config, secret: str, *, entry_id: int | None = None,
    cc: list[str] | None = None, templates: dict | None = None,
    follow: tracking.FollowLinker | None = None,
) -> dict:
    """The outbox row of one message (rendered, threaded, signed), not yet written.
    `templates` memoizes template texts over a batch, `follow` adds the portal link."""
    language = values.get("language", config.language)
    source = None
    if templates is not None:
        key = (kind, language)
        if key not in templates:
            templates[key] = template_text(kind, language)
        source = templates[key]
    subject, body = _rendered(ticket, kind, values, config, language, source, follow)
    message_id = ids.make_message_id(ticket.id, secret, config.mail.domain)
    in_reply_to = in_reply_to or (known[-1] if known else None)
    references = ([known[0]] + known[-9:]) if len(known) > 10 else known
    address = f"{config.desk_name} <{_desk_address(ticket, config)}>"
    headers = {
        "From": address,
        "Reply-To": address,
        "X-Loop": config.mail.address,
        "X-Deskterm-Ticket": str(ticket.id),
        "Thread-Topic": ticket.subject,
        "Content-Language": language,
        "Thread-Index": ids.thread_index(
            ticket.id, clock.to_utc(ticket.created_at), secret, child=min(len(known), 40)
        ),
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = " ".join(dict.fromkeys(references))
    if kind in AUTOMATIC_KINDS:
        headers["Auto-Submitted"] = "auto-replied" if kind == "ticket_opened" else "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    return dict(
        ticket=ticket.id,
        entry=entry_id,
        kind=kind,
        to_addrs=ticket.requester_email,
        cc_addrs=", ".join(cc or []),
        subject=subject,
        body=body,
        message_id=message_id,
        headers=_HEADERS_JSON(headers),
        status=Delivery.QUEUED.value,
        created_at=clock.to_db(clock.now()),
        channel="email",
    )


def _rendered(
    ticket: _TicketFacts, kind: str, values: dict[str, str], config: Config, language: str,
    source: str | None = None, follow: tracking.FollowLinker | None = None,
) -> tuple[str, str]:
    """(subject, text) of a customer mail: the template filled, plus the follow link."""
    subject, body = render(kind, values, language, source=source)
    follow = follow or tracking.follow_linker(config)
    return subject, follow(body, ticket.id, ticket.requester_id, language, values.get("token"))


@dataclass(frozen=True)
class MailPreview:
    """A customer mail as it will be sent (the composer's preview); nothing is queued."""

    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    language: str


def preview_reply(
    ticket_id: int, body: str, agent_name: str, *, to: tuple[str, ...] | None = None,
    cc: tuple[str, ...] | None = None,
) -> MailPreview:
    """The reply mail `body` would become on this ticket: rendered exactly as the outbox
    renders it (template, language, follow link), to the requester and followers unless
    `to` / `cc` say otherwise."""
    from deskterm.domain import NotFound

    ticket = _facts(ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    config = current_config()
    values = {**_values(ticket, config, mailbox.secret(config.mail.secret)),
              "reply.body": body, "agent.name": agent_name}
    language = values["language"]
    subject, text = _rendered(ticket, "reply", values, config, language)
    return MailPreview(
        sender=f"{config.desk_name} <{_desk_address(ticket, config)}>",
        to=tuple(to) if to is not None else (ticket.requester_email,),
        cc=tuple(cc) if cc is not None else tuple(_followers(ticket_id)),
        subject=subject,
        body=text,
        language=language,
    )


def _sms(ticket: _TicketFacts, values: dict[str, str], kind: str, **fields: str) -> str:
    return mail_text.sms_text(kind, values["language"], desk=values["desk.name"],
                              ref=values["ticket.ref"], **fields)


def _followers(ticket_id: int) -> list[str]:
    return [
        c.email
        for c in Contact.select(Contact.email)
        .join(Follower)
        .where(Follower.ticket == ticket_id)
        .order_by(Follower.id)
    ]


def status_mail_wanted(actor: Actor, before: Status, after: Status) -> bool:
    """Whether a status change is news to the customer."""
    if actor.kind == "customer":
        return False  # the customer's own mail reopened it
    # snoozing and picking up are internal
    return Status.POSTPONED not in (before, after) and (before, after) != (Status.NEW, Status.OPEN)


def on_change(change: signals.Change) -> None:
    """Queue the customer mail a change calls for (runs inside the change's transaction).

    Replies and status changes go through `notification_sets` with this one change: the
    bulk and rule paths call it with many, so both follow the same rules."""
    from deskterm.services.messaging import notification_sets

    if change.kind == "status":
        notification_sets.status_mails(
            change.actor, [(change.ticket_id, Status(change.before))], Status(change.after))
    elif change.kind == "reply" and change.entry_id is not None:
        notification_sets.reply_mails([(change.ticket_id, change.entry_id)])
    elif change.kind == "created":
        ticket = _facts(change.ticket_id)
        if ticket is None or not ticket.requester_email:
            return
        config = current_config()
        _queue(ticket, "ticket_opened", _values(ticket, config, mailbox.secret(config.mail.secret)))


@dataclass(frozen=True)
class Confirmation:
    """What `on_change` does for one new ticket: queue `row`, or note `capped` (not sent)."""

    ticket_id: int
    row: dict | None
    capped: str | None = None


def confirmations(ticket_ids: list[int]) -> list[Confirmation]:
    """The confirmation mail of many new tickets (the batched mail import), not yet
    written: the same rows `on_change` queues for each "created" change in this order,
    counting the earlier ones of the batch against each address's cap."""
    config = current_config()
    secret = mailbox.secret(config.mail.secret)
    templates: dict = {}
    sent: dict[str, int] = {}
    result: list[Confirmation] = []
    for ticket_id in ticket_ids:
        ticket = _facts(ticket_id)
        if ticket is None or not ticket.requester_email:
            continue
        to = ticket.requester_email
        if to not in sent:
            sent[to] = _automatic_count(to, config)
        if sent[to] >= config.mail.auto_cap:
            result.append(Confirmation(ticket_id, None, capped_note("ticket_opened", to,
                                                                    config)))
            continue
        sent[to] += 1
        values = _values(ticket, config, secret)
        row = _outbox_row(ticket, "ticket_opened", values, _known_ids(ticket_id), None, config,
                          secret, templates=templates)
        result.append(Confirmation(ticket_id, row))
    return result


@retry_when_busy
def record_rating(actor: Actor, ticket_id: int, rating: int, comment: str = "") -> None:
    """Store a customer's answer to the satisfaction survey (1-5) with an audit event."""
    from deskterm.domain import BadInput

    if not 1 <= rating <= 5:
        raise BadInput(f"rating {rating} is not between 1 and 5")
    with write_transaction():
        ticket = Ticket.get_by_id(ticket_id)
        before = ticket.csat_rating
        Ticket.update(csat_rating=rating, csat_comment=comment.strip() or None).where(
            Ticket.id == ticket_id
        ).execute()
        audit.record(ticket_id, actor, "csat", "csat_rating", before, rating)


def delivery_for_entries(entry_ids: list[int]) -> dict[int, Delivery]:
    """Delivery status of the mail each public reply caused (worst of its messages)."""
    from deskterm.services.finding.ticket_view import delivery_by_entry

    return delivery_by_entry(entry_ids)
