"""Untrusted text made safe and right for a grid of terminal cells (display time only).

Nothing here changes stored data: every face keeps the text as received and the console
passes it through these helpers just before drawing.

- Control characters, bidi overrides/embeddings/isolates and zero-width format characters
  (ZWNJ, ZWJ, LRM/RLM, BOM, soft hyphen...) are dropped: terminals disagree on their width,
  so each one could shift a column or a border by a cell, and an override could reorder
  the rest of the line.
- Right-to-left runs (Persian, Arabic, Hebrew) are put in visual order with python-bidi,
  because most terminals draw cells strictly left to right. Its Rust algorithm resolves the
  levels (with bracket pairs, rule N0) but skips rule L4, mirrored glyphs: `(فاکتور)` would
  be drawn with its brackets facing outwards, `)روتکاف(`. So the levels are taken from it
  and the line reordered (L2) and mirrored (L4) here; python-bidi's older pure-Python
  algorithm (mirrors, but has no N0) is the fallback. Terminals that reorder bidi
  text themselves (mlterm, Konsole, VTE with bidi on) set `[console] bidi = "terminal"` in
  the config (or `DESKTERM_BIDI=terminal`) and get logical order.
- Text is cut in logical order, so a long Persian subject keeps its beginning and its `…`
  lands at its visual end (the left), and is padded to the exact cell width.
- Everything becomes a `Content` built from plain text, never parsed as markup.
"""

from __future__ import annotations

import os
import re
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


_LEVELS = re.compile(r"levels: \[(.*?)\n    \]", re.S)
_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")


def _levels(line: str) -> list[int] | None:
    """The resolved bidi level of each character of `line`, from python-bidi's Rust
    algorithm (its debug dump lists one level per UTF-8 byte); None if it cannot be read."""
    from bidi import get_display

    found = _LEVELS.search(str(get_display(line, debug=True)))
    per_byte = [int(level) for level in _LEVEL.findall(found.group(1))] if found else []
    if len(per_byte) != len(line.encode()):
        return None
    levels, offset = [], 0
    for char in line:
        levels.append(per_byte[offset])
        offset += len(char.encode())
    return levels


def _reordered(line: str, levels: list[int]) -> str:
    """Rules L4 (mirror each mirrored character at an odd level) and L2 (from the highest
    level down to the lowest odd one, reverse every run at that level or higher)."""
    from bidi.mirror import MIRRORED

    chars = [MIRRORED.get(c, c) if level % 2 else c for c, level in zip(line, levels, strict=True)]
    order = list(range(len(chars)))
    odd = [level for level in levels if level % 2]
    for level in range(max(levels), min(odd, default=max(levels) + 1) - 1, -1):
        start = 0
        while start < len(order):
            if levels[order[start]] < level:
                start += 1
                continue
            end = start
            while end < len(order) and levels[order[end]] >= level:
                end += 1
            order[start:end] = order[start:end][::-1]
            start = end
    return "".join(chars[i] for i in order)


@lru_cache(maxsize=4096)
def visual_line(line: str) -> str:
    """One clean line in the order its cells are drawn."""
    if _mode == "terminal" or not has_rtl(line):
        return line
    levels = _levels(line)
    if levels is None:
        from bidi.algorithm import get_display

        return get_display(line)
    return _reordered(line, levels)


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


def fields(*parts: str) -> Content:
    """One line of several fields (`#42`, a subject, `?`), each cleaned and put in visual
    order on its own, as if isolated: a Persian subject cannot carry the ref beside it to
    the other end of the line."""
    return Content("".join(visual(one_line(part)) for part in parts))


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
