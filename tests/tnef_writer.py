"""A minimal TNEF (winmail.dat) writer for tests, after MS-OXTNEF's attribute layout:
signature, key, then attributes (level, id with type, length, data, checksum)."""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2


def _attribute(level: int, kind: int, name: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def _unicode_prop(prop_id: int, text: str) -> bytes:
    """One PT_UNICODE MAPI property (value count 1, length, UTF-16LE with NUL, padded)."""
    raw = (text + "\0").encode("utf-16-le")
    padded = raw + b"\0" * (-len(raw) % 4)
    return struct.pack("<HHII", 0x001F, prop_id, 1, len(raw)) + padded


def tnef(body: str, files: list[tuple[str, bytes]], *, html: str | None = None,
         codepage: int = 1250) -> bytes:
    """A winmail.dat with a plain body in `codepage` (or an HTML body in MAPI props) and files;
    each file's long (Unicode) name goes in attAttachment, its 8.3 name in attAttachTitle."""
    out = struct.pack("<IH", SIGNATURE, 0x0001)
    out += _attribute(MESSAGE, 0x0008, 0x9006, struct.pack("<I", 0x00010000))  # version
    out += _attribute(MESSAGE, 0x0006, 0x9007, struct.pack("<II", codepage, 0))  # OEM codepage
    out += _attribute(MESSAGE, 0x0007, 0x8008, b"IPM.Microsoft Mail.Note\0")
    if html is None:
        out += _attribute(MESSAGE, 0x0002, 0x800C, body.encode(f"cp{codepage}"))  # attBody
    else:
        raw = html.encode("utf-8")
        prop = struct.pack("<HHII", 0x0102, 0x1013, 1, len(raw)) + raw + b"\0" * (-len(raw) % 4)
        out += _attribute(MESSAGE, 0x0006, 0x9003, struct.pack("<I", 1) + prop)  # MAPI props
    for name, data in files:
        short = name.encode("ascii", "replace")[:12] + b"\0"
        out += _attribute(ATTACHMENT, 0x0006, 0x9002, b"\x01\x00\xff\xff\xff\xff" + b"\0" * 8)
        out += _attribute(ATTACHMENT, 0x0001, 0x8010, short)
        out += _attribute(ATTACHMENT, 0x0006, 0x800F, data)
        props = struct.pack("<I", 1) + _unicode_prop(0x3707, name)
        out += _attribute(ATTACHMENT, 0x0006, 0x9005, props)
    return out
