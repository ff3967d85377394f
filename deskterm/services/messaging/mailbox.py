"""Mail bookkeeping in the database: inbound messages seen, quarantine, threading look-ups,
the outbox queue's delivery states, and the HMAC secret for deskterm's Message-IDs."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from deskterm import clock, paths
from deskterm.domain import Actor, AttachmentInfo, Delivery, NotFound
from deskterm.services import attachments as attachment_store
from deskterm.store.db import backend, db, db_target, retry_when_busy, write_transaction
from deskterm.store.models import (
    Attachment,
    InboundMessage,
    OutboxMessage,
    Setting,
)

_SECRET_KEY = "mail.secret"
_secrets: dict[tuple[str, int], str] = {}  # per database file: the key never changes once made


@dataclass(frozen=True)
class InboundInfo:
    """One message the mail channel has seen."""

    id: int
    status: str  # imported | ignored | quarantined
    message_id: str | None
    from_addr: str | None
    subject: str | None
    reason: str | None
    ticket_id: int | None
    source: str | None
    raw_path: str | None
    received_at: datetime


@dataclass(frozen=True)
class OutboxItem:
    """One outgoing message with its delivery state."""

    id: int
    ticket_id: int | None
    entry_id: int | None
    kind: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    message_id: str
    headers: dict[str, str]
    status: Delivery
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    channel: str = "email"  # email | sms (then `to` holds the phone number)


def _utc(value: datetime | None) -> datetime | None:
    return clock.to_utc(value) if value is not None else None


def _now_db() -> datetime:
    return clock.to_db(clock.now())


# --- secret ---------------------------------------------------------------------


@retry_when_busy
def secret(configured: str = "", *, create: bool = True) -> str:
    """The HMAC key: the configured one, else one generated once and kept in Setting.

    With create=False a desk that never made one gets "" (nothing can verify then).
    """
    if configured:
        return configured
    key = _db_identity()
    cached = _secrets.get(key)
    if cached:
        return cached
    row = Setting.get_or_none(Setting.key == _SECRET_KEY)
    if row is None and not create:
        return ""
    if row is None:
        with write_transaction():
            new = Setting.insert(key=_SECRET_KEY, value=secrets.token_hex(32))
            new.on_conflict_ignore().execute()
        row = Setting.get(Setting.key == _SECRET_KEY)
    _secrets[key] = row.value
    return row.value


def _db_identity() -> tuple[str, int]:
    """The open database file (path and inode: a recreated file is a new desk)."""
    target = db_target()
    try:
        return str(target), Path(target).stat().st_ino
    except OSError:
        return str(target), 0


# --- inbound --------------------------------------------------------------------


def mail_dir() -> Path:
    """Where the mail channel keeps files beside the database (quarantine, local outbox)."""
    return paths.side_dir(db_target(), "mail")


# The look-ups every imported message makes are raw SQL (standard SQL, `?` adapted per
# backend): building them with the ORM costs more than running them.
_SEEN_SQL = (
    'SELECT "id", "status", "message_id", "from_addr", "subject", "reason", "ticket_id", '
    '"source", "raw_path", "received_at" FROM "inbound_message" WHERE "digest" = ?'
)
_CLAIM_SQL = (
    'INSERT INTO "inbound_message" ("digest", "status", "message_id", "source", "received_at") '
    "VALUES (?, 'claimed', ?, ?, ?) ON CONFLICT (\"digest\") DO NOTHING"
)
_RETAKE_SQL = (
    'UPDATE "inbound_message" SET "status" = \'claimed\' WHERE "digest" = ? '
    "AND \"status\" = 'quarantined'"
)
SETTLE_SQL = (
    'UPDATE "inbound_message" SET "status" = ?, "ticket_id" = ?, "entry_id" = ?, '
    '"from_addr" = ?, "subject" = ?, "reason" = ?, "received_at" = ? WHERE "digest" = ?'
)
_ID_USED_SQL = (
    'SELECT 1 FROM "inbound_message" WHERE "message_id" = ? AND "digest" != ? '
    "AND \"status\" != 'claimed' LIMIT 1"
)


def _as_datetime(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def seen(digest: str) -> InboundInfo | None:
    """The earlier record of this message (by digest), unless it sits in quarantine."""
    row = db.execute_sql(_SEEN_SQL, (digest,)).fetchone()
    if row is None or row[1] in ("quarantined", "claimed"):
        return None
    return InboundInfo(*row[:9], received_at=clock.to_utc(_as_datetime(row[9])))


def known_digests(digests: list[str]) -> set[str]:
    """Which of these messages `seen` knows (imported or ignored), in one query."""
    if not digests:
        return set()
    rows = InboundMessage.select(InboundMessage.digest).where(
        InboundMessage.digest.in_(digests)
        & InboundMessage.status.not_in(["quarantined", "claimed"])).tuples()
    return {digest for (digest,) in rows}


def claim(digest: str, message_id: str | None, source: str) -> bool:
    """Take a message for this import (call inside the import's transaction): True when
    it is new here or was quarantined, False when it is known (imported or ignored).

    Insert-or-skip on the unique digest, so of two importers racing for one message
    exactly one gets it; the claim commits only together with the message's outcome.
    """
    mid = (message_id or None) and message_id[:255]
    if db.execute_sql(_CLAIM_SQL, (digest, mid, source, _now_db())).rowcount:
        return True
    return bool(db.execute_sql(_RETAKE_SQL, (digest,)).rowcount)


def settle_row(digest: str, status: str, *, ticket_id: int | None, entry_id: int | None,
               from_addr: str | None, subject: str | None, reason: str) -> tuple:
    """The parameters of `SETTLE_SQL` for one claimed message (see `settle`)."""
    return (status, ticket_id, entry_id, (from_addr or None) and from_addr[:255], subject,
            reason, _now_db(), digest)


def settle(digest: str, status: str, *, ticket_id: int | None, entry_id: int | None,
           from_addr: str | None, subject: str | None, reason: str) -> None:
    """Record the outcome of a claimed message (same transaction as the claim)."""
    db.execute_sql(SETTLE_SQL, settle_row(digest, status, ticket_id=ticket_id,
                                          entry_id=entry_id, from_addr=from_addr,
                                          subject=subject, reason=reason))


def message_id_used(message_id: str, digest: str) -> bool:
    """Whether another message (other content) already came with this Message-ID."""
    return db.execute_sql(_ID_USED_SQL, (message_id[:255], digest)).fetchone() is not None


def _inbound_info(row: InboundMessage) -> InboundInfo:
    return InboundInfo(
        id=row.id,
        status=row.status,
        message_id=row.message_id,
        from_addr=row.from_addr,
        subject=row.subject,
        reason=row.reason,
        ticket_id=row.ticket_id,
        source=row.source,
        raw_path=row.raw_path,
        received_at=clock.to_utc(row.received_at),
    )


@retry_when_busy
def record_inbound(
    digest: str,
    status: str,
    *,
    message_id: str | None = None,
    from_addr: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
    ticket_id: int | None = None,
    entry_id: int | None = None,
    source: str | None = None,
    raw: bytes | None = None,
) -> None:
    """Record what happened to a message (updating a quarantined record on retry).

    With `raw`, the bytes are kept under the mail dir so a quarantined message can be
    listed and retried later.
    """
    raw_path = None
    if raw is not None:
        target = mail_dir() / "quarantine" / f"{digest}.eml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        raw_path = str(target)
    values = dict(
        message_id=(message_id or None) and message_id[:255],
        status=status,
        reason=reason,
        ticket=ticket_id,
        entry=entry_id,
        from_addr=(from_addr or None) and from_addr[:255],
        subject=subject,
        source=source,
        received_at=_now_db(),
    )
    update = dict(values)
    if raw_path:
        update["raw_path"] = raw_path
    # never over a message that was imported meanwhile (by another importer)
    replaceable = InboundMessage.status.in_(["quarantined", "claimed"])
    with write_transaction():
        InboundMessage.insert(digest=digest, raw_path=raw_path, **values).on_conflict(
            conflict_target=[InboundMessage.digest], update=update, where=replaceable
        ).execute()


def list_inbound(status: str | None = None, limit: int = 100) -> list[InboundInfo]:
    """Recently seen inbound messages, newest first (optionally of one status; a negative
    `limit`: all)."""
    query = InboundMessage.select().order_by(InboundMessage.id.desc())
    query = query.limit(limit if limit >= 0 else None)
    if status:
        query = query.where(InboundMessage.status == status)
    return [_inbound_info(row) for row in query]


def count_inbound(status: str | None = None) -> int:
    """How many inbound messages `list_inbound(status)` would list without a limit."""
    query = InboundMessage.select()
    return (query.where(InboundMessage.status == status) if status else query).count()


def quarantined(inbound_id: int) -> tuple[InboundInfo, bytes]:
    """A quarantined message and its raw bytes; NotFound if there is none with that id."""
    row = InboundMessage.get_or_none(
        (InboundMessage.id == inbound_id) & (InboundMessage.status == "quarantined")
    )
    if row is None:
        raise NotFound(f"no quarantined message {inbound_id}")
    if not row.raw_path or not Path(row.raw_path).is_file():
        raise NotFound(f"quarantined message {inbound_id} has lost its raw file {row.raw_path}")
    return _inbound_info(row), Path(row.raw_path).read_bytes()


@retry_when_busy
def release_quarantine(info: InboundInfo, outcome: str) -> None:
    """Close a quarantine record after a successful retry and drop its raw copy."""
    with write_transaction():
        InboundMessage.update(status="retried", reason=outcome[:500], raw_path=None).where(
            (InboundMessage.id == info.id) & (InboundMessage.status == "quarantined")
        ).execute()
        InboundMessage.update(raw_path=None).where(InboundMessage.id == info.id).execute()
    if info.raw_path:
        Path(info.raw_path).unlink(missing_ok=True)


# --- threading look-ups -------------------------------------------------------------


_BY_ENTRY_SQL = 'SELECT "ticket_id" FROM "entry" WHERE "message_id" = ? LIMIT 1'
_BY_OUTBOX_SQL = 'SELECT "ticket_id" FROM "outbox_message" WHERE "message_id" = ? LIMIT 1'
_BY_INBOUND_SQL = (
    'SELECT "ticket_id" FROM "inbound_message" WHERE "message_id" = ? '
    'AND "ticket_id" IS NOT NULL LIMIT 1'
)
_STATE_SQL = 'SELECT "status", "merged_into_id" FROM "ticket" WHERE "id" = ?'
_REQUESTER_SQL = (
    'SELECT c."email" FROM "ticket" t JOIN "contact" c ON c."id" = t."requester_id" '
    'WHERE t."id" = ?'
)
_FOLLOWER_SQL = (
    'SELECT 1 FROM "follower" f JOIN "contact" c ON c."id" = f."contact_id" '
    'WHERE f."ticket_id" = ? AND c."email" = ? LIMIT 1'
)
_AGENT_SQL = 'SELECT 1 FROM "agent" WHERE "email" = ? LIMIT 1'


def _first(sql: str, params: tuple) -> tuple | None:
    return db.execute_sql(sql, params).fetchone()


def ticket_for_message_ids(message_ids: Sequence[str]) -> int | None:
    """The ticket that sent or received one of these Message-IDs (first match wins)."""
    for mid in message_ids:
        if not mid:
            continue  # '' is the Message-ID of mail not written yet, never a reference
        for sql in (_BY_ENTRY_SQL, _BY_OUTBOX_SQL, _BY_INBOUND_SQL):
            row = _first(sql, (mid,))
            if row is not None and (row[0] or sql is _BY_ENTRY_SQL):
                return row[0]
    return None


def survey_ticket(message_ids: Sequence[str]) -> int | None:
    """The ticket whose satisfaction survey one of these Message-IDs is, if any."""
    message_ids = [m for m in message_ids if m]
    if not message_ids:
        return None
    row = OutboxMessage.get_or_none(
        OutboxMessage.message_id.in_(message_ids) & (OutboxMessage.kind == "survey")
    )
    return row.ticket_id if row else None


def ticket_state(ticket_id: int) -> tuple[str, int | None] | None:
    """(status, merged_into) of a ticket, or None when it does not exist."""
    row = _first(_STATE_SQL, (ticket_id,))
    return None if row is None else (row[0], row[1])


def is_participant(ticket_id: int, email: str) -> bool:
    """Whether `email` is the requester, a follower or an agent of the ticket."""
    address = email.strip().lower()
    requester = _first(_REQUESTER_SQL, (ticket_id,))
    if requester is None:
        return False
    if requester[0] == address:
        return True
    if _first(_FOLLOWER_SQL, (ticket_id, address)) is not None:
        return True
    return _first(_AGENT_SQL, (address,)) is not None


# --- outbox ---------------------------------------------------------------------------


def _split(addrs: str) -> tuple[str, ...]:
    return tuple(a for a in (x.strip() for x in (addrs or "").split(",")) if a)


def outbox_item(row: OutboxMessage) -> OutboxItem:
    """The read model of an outbox row."""
    return OutboxItem(
        id=row.id,
        ticket_id=row.ticket_id,
        entry_id=row.entry_id,
        kind=row.kind,
        to=_split(row.to_addrs),
        cc=_split(row.cc_addrs),
        subject=row.subject,
        body=row.body,
        message_id=row.message_id,
        headers=json.loads(row.headers or "{}"),
        status=Delivery(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=_utc(row.next_attempt_at),
        created_at=clock.to_utc(row.created_at),
        sent_at=_utc(row.sent_at),
        channel=row.channel or "email",
    )


def list_outbox(
    status: str | None = None, ticket_id: int | None = None, limit: int = 100
) -> list[OutboxItem]:
    """Outgoing messages, newest first (a negative `limit`: all)."""
    query = _outbox_where(OutboxMessage.select(), status, ticket_id)
    from deskterm.services.messaging import outbox_render

    query = query.order_by(OutboxMessage.id.desc()).limit(limit if limit >= 0 else None)
    return [outbox_item(row) for row in outbox_render.for_display(list(query))]


def count_outbox(status: str | None = None, ticket_id: int | None = None) -> int:
    """How many messages `list_outbox(status, ticket_id)` would list without a limit."""
    return _outbox_where(OutboxMessage.select(), status, ticket_id).count()


def _outbox_where(query, status: str | None, ticket_id: int | None):
    if status:
        query = query.where(OutboxMessage.status == Delivery(status).value)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket == ticket_id)
    return query


#: How long a sender holds the messages it claimed before another may take them over.
SEND_LEASE = timedelta(minutes=10)


@retry_when_busy
def due_outbox(limit: int = 100, *, lease: timedelta = SEND_LEASE) -> list[OutboxItem]:
    """Claim queued messages and deferred ones whose next try has come, oldest first
    (held ones once their hold has passed).

    Each claimed message's next try moves `lease` ahead in the same transaction, so a
    second sender (another process or host) never gets it while this one delivers it; on
    PostgreSQL rows another sender is claiming are skipped (FOR UPDATE SKIP LOCKED), on
    SQLite the write lock lets one sender claim at a time. A sender that dies leaves its
    messages to be taken again when the lease ends. Mail queued as an intent (a bulk
    change's) is written out first, oldest first (`outbox_render`); a row still unwritten
    is never claimed.
    """
    from deskterm.services.messaging import outbox_render

    outbox_render.render_pending(limit=limit)
    now = _now_db()
    waiting = (OutboxMessage.status == Delivery.QUEUED.value) | (
        OutboxMessage.status == Delivery.DEFERRED.value
    )
    due = OutboxMessage.next_attempt_at.is_null() | (OutboxMessage.next_attempt_at <= now)
    # a reply still in its undo-send window (`replies.send`) is not sent yet
    released = OutboxMessage.hold_until.is_null() | (OutboxMessage.hold_until <= now)
    written = OutboxMessage.render.is_null()
    with write_transaction():
        query = (
            OutboxMessage.select()
            .where(waiting & due & released & written)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        rows = list(backend().claim(query))
        if rows:
            OutboxMessage.update(next_attempt_at=now + lease).where(
                OutboxMessage.id.in_([row.id for row in rows])
            ).execute()
    return [outbox_item(row) for row in rows]


def outbox_attachments(entry_id: int | None) -> list[tuple[AttachmentInfo, bytes]]:
    """The files of the entry a message carries (a public reply's attachments)."""
    if entry_id is None:
        return []
    rows = Attachment.select().where(Attachment.entry == entry_id).order_by(Attachment.id)
    return [attachment_store.read_bytes(row.id) for row in rows]


@retry_when_busy
def mark_sent(outbox_id: int) -> None:
    """Record a successful delivery."""
    with write_transaction():
        OutboxMessage.update(
            status=Delivery.SENT.value,
            attempts=OutboxMessage.attempts + 1,
            sent_at=_now_db(),
            last_error=None,
            next_attempt_at=None,
        ).where(OutboxMessage.id == outbox_id).execute()


@retry_when_busy
def mark_deferred(outbox_id: int, error: str, retry_in: timedelta | None) -> Delivery:
    """Record a failed try: deferred until `retry_in` from now, or failed when None."""
    status = Delivery.DEFERRED if retry_in is not None else Delivery.FAILED
    with write_transaction():
        OutboxMessage.update(
            status=status.value,
            attempts=OutboxMessage.attempts + 1,
            last_error=error[:2000],
            next_attempt_at=clock.to_db(clock.now() + retry_in) if retry_in else None,
        ).where(OutboxMessage.id == outbox_id).execute()
    return status


@retry_when_busy
def mark_bounced(message_ids: Iterable[str], reason: str) -> list[int]:
    """Mark the outbox messages a bounce names as failed; return their ids."""
    ids = [m for m in message_ids if m]
    if not ids:
        return []
    with write_transaction():
        rows = list(OutboxMessage.select().where(OutboxMessage.message_id.in_(ids)))
        for row in rows:
            row.status = Delivery.FAILED.value
            row.last_error = f"bounced: {reason}"[:2000]
            row.next_attempt_at = None
            row.save()
    return [row.id for row in rows]


@retry_when_busy
def retry_outbox(actor: Actor, outbox_id: int) -> OutboxItem:
    """Put a failed or deferred message back in the queue for the next send (anyone who
    may run the desk's jobs: not observers)."""
    from deskterm.services.trust import access, audit

    with write_transaction():
        access.check(actor, access.Action.RUN_JOBS)
        row = OutboxMessage.get_or_none(OutboxMessage.id == outbox_id)
        if row is None:
            raise NotFound(f"no outbox message {outbox_id}")
        before = row.status
        row.status = Delivery.QUEUED.value
        row.next_attempt_at = None
        row.save()
        audit.record(row.ticket_id, actor, "outbox.retried", f"outbox:{row.id}", before,
                     row.status)
    return outbox_item(row)
