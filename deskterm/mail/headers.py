"""Header values as text, and addresses the RFC 5322 way.

Encoded words (`=?gb2312?B?...?=`) are decoded with the same charset rules as bodies
(aliases, detection), adjacent words of one charset joined before decoding (clients split
multi-byte characters between them), and raw 8-bit bytes decoded like undeclared text.
Addresses are then parsed by `email.headerregistry`: quoted local parts
(`"test test"@example.com`) and dotless domains (`root@localhost`) are addresses.
"""

from __future__ import annotations

import base64
import binascii
import re
from email import policy
from email.message import Message
from email.utils import getaddresses

from deskterm.mail import charsets

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "q":
        return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded)
    except (binascii.Error, ValueError):
        return base64.b64decode(re.sub(r"[^A-Za-z0-9+/]", "", text) + "==", validate=False)


def decode_words(value: str, hints: tuple[str, ...] = (), *, quote: bool = False) -> str:
    """A raw header value as text. With `quote`, decoded words that hold address specials
    become quoted strings, so a display name "Hadžić, Selma" stays one name."""
    value = charsets.fix_surrogates(value, hints)
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending: tuple[str, bytearray] | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            label, data = pending
            text = charsets.scrub(charsets.decode(bytes(data), label or None, hints))
            if quote and _SPECIALS.search(text):
                text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            pieces.append(text)
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        label = match.group(1).split("*", 1)[0].lower()
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            continue
        if pending is not None and not between.strip() and pending[0] == label:
            pending[1].extend(data)
        else:
            if pending is not None and not between.strip():
                between = ""  # whitespace between encoded words is not text
            flush()
            pieces.append(between)
            pending = (label, bytearray(data))
        pos = match.end()
    flush()
    pieces.append(value[pos:])
    return "".join(pieces)


def raw_values(msg: Message, name: str) -> list[str]:
    """Every raw value of a header (surrogate-escaped where bytes were 8-bit)."""
    lower = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == lower]


def text(msg: Message, name: str, hints: tuple[str, ...] = ()) -> str:
    """The first value of a header as one line of text ('' when absent)."""
    values = raw_values(msg, name)
    if not values:
        return ""
    return " ".join(decode_words(values[0], hints).split())


def _valid(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in domain)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
#: One plain mailbox, `Name <local@domain>` or `local@domain`: no quotes, comments, dots
#: in the name, groups or lists. It reads the same by a regular expression as by
#: headerregistry, which costs most of a message's parse; anything else goes there.
_PLAIN_MAILBOX = re.compile(
    rf'^(?:([^"<>()\[\],;:\\@.]*?) ?<({_PLAIN_ADDRESS})>|({_PLAIN_ADDRESS}))$')


def _pairs(decoded: str, name: str) -> list[tuple[str, str]]:
    plain = _PLAIN_MAILBOX.match(decoded)
    if plain is not None:
        return [((plain.group(1) or "").strip(), plain.group(2) or plain.group(3))]
    header = policy.default.header_factory(name, decoded)
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def addresses(msg: Message, name: str, hints: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, lower-cased, without duplicates."""
    found: list[tuple[str, str]] = []
    for raw in raw_values(msg, name):
        decoded = " ".join(decode_words(raw, hints, quote=True).split())
        try:
            pairs = _pairs(decoded, name)
        except Exception:
            pairs = getaddresses([decoded])
        if not pairs or all(not _valid((a or "").strip("<> ")) for _, a in pairs):
            pairs = getaddresses([decoded]) + pairs
        for display, addr in pairs:
            addr = charsets.scrub((addr or "").strip().strip("<>").strip()).lower()
            if _valid(addr) and addr not in {a for _, a in found}:
                found.append((charsets.scrub(display or "").strip(), addr))
    return found


def first_address(msg: Message, names: tuple[str, ...], hints: tuple[str, ...] = ()
                  ) -> tuple[str, str, str]:
    """(display name, address, header) from the first of `names` that holds an address."""
    for name in names:
        pairs = addresses(msg, name, hints)
        if pairs:
            return pairs[0][0], pairs[0][1], name
    return "", "", ""
