"""Message-IDs and body tokens deskterm puts on its outgoing mail, and how to verify them.

An outgoing Message-ID looks like `<dt.1042.5f2a9c01e4.3b1f0a9c2d7e6f10@support.example.com>`:
ticket id, a random nonce and an HMAC over both, so a reply's `In-Reply-To` names its
ticket without a database lookup and nobody can forge one for a ticket they do not know.
The body token `[DT#1042-3b1f0a9c]` does the same for clients that drop headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
from datetime import datetime

_MSGID = re.compile(r"^<?dt\.(\d+)\.([0-9a-f]{10})\.([0-9a-f]{16})@[^>\s]+>?$", re.I)
_TOKEN = re.compile(r"\[DT#(\d+)-([0-9a-f]{8})\]", re.I)


def _mac(secret: str, text: str, length: int) -> str:
    # hmac.digest: OpenSSL's one-shot HMAC (no HMAC object built per message)
    return hmac.digest(secret.encode(), text.encode(), "sha256").hex()[:length]


def make_message_id(ticket_id: int, secret: str, domain: str) -> str:
    """A fresh signed Message-ID (with angle brackets) for mail about `ticket_id`."""
    nonce = secrets.token_hex(5)
    mac = _mac(secret, f"msgid:{ticket_id}.{nonce}", 16)
    return f"<dt.{ticket_id}.{nonce}.{mac}@{domain}>"


def ticket_from_message_id(message_id: str, secret: str) -> int | None:
    """The ticket a deskterm Message-ID was made for, or None if it is not ours or forged."""
    match = _MSGID.match(message_id.strip())
    if not match or not secret:
        return None
    ticket, nonce, mac = match.groups()
    expected = _mac(secret, f"msgid:{int(ticket)}.{nonce.lower()}", 16)
    return int(ticket) if hmac.compare_digest(expected, mac.lower()) else None


def make_token(ticket_id: int, secret: str) -> str:
    """The short body token for `ticket_id`, e.g. `[DT#1042-3b1f0a9c]`."""
    return f"[DT#{ticket_id}-{_mac(secret, f'token:{ticket_id}', 8)}]"


def ticket_from_token(text: str, secret: str) -> int | None:
    """The ticket named by the first valid token in `text` (forged tokens are ignored)."""
    if not secret:
        return None
    for match in _TOKEN.finditer(text):
        ticket, mac = int(match.group(1)), match.group(2).lower()
        if hmac.compare_digest(_mac(secret, f"token:{ticket}", 8), mac):
            return ticket
    return None


def find_tokens(text: str) -> list[str]:
    """Every token-shaped string in `text` (unverified)."""
    return [m.group(0) for m in _TOKEN.finditer(text)]


def strip_tokens(text: str) -> str:
    """`text` without deskterm tokens (they are plumbing, not part of the message)."""
    return _TOKEN.sub("", text)


def thread_index(ticket_id: int, opened_at: datetime, secret: str, child: int = 0) -> str:
    """An Outlook `Thread-Index` value: a stable 22-byte root per ticket plus `child` 5-byte blocks.

    Outlook groups messages whose Thread-Index shares the root, so every mail about one
    ticket lands in one conversation even when a client rewrites the subject.
    """
    filetime = int((opened_at.timestamp() + 11644473600) * 10_000_000)
    root = struct.pack(">Q", filetime)[:6]
    guid = hashlib.sha256(f"{secret}:thread:{ticket_id}".encode()).digest()[:16]
    blocks = b"".join(struct.pack(">I", (ticket_id * 31 + n) & 0xFFFFFFFF) + bytes([n & 0xFF])
                      for n in range(1, child + 1))
    return base64.b64encode(root + guid + blocks).decode()
