"""Text the user hands a command in a file or on standard input, decoded strictly."""

from __future__ import annotations

import sys
from pathlib import Path

from deskterm.domain import BadInput, NotFound


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{where} is not valid UTF-8 text (byte {data[error.start]:#04x} at offset "
            f"{error.start})"
        ) from None


def read_stdin() -> str:
    """All of standard input as UTF-8 text; BadInput names it when it is not."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a test runner's text stream
        return sys.stdin.read()
    return _decode(stream.read(), "standard input")


def read_text(path: Path | str) -> str:
    """A file (or `-` for standard input) as UTF-8 text; the error names the file."""
    if str(path) == "-":
        return read_stdin()
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    return _decode(path.read_bytes(), str(path))
