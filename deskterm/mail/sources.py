"""Where inbound mail comes from: a Maildir, an mbox file, .eml files, or an IMAP folder.

Readers yield `(source, raw bytes)`; a message that cannot even be read yields the
exception instead of bytes, so one bad file never stops the rest.
"""

from __future__ import annotations

import imaplib
import mailbox as std_mailbox
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deskterm.config import ImapSettings
from deskterm.domain import BadInput, DomainError
from deskterm.mail import mbox

Message = tuple[str, "bytes | Exception"]


class NotMail(Exception):
    """A file that is not a mail message (skipped and reported, never imported)."""


_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_MAIL_HEADERS = re.compile(
    rb"^(from|to|subject|date|message-id|received|return-path|mime-version|sender|"
    rb"delivered-to|reply-to|cc|in-reply-to|references)\s*:", re.I | re.M,
)


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _sniff(head: bytes) -> str | None:
    """What a file holds from its first bytes: mbox, mmdf, message, or None (not mail)."""
    if head.startswith(b"From "):
        return "mbox"
    if head.startswith(b"\x01\x01\x01\x01"):
        return "mmdf"
    text = head.replace(b"\r\n", b"\n").lstrip(b"\n")
    block = text.split(b"\n\n", 1)[0]
    if _HEADER_LINE.match(block) and _MAIL_HEADERS.search(block):
        return "message"
    return None


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(8192)


def read_maildir(path: Path) -> Iterator[Message]:
    """Every message of a Maildir (new and cur), in a stable order."""
    box = std_mailbox.Maildir(str(path), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            yield f"{path.name}/{key}", box.get_bytes(key)
        except (OSError, KeyError) as error:
            yield f"{path.name}/{key}", error


def _read_box(box: std_mailbox.Mailbox, name: str) -> Iterator[Message]:
    try:
        for index, key in enumerate(box.iterkeys()):
            try:
                yield f"{name}#{index + 1}", box.get_bytes(key)
            except (OSError, KeyError) as error:
                yield f"{name}#{index + 1}", error
    finally:
        box.close()


def read_mbox(path: Path) -> Iterator[Message]:
    """Every message of an mbox file, read as mboxcl2 or mboxrd (see `mail.mbox`)."""
    try:
        for index, raw in enumerate(mbox.read_messages(path)):
            yield f"{path.name}#{index + 1}", raw
    except OSError as error:
        yield path.name, error


def read_mmdf(path: Path) -> Iterator[Message]:
    """Every message of an MMDF file (messages between ^A^A^A^A lines)."""
    return _read_box(std_mailbox.MMDF(str(path), create=False), path.name)


def read_files(paths: list[Path], root: Path | None = None) -> Iterator[Message]:
    """Each file by its content: a message, an mbox or MMDF file, or skipped with a reason."""
    for file in paths:
        name = str(file.relative_to(root)) if root else file.name
        try:
            kind = _sniff(_head(file))
            if kind == "mbox":
                yield from read_mbox(file)
            elif kind == "mmdf":
                yield from read_mmdf(file)
            elif kind == "message":
                yield name, file.read_bytes()
            else:
                yield name, NotMail("not a mail message (no RFC 822 headers)")
        except OSError as error:
            yield name, error


def read_path(path: Path) -> Iterator[Message]:
    """Messages from a Maildir, an mbox or MMDF file, one message file, or a folder of
    files of any name (each read by its content; the others reported as skipped)."""
    if not path.exists():
        raise BadInput(f"no such file or folder: {path}")
    if _is_maildir(path):
        return read_maildir(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()
                       and not p.name.startswith("."))
        if not files:
            raise BadInput(f"{path} is an empty folder")
        return read_files(files, path)
    return read_files([path])


# --- IMAP -------------------------------------------------------------------------------

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_KEYWORD = "$DesktermImported"


@dataclass
class FetchedMessage:
    uid: str
    source: str
    raw: bytes | None  # None when too large (headers only in `headers`)
    size: int
    headers: bytes = b""


class ImapSource:
    """One IMAP session over a folder: list unprocessed messages, fetch, mark processed."""

    def __init__(self, settings: ImapSettings) -> None:
        if not settings.host:
            raise BadInput("no IMAP host configured ([mail.imap] host or DESKTERM_IMAP_HOST)")
        self.settings = settings
        self.client: imaplib.IMAP4 | None = None
        self.can_move = False

    def __enter__(self) -> ImapSource:
        s = self.settings
        try:
            context = ssl.create_default_context(cafile=s.ca_file or None)
            if s.security == "ssl":
                client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=context, timeout=s.timeout
                )
            else:
                client = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(ssl_context=context)
            if s.user:
                client.login(s.user, s.password)
            status, _ = client.select(_quote(s.folder))
            if status != "OK":
                raise DomainError(f"IMAP folder {s.folder!r} cannot be selected")
        except (imaplib.IMAP4.error, OSError) as error:
            raise DomainError(f"IMAP {s.host}:{s.port}: {error}") from None
        self.client = client
        self.can_move = "MOVE" in client.capabilities
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                self.client.close()
                self.client.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self.client = None

    def pending_uids(self) -> list[str]:
        """UIDs not yet processed (not flagged by deskterm; moved ones are gone anyway)."""
        assert self.client is not None
        status, data = self.client.uid("SEARCH", None, "UNKEYWORD", _KEYWORD)
        if status != "OK":
            status, data = self.client.uid("SEARCH", None, "ALL")
        return [u.decode() for u in (data[0] or b"").split()]

    def fetch(self, uid: str, max_bytes: int) -> FetchedMessage:
        """One message by UID; a message over `max_bytes` comes back with headers only."""
        assert self.client is not None
        source = f"imap:{self.settings.folder}/{uid}"
        _, data = self.client.uid("FETCH", uid, "(RFC822.SIZE)")
        match = _SIZE.search(b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
        size = int(match.group(1)) if match else 0
        if size > max_bytes:
            _, data = self.client.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
            headers = next((d[1] for d in data if isinstance(d, tuple)), b"")
            return FetchedMessage(uid, source, None, size, headers)
        status, data = self.client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((d[1] for d in data if isinstance(d, tuple)), None)
        if status != "OK" or raw is None:
            raise DomainError(f"IMAP fetch of {source} failed: {status}")
        return FetchedMessage(uid, source, raw, size or len(raw))

    def mark_processed(self, uid: str) -> None:
        """Move the message to the processed folder, or flag it (per config)."""
        assert self.client is not None
        s = self.settings
        if s.processed == "move":
            if self.can_move:
                status, _ = self.client.uid("MOVE", uid, _quote(s.move_to))
                if status == "OK":
                    return
            status, _ = self.client.uid("COPY", uid, _quote(s.move_to))
            if status == "OK":
                self.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                self.client.expunge()
                return
        self.client.uid("STORE", uid, "+FLAGS.SILENT", f"(\\Seen {_KEYWORD})")


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_imap(
    settings: ImapSettings,
    max_bytes: int,
    handle: Callable[[str, bytes, str | None], str],
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """Fetch unprocessed messages, pass each to `handle(source, raw, quarantine_reason)`,
    and mark it processed once handled (whatever the outcome, because it is recorded:
    imported, ignored or quarantined). An oversized message is handed over as its headers
    with a reason, so it is quarantined, not loaded. Errors on one message do not stop
    the rest."""
    outcomes: list[tuple[str, str]] = []
    with ImapSource(settings) as imap:
        for uid in imap.pending_uids()[:limit]:
            try:
                message = imap.fetch(uid, max_bytes)
                if message.raw is None:
                    reason = f"too large ({message.size} bytes; headers kept)"
                    status = handle(message.source, message.headers, reason)
                else:
                    status = handle(message.source, message.raw, None)
                imap.mark_processed(uid)
            except (imaplib.IMAP4.error, OSError, DomainError) as error:
                status = f"error: {error}"
            outcomes.append((f"imap:{settings.folder}/{uid}", status))
    return outcomes
