"""Parse one raw mail message into a `ParsedMail` (no database, never raises on messy input).

Bytes in, facts out: headers and addresses (`headers`), charsets (`charsets`), the body,
forwards and attachments (`structure`), quote stripping (`quoting`), and whether the
message is automatic (auto-replies, bulk, bounces: classified, not dropped). What the
desk does with the message is decided in `services.messaging.mail_decision`, never here.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.utils import parsedate_to_datetime

from deskterm.mail import charsets, headers
from deskterm.mail.quoting import strip_reply
from deskterm.mail.structure import MailAttachment, read_content

__all__ = ["MailAttachment", "MessageKey", "ParsedMail", "message_digest", "message_key",
           "parse_headers", "parse_message"]

_MSGID_RE = re.compile(r"<[^<>\s]+>")
_SUBJECT_REF = re.compile(r"\[#(\d+)\]")
_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|odg|odgovor|tr|отв|пер|رد)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.I)
@dataclass
class ParsedMail:
    """What deskterm needs from a message; `body` is the new text, `text` the whole text."""

    message_id: str | None
    digest: str  # the de-duplication key (Message-ID and content hash)
    content_hash: str
    from_name: str
    from_email: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    reply_to: str | None
    subject: str
    date: datetime | None
    text: str
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    automatic: str | None = None  # why the message is an auto-reply / bulk / bounce
    bounce: bool = False
    bounced_ids: list[str] = field(default_factory=list)
    loop: str | None = None  # the X-Loop header value, if any
    headers: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)

    @property
    def subject_ref(self) -> int | None:
        """The ticket number in a `[#1042]` subject tag, if any."""
        match = _SUBJECT_REF.search(self.subject)
        return int(match.group(1)) if match else None

    @property
    def clean_subject(self) -> str:
        """The subject without Re:/Fwd: prefixes and `[#1042]` tags."""
        subject = _SUBJECT_REF.sub("", self.subject)
        subject = _SUBJECT_PREFIX.sub("", subject.strip())
        return " ".join(subject.split()) or "(no subject)"

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, most specific first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def _msgids(value: str) -> list[str]:
    return _MSGID_RE.findall(value or "")


def _automatic(msg: Message, from_email: str) -> tuple[str | None, bool]:
    """(reason, is_bounce) for auto-replies, bulk mail and delivery reports."""
    if msg.get_content_type() == "multipart/report":
        return f"delivery report ({msg.get_param('report-type') or 'report'})", True
    if _DAEMON.match(from_email):
        return f"mailer-daemon sender {from_email}", True
    if msg.get("Return-Path") is not None and headers.text(msg, "Return-Path").strip() == "<>":
        return "null Return-Path <>", True
    auto = headers.text(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}", False
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.get(name) is not None:
            return f"{name} header", False
    precedence = headers.text(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}", False
    return None, False


#: Headers added on the way (by relays, delivery agents, mail stores): they differ between
#: two deliveries of one message, so the content hash leaves them out.
_TRANSPORT_HEADERS = frozenset({
    b"received", b"return-path", b"delivered-to", b"x-original-to", b"x-delivered-to",
    b"envelope-to", b"x-envelope-to", b"x-envelope-from", b"status", b"x-status", b"x-uid",
    b"x-keywords", b"content-length", b"lines", b"x-mozilla-status", b"x-mozilla-status2",
    b"x-mozilla-keys", b"authentication-results", b"received-spf", b"x-received",
    b"arc-seal", b"arc-message-signature", b"arc-authentication-results", b"x-imapbase",
    b"x-gm-thrid", b"x-gmail-labels", b"x-spam-status", b"x-spam-score", b"x-spam-level",
    b"x-spam-checker-version", b"x-spam-flag", b"x-virus-scanned", b"x-original-arrival-time",
})


@dataclass(frozen=True)
class MessageKey:
    """How a message is recognised again: its Message-ID and a hash of its content.

    `digest` combines both: a duplicate is a message whose Message-ID *and* content match;
    a reused Message-ID with other content gets another digest and is imported.
    """

    message_id: str | None
    content_hash: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.message_id or ''}\0{self.content_hash}".encode()).hexdigest()


def message_key(raw: bytes) -> MessageKey:
    """The key of a message from its bytes alone (no MIME parse): a message seen before is
    skipped without decoding its body."""
    data = raw.replace(b"\r\n", b"\n")
    head, _, body = data.partition(b"\n\n")
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
    message_id = None
    digest = hashlib.sha256()
    for name, value in fields:
        if name == b"message-id" and message_id is None:
            found = _MSGID_RE.findall(value.decode("latin-1"))
            message_id = found[0] if found else None
        elif name not in _TRANSPORT_HEADERS:
            digest.update(name + b":" + b" ".join(value.split()) + b"\n")
    digest.update(b"\n" + body.rstrip())
    return MessageKey(message_id, digest.hexdigest())


def message_digest(raw: bytes) -> str:
    """The de-duplication key of a message (see `MessageKey`)."""
    return message_key(raw).digest


def parse_headers(raw: bytes) -> ParsedMail | None:
    """Sender and subject of a message that will not be loaded whole (quarantine lists)."""
    head = raw[:65536].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0] + b"\n\n"
    try:
        return parse_message(head)
    except Exception:
        return None


#: Where the requester comes from when a message has no usable From (RFC 5322 order).
REQUESTER_HEADERS = ("From", "Sender", "Reply-To", "Return-Path")


def _declared_charsets(msg: Message) -> tuple[str, ...]:
    """The charsets a message's text parts declare: hints for its undeclared bytes."""
    found: list[str] = []
    for part in msg.walk():
        try:
            label = part.get_content_charset()
        except Exception:
            label = None
        codec = charsets.codec_name(label)
        if codec and codec not in ("ascii", "us-ascii", "utf-8") and codec not in found:
            found.append(codec)
    return tuple(found)


def _raw_header_charset(msg: Message) -> tuple[str, ...]:
    """For a message that declares no charset but has raw 8-bit header bytes: the codec
    of all those bytes read together (a sender's client wrote every header in one table,
    and one short header alone is too little to tell KOI8-R from Hebrew)."""
    raw = [v.encode("utf-8", "surrogateescape") for _, v in msg.raw_items()
           if any("\udc80" <= ch <= "\udcff" for ch in str(v))]
    if not raw:
        return ()
    codec = charsets.detect_codec(b"\n".join(raw))
    return (codec,) if codec else ()


def _date(msg: Message) -> datetime | None:
    value = headers.text(msg, "Date")
    try:
        return parsedate_to_datetime(value) if value else None
    except Exception:
        return None


def parse_message(raw: bytes, key: MessageKey | None = None) -> ParsedMail:
    """Parse raw RFC 5322 bytes; malformed input gives defects, not exceptions. `key`:
    the message's `message_key`, when the caller has it already."""
    # compat32 keeps headers as raw strings (parsed on demand, by `headers`): several times
    # faster than policy.default, which builds a header object for every value read
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    hints = _declared_charsets(msg) or _raw_header_charset(msg)
    from_name, from_email, _ = headers.first_address(msg, REQUESTER_HEADERS, hints)
    key = key or message_key(raw)
    content = read_content(msg, hints)
    text = content.text
    automatic, bounce = _automatic(msg, from_email)
    defects = [type(d).__name__ for part in msg.walk() for d in part.defects]
    reply_to = headers.addresses(msg, "Reply-To", hints)
    return ParsedMail(
        message_id=key.message_id,
        digest=key.digest,
        content_hash=key.content_hash,
        from_name=from_name,
        from_email=from_email,
        to=headers.addresses(msg, "To", hints),
        cc=headers.addresses(msg, "Cc", hints),
        reply_to=reply_to[0][1] if reply_to else None,
        subject=headers.text(msg, "Subject", hints),
        date=_date(msg),
        text=text,
        body=strip_reply(text) if text else "",
        attachments=content.attachments,
        in_reply_to=_msgids(headers.text(msg, "In-Reply-To")),
        references=_msgids(headers.text(msg, "References")),
        automatic=automatic,
        bounce=bounce,
        bounced_ids=content.inner_ids if bounce else [],
        loop=headers.text(msg, "X-Loop") or None,
        headers={k: headers.text(msg, k) for k in ("X-Deskterm-Ticket", "Thread-Index")
                 if msg.get(k)},
        defects=defects,
    )
