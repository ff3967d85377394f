"""The parts of a MIME message: which text is the body, what is attached, what was forwarded.

- `multipart/alternative`: the best non-empty rendering (plain if it has text, else HTML
  made text, else a richer part such as `multipart/related`).
- `message/rfc822` (Outlook and Apple forwards, nested several deep): its headers and text
  are rendered into the body under a "Forwarded message" line; its attachments are kept.
- uuencoded blocks (`begin 644 name` ... `end`) inside text parts become attachments.
- TNEF (`winmail.dat`) is unpacked: its text joins the body, its files are attachments
  (kept as `winmail.dat` when it cannot be read).
- every other leaf part (inline images included) is an attachment.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from deskterm.mail import charsets, headers, tnef
from deskterm.mail.html_text import html_to_text

FORWARD_LINE = "---------- Forwarded message ----------"
_MAX_DEPTH = 12
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_UU_BEGIN = re.compile(r"^begin ([0-7]{3,4}) (\S[^\n]*)$", re.M)
_REPORT_TYPES = ("message/delivery-status", "message/disposition-notification",
                 "text/rfc822-headers")


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class Content:
    """A message's readable text, its files, and the Message-IDs of attached originals."""

    text: str = ""
    attachments: list[MailAttachment] = field(default_factory=list)
    inner_ids: list[str] = field(default_factory=list)


def part_text(part: Message, hints: tuple[str, ...] = ()) -> str:
    """A text part decoded from its bytes: the declared charset first, then detection."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    try:
        label = part.get_content_charset()
    except Exception:
        label = None
    text = charsets.decode(payload, label, hints)
    return charsets.scrub(text.replace("\r\n", "\n").replace("\r", "\n"))


def safe_filename(name: str | None, content_type: str, counter: int) -> str:
    """A file name with no path, control characters or leading dots (one made up if none)."""
    if name:
        name = re.sub(r"[\x00-\x1f/\\]", "_", charsets.scrub(name)).strip().lstrip(".") or ""
    if not name:
        is_message = content_type == "message/rfc822"
        ext = ".eml" if is_message else (mimetypes.guess_extension(content_type) or ".bin")
        name = f"{'message' if is_message else 'attachment'}-{counter}{ext}"
    return name[:200]


def _filename(part: Message, hints: tuple[str, ...]) -> str | None:
    """RFC 2231 names, and the encoded words many clients put in a name instead."""
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    if isinstance(name, tuple):  # an RFC 2231 value compat32 could not collapse
        name = name[2]
    return " ".join(headers.decode_words(str(name), hints).split())


def _leaf_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    return str(part.get_payload() or "").encode("utf-8", "surrogateescape")


def _inner_message(part: Message) -> Message | None:
    inner = part.get_payload()
    if isinstance(inner, list):
        inner = inner[0] if inner else None
    return inner if isinstance(inner, Message) else None


def _header(msg: Message, name: str, hints: tuple[str, ...]) -> str:
    return headers.text(msg, name, hints)


def split_uuencoded(text: str) -> tuple[str, list[MailAttachment]]:
    """Cut `begin 644 name` ... `end` blocks out of a text; each becomes an attachment."""
    if "begin " not in text:
        return text, []
    files: list[MailAttachment] = []
    kept: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _UU_BEGIN.match(lines[i])
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "end"), None)
        if match is None or end is None:
            kept.append(lines[i])
            i += 1
            continue
        data = bytearray()
        try:
            for line in lines[i + 1 : end]:
                data += _uu_line(line)
        except binascii.Error:
            kept.append(lines[i])
            i += 1
            continue
        name = match.group(2).strip()
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(MailAttachment(safe_filename(name, ctype, len(files) + 1), ctype,
                                    bytes(data)))
        i = end + 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)), files


def _uu_line(line: str) -> bytes:
    line = line.rstrip("\r")
    if not line or line == "`":
        return b""
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:  # encoders that drop trailing spaces: cut to the stated length
        count = ((ord(line[0]) - 32) & 63) * 4 + 5
        return binascii.a2b_uu(line[: count // 3])


class _Reader:
    def __init__(self, hints: tuple[str, ...]) -> None:
        self.hints = hints
        self.content = Content()
        self.texts: list[str] = []
        self.tnef_texts: list[str] = []  # the body only when the message has no other text

    def attach(self, part: Message, data: bytes, filename: str | None) -> None:
        if not data:
            return
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        cid = (str(part.get("Content-ID") or "")).strip().strip("<>") or None
        files = self.content.attachments
        files.append(MailAttachment(
            filename=safe_filename(filename, ctype, len(files) + 1),
            content_type=ctype,
            data=data,
            inline=disposition == "inline" or (cid is not None and disposition != "attachment"),
            content_id=cid,
        ))

    def add_file(self, filename: str, data: bytes) -> None:
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        files = self.content.attachments
        files.append(MailAttachment(safe_filename(filename, ctype, len(files) + 1), ctype, data))

    def add_tnef(self, part: Message, data: bytes, filename: str | None) -> None:
        unpacked = tnef.unpack(data)
        if unpacked is None:
            self.attach(part, data, filename)
            return
        if unpacked.text:
            self.tnef_texts.append(unpacked.text)
        for name, content in unpacked.files:
            self.add_file(name, content)

    def add_text(self, text: str) -> None:
        text, files = split_uuencoded(text)
        self.content.attachments.extend(files)
        if text.strip():
            self.texts.append(text.strip())

    def walk(self, part: Message, depth: int = 0) -> None:
        ctype = part.get_content_type()
        if ctype in _REPORT_TYPES:
            self.content.inner_ids += _report_ids(part, self.hints)
        if depth > _MAX_DEPTH:
            self.attach(part, _leaf_bytes(part), _filename(part, self.hints))
            return
        if ctype == "message/rfc822":
            self.forwarded(part, depth)
            return
        if part.is_multipart():
            kids = [p for p in part.get_payload() if isinstance(p, Message)]
            if ctype == "multipart/alternative":
                self.alternative(kids, depth)
            else:
                for kid in kids:
                    self.walk(kid, depth + 1)
            return
        if ctype == "message/delivery-status":
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part, self.hints)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = part_text(part, self.hints)
            self.add_text(html_to_text(text) if ctype == "text/html" else text)
            return
        if tnef.is_tnef(ctype, filename):
            self.add_tnef(part, _leaf_bytes(part), filename)
            return
        self.attach(part, _leaf_bytes(part), filename)

    def alternative(self, kids: list[Message], depth: int) -> None:
        """The first plain part with text, else the richest rendering that has text."""
        for kid in kids:
            if kid.get_content_type() == "text/plain" and part_text(kid, self.hints).strip():
                self.walk(kid, depth + 1)
                return
        for kid in reversed(kids):
            trial = _Reader(self.hints)
            trial.walk(kid, depth + 1)
            if trial.texts or kid is kids[0]:
                self.texts += trial.texts
                self.content.attachments += trial.content.attachments
                self.content.inner_ids += trial.content.inner_ids
                return

    def forwarded(self, part: Message, depth: int) -> None:
        inner = _inner_message(part)
        if inner is None:
            self.attach(part, _leaf_bytes(part), _filename(part, self.hints))
            return
        self.content.inner_ids += _MSGID_RE.findall(_header(inner, "Message-ID", self.hints))
        nested = _Reader(self.hints)
        nested.walk(inner, depth + 1)
        lines = [FORWARD_LINE]
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = _header(inner, name, self.hints)
            if value:
                lines.append(f"{name}: {value}")
        self.texts.append("\n".join(lines) + "\n\n" + "\n\n".join(nested.texts))
        self.content.attachments += nested.content.attachments
        self.content.inner_ids += nested.content.inner_ids


def _report_ids(part: Message, hints: tuple[str, ...]) -> list[str]:
    """Message-IDs named in a delivery report's returned headers."""
    import email

    try:
        text = part_text(part, hints) if part.get_content_maintype() == "text" else str(
            part.get_payload()[0] if isinstance(part.get_payload(), list) else part.get_payload()
        )
        inner = email.message_from_string(text, policy=policy.compat32)
        return _MSGID_RE.findall(str(inner.get("Message-ID", "")))
    except Exception:
        return []


def read_content(msg: Message, hints: tuple[str, ...] = ()) -> Content:
    """The text, attachments and attached Message-IDs of a parsed message."""
    reader = _Reader(hints)
    reader.walk(msg)
    reader.content.text = "\n\n".join(reader.texts or reader.tnef_texts).strip()
    return reader.content
