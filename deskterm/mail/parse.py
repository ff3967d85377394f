"""Parse one raw mail message into a `ParsedMail` (no database, never raises on messy input).

Uses the standard `email` package with `policy.default`: encoded-word headers and any body
charset are decoded (unknown or lying charsets fall back to utf-8, then windows-1251/1252
guesses, never to mojibake-with-exception), text/plain is preferred over HTML, HTML-only
bodies become readable text, and every non-body part (inline images included) becomes an
attachment. Automatic mail (auto-replies, bulk, bounces) is classified, not dropped.
"""

from __future__ import annotations

import email
import email.header
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from deskterm.mail.html_text import html_to_text
from deskterm.mail.quoting import strip_reply

_MSGID_RE = re.compile(r"<[^<>\s]+>")
_SUBJECT_REF = re.compile(r"\[#(\d+)\]")
_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|odg|odgovor|tr|отв|пер|رد)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.I)
_FALLBACK_CHARSETS = ("utf-8", "windows-1251", "windows-1252")
_CHARSET_ALIASES = {
    "cp-1251": "windows-1251", "win-1251": "windows-1251", "x-cp1251": "windows-1251",
    "cp-1250": "windows-1250", "win-1250": "windows-1250", "x-cp1250": "windows-1250",
    "utf8": "utf-8", "x-user-defined": "windows-1252", "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949", "ansi_x3.4-1968": "ascii", "unknown-8bit": "utf-8",
}


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


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


def _charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip('"').lower()
    return _CHARSET_ALIASES.get(name, name)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode `data` in `charset`, falling back to common charsets instead of failing."""
    candidates = [c for c in (_charset(charset), *_FALLBACK_CHARSETS) if c]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _fix_surrogates(value: str, hint: str | None) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: decode them with the body charset."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), hint)


def _header(msg: EmailMessage, name: str, hint: str | None = None) -> str:
    """One header as decoded text ('' when absent); never raises on malformed values."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:  # a header the policy cannot parse: decode it by hand
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
        try:
            parts = email.header.decode_header(str(raw))
            text = "".join(
                decode_bytes(p, c) if isinstance(p, bytes) else p for p, c in parts
            )
        except Exception:
            text = str(raw)
    return " ".join(_fix_surrogates(text, hint).split())


def _addresses(msg: EmailMessage, name: str, hint: str | None) -> list[tuple[str, str]]:
    values = []
    for key, raw in msg.raw_items():
        if key.lower() != name.lower():
            continue
        try:
            header = msg.policy.header_factory(key, raw)
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:
            pairs = getaddresses([_header(msg, name, hint)])
        for display, addr in pairs:
            addr = (addr or "").strip().strip("<>").lower()
            if "@" in addr and addr not in {a for _, a in values}:
                values.append((_fix_surrogates(display or "", hint).strip(), addr))
    return values


def _msgids(value: str) -> list[str]:
    return _MSGID_RE.findall(value or "")


def _part_text(part: EmailMessage) -> str:
    """A text part decoded from its bytes: declared charset first, then fallbacks.

    An undeclared or us-ascii charset on 8-bit bytes is common in messy mail; those
    bytes are tried as utf-8 and the fallbacks instead of becoming replacement marks.
    """
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = _charset(part.get_content_charset())
    if charset in (None, "us-ascii", "ascii") and any(b > 0x7F for b in payload):
        charset = None
    return decode_bytes(payload, charset)


def _safe_filename(name: str | None, content_type: str, counter: int) -> str:
    if name:
        name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip().lstrip(".") or ""
    if not name:
        ext = mimetypes.guess_extension(content_type) or ".bin"
        stem = "message" if content_type == "message/rfc822" else "attachment"
        name = f"{stem}-{counter}{'.eml' if content_type == 'message/rfc822' else ext}"
    return name[:200]


def _part_bytes(part: EmailMessage) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            inner = inner[0]
        try:
            return inner.as_bytes(policy=policy.SMTP) if hasattr(inner, "as_bytes") else b""
        except Exception:
            return str(inner).encode("utf-8", "replace")
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return str(part.get_payload() or "").encode("utf-8", "surrogateescape")


def _body_part(msg: EmailMessage) -> EmailMessage | None:
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    if body is None and not msg.is_multipart() and msg.get_content_maintype() == "text":
        body = msg
    if body is None:  # e.g. multipart/mixed holding a text part marked inline oddly
        for part in msg.walk():
            if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
                return part
    return body


def _is_report_part(part: EmailMessage) -> bool:
    return part.get_content_type() in (
        "message/delivery-status", "message/disposition-notification", "text/rfc822-headers",
    )


def _alternatives_of(msg: EmailMessage, body: EmailMessage | None) -> set[int]:
    """ids of the parts that are alternative renderings of the chosen body."""
    siblings: set[int] = set()
    for part in msg.walk():
        if part.get_content_type() == "multipart/alternative" and body is not None:
            kids = part.get_payload() if isinstance(part.get_payload(), list) else []
            if any(k is body for k in kids):
                siblings.update(id(k) for k in kids)
    return siblings


def _collect(
    msg: EmailMessage, body: EmailMessage | None
) -> tuple[list[MailAttachment], list[str], list[str]]:
    """Attachments (every non-body leaf part, attached messages whole), extra inline
    texts, and the Message-IDs of attached originals (a bounce's returned message)."""
    attachments: list[MailAttachment] = []
    inner_ids: list[str] = []
    extra_texts: list[str] = []
    alternatives = _alternatives_of(msg, body)
    stack = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part is body or (id(part) in alternatives and ctype.startswith("text/")):
            continue
        if _is_report_part(part) or ctype == "message/rfc822":
            inner_ids += _msgids(_inner_header(part, "Message-ID"))
        if part.is_multipart() and ctype != "message/rfc822":
            stack[0:0] = [p for p in part.get_payload() if isinstance(p, EmailMessage)]
            continue
        if ctype == "message/delivery-status":
            continue
        disposition = (part.get_content_disposition() or "").lower()
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            if id(part) not in alternatives:
                extra = _part_text(part)
                extra = html_to_text(extra) if ctype == "text/html" else extra
                if extra.strip():
                    extra_texts.append(extra.strip())
            continue
        data = _part_bytes(part)
        if not data:
            continue
        cid = (part.get("Content-ID") or "").strip().strip("<>") or None
        if filename is None and ctype == "message/rfc822":
            filename = (_inner_header(part, "Subject") or "message")[:80] + ".eml"
        attachments.append(
            MailAttachment(
                filename=_safe_filename(filename, ctype, len(attachments) + 1),
                content_type=ctype,
                data=data,
                inline=disposition == "inline" or (cid is not None and disposition != "attachment"),
                content_id=cid,
            )
        )
    return attachments, extra_texts, inner_ids


def _inner_header(part: EmailMessage, name: str) -> str:
    """A header of an attached original message (message/rfc822 or text/rfc822-headers)."""
    try:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            return str(inner.get(name, "")) if hasattr(inner, "get") else ""
        if part.get_content_type() in ("text/rfc822-headers", "message/delivery-status"):
            text = _part_text(part)
            inner = email.message_from_string(text, policy=policy.default)
            return str(inner.get(name, ""))
    except Exception:
        return ""
    return ""


def _automatic(msg: EmailMessage, from_email: str) -> tuple[str | None, bool]:
    """(reason, is_bounce) for auto-replies, bulk mail and delivery reports."""
    if msg.get_content_type() == "multipart/report":
        return f"delivery report ({msg.get_param('report-type') or 'report'})", True
    if _DAEMON.match(from_email):
        return f"mailer-daemon sender {from_email}", True
    if msg.get("Return-Path") is not None and _header(msg, "Return-Path").strip() == "<>":
        return "null Return-Path <>", True
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}", False
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.get(name) is not None:
            return f"{name} header", False
    precedence = _header(msg, "Precedence").lower()
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


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes; malformed input gives defects, not exceptions."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body_part = _body_part(msg)
    hint = body_part.get_content_charset() if body_part is not None else None
    from_pairs = _addresses(msg, "From", hint) or _addresses(msg, "Sender", hint)
    if not from_pairs:
        name, addr = parseaddr(_header(msg, "From", hint))
        from_pairs = [(name, addr.lower())] if "@" in addr else [("", "")]
    from_name, from_email = from_pairs[0]
    key = message_key(raw)
    message_id = key.message_id
    if body_part is None:
        text = ""
    elif body_part.get_content_type() == "text/html":
        text = html_to_text(_part_text(body_part))
    else:
        text = _part_text(body_part)
    attachments, extra_texts, inner_ids = _collect(msg, body_part)
    text = "\n\n".join(t for t in [text.strip(), *extra_texts] if t)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    automatic, bounce = _automatic(msg, from_email)
    try:
        date = parsedate_to_datetime(_header(msg, "Date")) if msg.get("Date") else None
    except Exception:
        date = None
    defects = [type(d).__name__ for part in msg.walk() for d in part.defects]
    reply_to = _addresses(msg, "Reply-To", hint)
    return ParsedMail(
        message_id=message_id,
        digest=key.digest,
        content_hash=key.content_hash,
        from_name=from_name or "",
        from_email=from_email,
        to=_addresses(msg, "To", hint),
        cc=_addresses(msg, "Cc", hint),
        reply_to=reply_to[0][1] if reply_to else None,
        subject=_header(msg, "Subject", hint),
        date=date,
        text=text,
        body=strip_reply(text) if text else "",
        attachments=attachments,
        in_reply_to=_msgids(_header(msg, "In-Reply-To")),
        references=_msgids(_header(msg, "References")),
        automatic=automatic,
        bounce=bounce,
        bounced_ids=inner_ids if bounce else [],
        loop=_header(msg, "X-Loop") or None,
        headers={k: _header(msg, k) for k in ("X-Deskterm-Ticket", "Thread-Index") if msg.get(k)},
        defects=defects,
    )
