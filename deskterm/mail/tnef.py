"""Unpack Outlook's TNEF attachment (`winmail.dat`, `application/ms-tnef`) with tnefparse.

Outlook wraps the files (and sometimes the text) of a message in TNEF; other mail clients
show one useless `winmail.dat`. `unpack` returns the body text and the files inside, or
None when there is nothing usable (then the caller keeps `winmail.dat` as it came). An
RTF-only body (compressed RTF) is not turned into text: the files are still unpacked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from deskterm.mail import charsets
from deskterm.mail.html_text import html_to_text

log = logging.getLogger("deskterm.mail")


@dataclass(frozen=True)
class Unpacked:
    text: str
    files: list[tuple[str, bytes]]


def is_tnef(content_type: str, filename: str | None) -> bool:
    return content_type in ("application/ms-tnef", "application/vnd.ms-tnef") or (
        (filename or "").strip().lower() == "winmail.dat")


def _text(value: object, codepage: str | None) -> str:
    if isinstance(value, bytes):
        return charsets.decode(value.rstrip(b"\0"), codepage)
    return str(value or "").rstrip("\0")


def unpack(data: bytes) -> Unpacked | None:
    """The text and files inside a TNEF blob; None when it is not TNEF or holds nothing."""
    from tnefparse import TNEF

    try:
        decoded = TNEF(data, do_checksum=False)
        files = [(_text(a.long_filename() or a.name, decoded.codepage), a.data)
                 for a in decoded.attachments if a.data]
        text = _text(decoded.body, decoded.codepage).strip()
        if not text and decoded.htmlbody:
            text = html_to_text(_text(decoded.htmlbody, None)).strip()
    except Exception as error:  # a damaged or unusual blob: keep it as a file
        log.info("winmail.dat not unpacked: %r", error)
        return None
    text = charsets.scrub(text.replace("\r\n", "\n"))
    return Unpacked(text, files) if files or text else None
