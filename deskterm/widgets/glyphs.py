"""Every symbol the console draws, chosen from the WGL4 set that common monospace fonts
(DejaVu Sans Mono, Consolas, Menlo, Liberation Mono, Ubuntu Mono) all cover, so none
shows as a missing-glyph box. Emoji and rarer symbols stay out (a test checks)."""

from __future__ import annotations

CUSTOMER = "◄"  # an entry that came in
REPLY = "►"  # a public reply that went out
NOTE = "■"  # an internal note
SYSTEM = "·"
ATTACHMENT = "+"  # before a file name in the thread
SELECTED = "●"
ELLIPSIS = "…"
SORT_DOWN = "▼"
SORT_UP = "▲"
SHARED_VIEW = "•"  # a saved view shared with the team
OWN_VIEW = "◦"  # a personal saved view
WARNING = "!"
APP_ICON = "■"
SEPARATOR = "·"
TIMER = "●"  # a running time-tracking timer in the header
SEARCH = ">"  # before the command palette's input

ALL = (
    CUSTOMER, REPLY, NOTE, SYSTEM, ATTACHMENT, SELECTED, ELLIPSIS, SORT_DOWN, SORT_UP,
    SHARED_VIEW, OWN_VIEW, WARNING, APP_ICON, SEPARATOR, TIMER, SEARCH,
)  # fmt: skip
