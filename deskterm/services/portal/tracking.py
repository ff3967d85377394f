"""Tracking links: signed, expiring tokens that open one ticket's page without an account.

A token is `<ticket>.<contact>.<expires>.<key id>.<mac>`: the MAC (HMAC-SHA256, 128 bits,
base64url) covers the first four parts, so nobody can change the ticket, the customer or
the expiry. The keys are a ring kept in the database: `rotate()` adds a new signing key and
keeps the old ones verifying until `retire_old()`, so a leaked key can be replaced without
breaking every link at once. The same ring signs the portal's cookies and CSRF tokens.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from deskterm import clock
from deskterm.domain import Actor, CustomerScope, NotFound, Refused
from deskterm.services.trust import access, audit
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Contact, Setting, Ticket

_RING_KEY = "portal.keys"


class LinkExpired(Refused):
    """A genuine tracking link whose time is up."""


# --- the key ring -----------------------------------------------------------------


def _load_ring() -> list[dict[str, str]]:
    row = Setting.get_or_none(Setting.key == _RING_KEY)
    return json.loads(row.value) if row else []


def _save_ring(ring: list[dict[str, str]]) -> None:
    Setting.insert(key=_RING_KEY, value=json.dumps(ring)).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: json.dumps(ring)}
    ).execute()


def _new_key() -> dict[str, str]:
    return {"id": secrets.token_hex(3), "secret": secrets.token_hex(32),
            "created": clock.now().isoformat(timespec="seconds")}


def keys() -> list[tuple[str, bytes]]:
    """(key id, secret) of every verifying key, the signing key last (made on first use)."""
    ring = _load_ring()
    if not ring:
        with write_transaction():
            ring = _load_ring()
            if not ring:
                ring = [_new_key()]
                _save_ring(ring)
    return [(k["id"], bytes.fromhex(k["secret"])) for k in ring]


@retry_when_busy
def rotate(actor: Actor) -> str:
    """Start signing with a new key (old keys keep verifying); return its id (admins)."""
    with write_transaction():
        access.check(actor, access.Action.MANAGE_DESK)
        ring = _load_ring() or [_new_key()]
        new = _new_key()
        _save_ring([*ring, new])
        audit.record(None, actor, "portal.key_rotated", "portal.keys", ring[-1]["id"], new["id"])
    return new["id"]


@retry_when_busy
def retire_old(actor: Actor) -> int:
    """Forget every key but the signing one (links and logins made with them stop working);
    return how many were dropped (admins)."""
    with write_transaction():
        access.check(actor, access.Action.MANAGE_DESK)
        ring = _load_ring()
        if len(ring) <= 1:
            return 0
        _save_ring(ring[-1:])
        audit.record(None, actor, "portal.keys_retired", "portal.keys",
                     ",".join(k["id"] for k in ring[:-1]), ring[-1]["id"])
    return len(ring) - 1


def sign(text: str, key: tuple[str, bytes] | None = None) -> str:
    """`<key id>.<mac>` of `text` with the current signing key (`key`: that key, read
    once by a caller signing many)."""
    kid, secret = key or keys()[-1]
    return f"{kid}.{_mac(secret, text)}"


def verify(text: str, signature: str) -> bool:
    """Whether `signature` (from `sign`) is valid for `text` under any key of the ring."""
    kid, _, mac = signature.partition(".")
    for key_id, secret in keys():
        if hmac.compare_digest(key_id, kid):
            return hmac.compare_digest(_mac(secret, text), mac)
    return False


def _mac(secret: bytes, text: str) -> str:
    digest = hmac.digest(secret, text.encode("utf-8"), "sha256")[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- tracking tokens ----------------------------------------------------------------


def make_token(ticket_id: int, contact_id: int, days: int = 30,
               now: datetime | None = None, key: tuple[str, bytes] | None = None) -> str:
    """A tracking token for `ticket_id` as seen by its requester `contact_id`."""
    expires = int(((now or clock.now()) + timedelta(days=days)).timestamp())
    body = f"{ticket_id}.{contact_id}.{expires}"
    return f"{body}.{sign('track:' + body, key)}"


def open_token(token: str) -> CustomerScope:
    """The scope a tracking token grants (that one ticket); NotFound for anything forged
    or mangled, LinkExpired for a genuine one past its time."""
    parts = (token or "").split(".")
    if len(parts) != 5 or not all(p.isascii() and p for p in parts):
        raise NotFound("no such ticket")
    ticket_s, contact_s, expires_s, kid, mac = parts
    if not (ticket_s.isdigit() and contact_s.isdigit() and expires_s.isdigit()):
        raise NotFound("no such ticket")
    body = f"{ticket_s}.{contact_s}.{expires_s}"
    if len(body) > 60 or not verify("track:" + body, f"{kid}.{mac}"):
        raise NotFound("no such ticket")
    if int(expires_s) < clock.now().timestamp():
        raise LinkExpired("this link has expired")
    ticket_id, contact_id = int(ticket_s), int(contact_s)
    ticket_id = _surviving(ticket_id, contact_id)
    row = (Ticket.select(Ticket.id, Contact.email).join(Contact, on=Ticket.requester == Contact.id)
           .where((Ticket.id == ticket_id) & (Ticket.requester == contact_id)).tuples().first())
    if row is None:  # the ticket went to another requester, or was deleted
        raise NotFound("no such ticket")
    return CustomerScope(contact_id=contact_id, email=row[1], ticket_id=ticket_id)


def _surviving(ticket_id: int, contact_id: int) -> int:
    """A merged ticket's link opens the ticket its thread went to, if the same customer's."""
    from deskterm.services.tickets import surviving_ticket

    try:
        target = surviving_ticket(ticket_id)
    except NotFound:
        return ticket_id
    if target != ticket_id and Ticket.select().where(
            (Ticket.id == target) & (Ticket.requester == contact_id)).exists():
        return target
    return ticket_id


FollowLinker = Callable[[str, int, "int | None", str, "str | None"], str]


def follow_linker(config) -> FollowLinker:
    """What adds the "follow your ticket here" link to notification bodies (before the
    body token) when the desk has a portal URL, leaving a body as it is otherwise or if it
    has the link. The portal settings and the signing key are read once, for many mails.
    The returned function takes (body, ticket id, requester id or None to look it up,
    language, body token)."""
    from deskterm import i18n
    from deskterm.domain import BadInput
    from deskterm.services.portal.portal_settings import portal_settings

    try:
        settings = portal_settings(config)
    except BadInput:  # a broken [portal] section must not stop the desk's mail
        return lambda body, *_: body
    if not settings.url:
        return lambda body, *_: body
    base = settings.url.rstrip("/")
    signing: list[tuple[str, bytes]] = []

    def add(body: str, ticket_id: int, requester_id: int | None, language: str,
            token: str | None = None) -> str:
        if f"{settings.url}/t/" in body:
            return body
        if requester_id is None:
            row = Ticket.select(Ticket.requester).where(Ticket.id == ticket_id).first()
            if row is None:
                return body
            requester_id = row.requester_id
        if not signing:
            signing.append(keys()[-1])
        token_part = make_token(ticket_id, requester_id, settings.tracking_days, key=signing[0])
        url = f"{base}/t/{token_part}"
        _ = i18n.gettext_for(language)
        line = _("Follow your ticket here: %(url)s") % {"url": url}
        if token and token in body:
            head, _sep, tail = body.rpartition(token)
            return f"{head.rstrip()}\n\n{line}\n{token}{tail}"
        return f"{body.rstrip()}\n\n{line}\n"

    return add
