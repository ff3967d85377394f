"""The glyph rule every face shares: outside plain text, draw only symbols from the WGL4
set that common monospace fonts (DejaVu Sans Mono, Consolas, Menlo, Liberation Mono,
Ubuntu Mono) all cover, so none shows as a missing-glyph box. No emoji.

The console's glyphs (`widgets/glyphs.py`) and the CLI's (`cli/render.py`) are checked
against it, and so is every character their source files contain.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

#: Symbols common monospace fonts all have (WGL4): what deskterm may draw.
SYMBOLS = frozenset("◄►■□▪▫●○◦•·…–—▲▼↑↓←→│─┌┐└┘├┤┬┴┼▏▕▁▔▇▆█≥‘’“”«»!+-*#")


def is_safe(char: str) -> bool:
    """True for a character every common monospace font draws: text (letters, digits,
    punctuation, combining marks, of any script) and the WGL4 symbols; not emoji, not
    rare symbols, nothing outside the Basic Multilingual Plane."""
    if char in SYMBOLS or ord(char) < 0x2000:
        return True
    if ord(char) > 0xFFFF:
        return False
    return unicodedata.category(char) not in ("So", "Sm", "Sk", "Cn")


def unsafe(chars: Iterable[str]) -> set[str]:
    """The characters of `chars` that `is_safe` refuses."""
    return {char for char in chars if not is_safe(char)}
