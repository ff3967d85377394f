"""Untrusted text made safe and right for a grid of terminal cells (display time only).

Nothing here changes stored data: every face keeps the text as received and the console
passes it through these helpers just before drawing.

- Control characters, bidi overrides/embeddings/isolates and zero-width format characters
  (ZWNJ, ZWJ, LRM/RLM, BOM, soft hyphen...) are dropped: terminals disagree on their width,
  so each one could shift a column or a border by a cell, and an override could reorder
  the rest of the line.
- Right-to-left runs (Persian, Arabic, Hebrew) are put in visual order with python-bidi,
  because most terminals draw cells strictly left to right. Its `bidi.algorithm` is used,
  not the faster Rust `bidi.get_display`: that one skips rule L4 (mirrored glyphs), so
  `(فاکتور)` would be drawn with its brackets facing outwards, `)روتکاف(`. Terminals that reorder bidi
  text themselves (mlterm, Konsole, VTE with bidi on) set `[console] bidi = "terminal"` in
  the config (or `DESKTERM_BIDI=terminal`) and get logical order.
- Text is cut in logical order, so a long Persian subject keeps its beginning and its `…`
  lands at its visual end (the left), and is padded to the exact cell width.
- Everything becomes a `Content` built from plain text, never parsed as markup.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from typing import Literal

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.fuzzy import Matcher

BidiMode = Literal["reorder", "terminal"]
BIDI_MODES: tuple[BidiMode, ...] = ("reorder", "terminal")

_mode: BidiMode = "reorder"

#: Right-to-left bidi classes (strong R and AL).
_RTL = {"R", "AL"}


def set_bidi_mode(mode: str) -> None:
    """`reorder` (the console reorders RTL runs) or `terminal` (the terminal does it)."""
    global _mode
    if mode not in BIDI_MODES:
        raise ValueError(f"bidi mode {mode!r}: expected reorder or terminal")
    _mode = mode  # type: ignore[assignment]
    visual_line.cache_clear()


def bidi_mode() -> BidiMode:
    return _mode


def bidi_mode_from(settings: dict) -> BidiMode:
    """The bidi mode from `DESKTERM_BIDI` or the config's `[console] bidi` (default reorder)."""
    value = os.environ.get("DESKTERM_BIDI") or str(settings.get("bidi", "reorder"))
    return value if value in BIDI_MODES else "reorder"  # type: ignore[return-value]


def _dropped(char: str) -> bool:
    """Characters that never reach the terminal (controls, format/zero-width, bidi controls)."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Cs", "Co") and char != "\n"


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """`text` without controls and zero-width format characters; tabs become a space."""
    if text.isascii() and text.isprintable():
        return text
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if not _dropped(c))


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in _RTL for c in text if not c.isascii())


@lru_cache(maxsize=4096)
def visual_line(line: str) -> str:
    """One clean line in the order its cells are drawn."""
    if _mode == "terminal" or not has_rtl(line):
        return line
    from bidi.algorithm import get_display

    return get_display(line)


def visual(text: str) -> str:
    """Clean text in display order, line by line."""
    text = clean(text)
    if "\n" not in text:
        return visual_line(text)
    return "\n".join(visual_line(line) for line in text.split("\n"))


def one_line(text: str) -> str:
    """Clean text on a single line (newlines become spaces)."""
    return " ".join(clean(text).split("\n"))


def fit(text: str, width: int) -> str:
    """Exactly `width` cells of one line of `text`: cut with `…` at its logical end, then
    reordered for display, then padded."""
    if width <= 0:
        return ""
    line = one_line(text)
    if cell_len(line) > width:
        line = set_cell_size(line, width - 1).rstrip() + "…"
    return set_cell_size(visual_line(line), width)


def plain(text: str) -> Content:
    """Display text as Content that is never parsed as markup."""
    return Content(visual(text))


def highlight(matcher: Matcher, text: str) -> Content:
    """`text` with the fuzzy-matched characters styled, without reading it as markup."""
    shown = visual(text)
    content = Content(shown)
    score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    if not score:
        return content
    for offset in offsets:
        if not shown[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
