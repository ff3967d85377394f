"""Read an mbox file the way the variant that wrote it meant: mboxrd or mboxcl2.

Every variant starts each message with a `From ` line; they differ in how a body line that
itself starts with `From ` survives:

- **mboxcl2** writes a `Content-Length:` header and leaves the body alone, so a body line
  `From here on...` is not a separator. A file is read as mboxcl2 when every message has a
  Content-Length that ends exactly at the next `From ` line (or the end of the file).
- **mboxrd** (and the older mboxo) quotes such lines with `>`: `>From ` stands for `From `
  and `>>From ` for `>From `. Any other file is read this way: split at `From ` lines and
  take one `>` off every `>*From ` line. (mboxo quoted only `From `, so an mboxo body line
  that really began `>From ` loses its `>`; the two cannot be told apart.)

The file is memory-mapped, so a large mbox is never read into memory whole.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from pathlib import Path

_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.I | re.M)
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.M)
_SEPARATOR = b"\nFrom "


def _header_end(data: mmap.mmap | bytes, start: int) -> tuple[int, int]:
    """(end of the header block, start of the body) of the message whose headers begin
    at `start`; a message without a body ends at the file's end."""
    lf = data.find(b"\n\n", start)
    limit = len(data) if lf == -1 else lf
    crlf = data.find(b"\n\r\n", start, limit)
    if crlf != -1:
        return crlf + 1, crlf + 3
    if lf != -1:
        return lf + 1, lf + 2
    return len(data), len(data)


def _after_from_line(data: mmap.mmap | bytes, at: int) -> int:
    end = data.find(b"\n", at)
    return len(data) if end == -1 else end + 1


def _from_at(data: mmap.mmap | bytes, at: int) -> bool:
    return data[at:at + 5] == b"From "


def _skip_blank(data: mmap.mmap | bytes, at: int) -> int:
    while at < len(data) and data[at:at + 1] in (b"\n", b"\r"):
        at += 1
    return at


def _is_boundary(data: mmap.mmap | bytes, at: int) -> bool:
    """Whether a message may end at `at`: (after blank lines) the file's end or `From `."""
    at = _skip_blank(data, at)
    return at == len(data) or _from_at(data, at)


def _cl2_spans(data: mmap.mmap | bytes) -> list[tuple[int, int]] | None:
    """Every message's (start, end) by its Content-Length, or None when one has none or
    one does not end at a separator (then the file is not mboxcl2)."""
    spans: list[tuple[int, int]] = []
    at = 0
    while at < len(data):
        if not _from_at(data, at):
            return None
        start = _after_from_line(data, at)
        header_end, body = _header_end(data, start)
        found = _CONTENT_LENGTH.search(data[start:header_end])
        if found is None:
            return None
        end = body + int(found.group(1))
        if end > len(data) or not _is_boundary(data, end):
            return None
        spans.append((start, end))
        at = _skip_blank(data, end)
    return spans


def _rd_spans(data: mmap.mmap | bytes) -> Iterator[tuple[int, int]]:
    """Every message's (start, end) between `From ` lines (mboxrd, mboxo)."""
    at = 0 if _from_at(data, 0) else data.find(_SEPARATOR)
    if at == -1:
        return
    if at:
        at += 1
    while at < len(data):
        start = _after_from_line(data, at)
        following = data.find(_SEPARATOR, start - 1)
        end = len(data) if following == -1 else following + 1
        yield start, end
        at = end


def _trim(message: bytes) -> bytes:
    """Drop the blank line a writer puts before the next `From ` line."""
    if message.endswith(b"\r\n\r\n"):
        return message[:-2]
    if message.endswith(b"\n\n"):
        return message[:-1]
    return message


class _Released:
    """Hands the pages of a mapping back once read (they would count as the process's
    memory until the end: a 1 GB mbox would look like a 1 GB importer)."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.upto = 0

    def upto_offset(self, offset: int) -> None:
        end = offset - offset % mmap.PAGESIZE
        if end > self.upto and hasattr(self.data, "madvise"):
            self.data.madvise(mmap.MADV_DONTNEED, self.upto, end - self.upto)
            self.upto = end


def read_messages(path: Path) -> Iterator[bytes]:
    """The raw bytes of every message in the mbox file at `path`, in order."""
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            released = _Released(data)
            spans = _cl2_spans(data)
            released.upto_offset(len(data))
            released.upto = 0
            if spans is not None:
                for start, end in spans:
                    yield data[start:end]
                    released.upto_offset(end)
                return
            for start, end in _rd_spans(data):
                yield _QUOTED_FROM.sub(rb"\1", _trim(data[start:end]))
                released.upto_offset(end)


def variant(path: Path) -> str:
    """`mboxcl2` or `mboxrd`: how `read_messages` reads the file."""
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return "mboxrd"
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return "mboxcl2" if _cl2_spans(data) is not None else "mboxrd"
