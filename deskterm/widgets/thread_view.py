"""The ticket thread: customer messages, public replies, internal notes, system lines."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from deskterm.domain import EntryKind, ThreadEntry
from deskterm.services.when import written
from deskterm.widgets import glyphs
from deskterm.widgets.display import clean, one_line, visual, visual_line

#: Only used to measure and wrap plain text (never prints).
_CONSOLE = Console(width=200, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115

#: What heads each kind of entry; notes say plainly that the customer never sees them.
KIND_LABELS = {
    EntryKind.CUSTOMER: f"{glyphs.CUSTOMER} Customer",
    EntryKind.REPLY: f"{glyphs.REPLY} Public reply",
    EntryKind.NOTE: f"{glyphs.NOTE} Internal note, not sent to customer",
    EntryKind.SYSTEM: f"{glyphs.SYSTEM} System",
}


def human_size(size: int) -> str:
    """`532 B`, `12.4 KB`, `3.1 MB`."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def local_time(moment: datetime | None, zone: tzinfo | None) -> str:
    """A timestamp in the agent's own time zone with its offset, `2026-12-01 14:05 +01:00`,
    as the CLI writes it (an agent elsewhere can tell which zone a time is in)."""
    if moment is None:
        return "—"
    return written(moment, zone)


def wrapped_lines(text: str, width: int | None) -> list[str]:
    """Logical lines of clean text, wrapped at `width` cells, each then put in display order
    (wrapping first keeps a long right-to-left paragraph reading top to bottom)."""
    lines = clean(text).split("\n")
    if not width or width < 8:
        return [visual_line(line) for line in lines]
    out: list[str] = []
    for line in lines:
        if cell_len(line) <= width:
            out.append(visual_line(line))
            continue
        for row in Text(line).wrap(_CONSOLE, width):
            out.append(visual_line(row.plain.rstrip()))
    return out


def entry_text(entry: ThreadEntry, zone: tzinfo | None, width: int | None = None) -> Text:
    """One entry as styled text, wrapped at `width` (user text is never read as markup)."""
    text = Text()
    text.append(KIND_LABELS[entry.kind], style="bold")
    who = one_line(entry.author or entry.author_email or "")
    if entry.author_email and entry.author_email != who:
        who = f"{who} <{one_line(entry.author_email)}>"
    if who:
        text.append(f"  ·  {visual(who)}")
    text.append(f"  ·  {local_time(entry.created_at, zone)}", style="dim")
    if entry.held_until is not None:
        until = entry.held_until.astimezone(zone) if zone else entry.held_until
        text.append(f"  ·  mail held until {until:%H:%M:%S} (undo-send window)",
                    style="italic")
    elif entry.delivery is not None:
        text.append(f"  ·  mail {entry.delivery.value}", style="italic")
    if entry.source_ticket_id:
        text.append(f"  ·  from #{entry.source_ticket_id}", style="dim")
    if entry.kind is EntryKind.SYSTEM:
        text.append(f"  {visual(one_line(entry.body))}", style="dim")
        return text
    for line in wrapped_lines(entry.body.rstrip(), width):
        text.append("\n" + line)
    for att in entry.attachments:
        name, kind = visual(one_line(att.filename)), one_line(att.content_type)
        text.append(
            f"\n{glyphs.ATTACHMENT} attachment {name}  ({human_size(att.size)}, {kind})",
            style="bold",
        )
    return text


class EntryView(Widget):
    """One thread entry; its CSS class says its kind (-customer, -reply, -note, -system).

    Wraps its own text so right-to-left lines are reordered after wrapping.
    """

    DEFAULT_CSS = "EntryView { height: auto; }"

    def __init__(self, entry: ThreadEntry, zone: tzinfo | None) -> None:
        super().__init__(classes=f"entry -{entry.kind.value}")
        self.entry = entry
        self.entry_id = entry.id
        self.zone = zone

    def render(self) -> Text:
        return entry_text(self.entry, self.zone, self.content_size.width or None)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(entry_text(self.entry, self.zone, width).wrap(_CONSOLE, max(width, 1)))

    def on_resize(self) -> None:
        self.refresh(layout=True)


class ThreadView(VerticalScroll, can_focus=True):
    """The entries of a ticket in time order; appends new entries without re-drawing old ones."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False),
        Binding("k", "scroll_up", "Scroll up", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("g", "g_prefix", "Top", show=False, key_display="g g"),
    ]

    def __init__(
        self, *, zone: tzinfo | None = None, kinds: tuple[EntryKind, ...] | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.zone = zone
        self.kinds = kinds
        self.empty_text = "(no internal notes)" if kinds else "(empty thread)"
        self.shown: list[int] = []
        self._last_g = 0.0
        #: Keep the end in view when the entries' height changes.
        self.follow_end = False

    def show(self, entries: tuple[ThreadEntry, ...], *, scroll_end: bool = False) -> None:
        """Show these entries (only the new ones are mounted when the thread just grew)."""
        wanted = [e for e in entries if self.kinds is None or e.kind in self.kinds]
        ids = [e.id for e in wanted]
        if ids[: len(self.shown)] == self.shown and self.shown:
            fresh = wanted[len(self.shown) :]
            for view, entry in zip(self.query_children(EntryView), wanted, strict=False):
                if view.entry != entry:  # e.g. its mail left the undo-send window
                    view.entry = entry
                    view.refresh(layout=True)
        else:
            self.remove_children()
            fresh = wanted
        if fresh:
            self.mount_all(EntryView(e, self.zone) for e in fresh)
        self.shown = ids
        if not wanted and not self.children:
            self.mount(Static(self.empty_text, classes="empty"))
        if fresh and scroll_end:
            self.follow_end = True
            self.scroll_end(animate=False)

    # The newest entry stays in view through every later layout pass (the scrollbar
    # appearing re-wraps the entries and makes them taller): a one-off scroll_end measured
    # one pass too early or not, depending on timing. Scrolling up stops following; coming
    # back to the end (G, or scrolling down) follows again.

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.follow_end = new_value >= self.max_scroll_y

    def watch_virtual_size(self) -> None:
        if self.follow_end:
            self.scroll_end(animate=False, immediate=True)

    def on_resize(self) -> None:
        self.watch_virtual_size()

    def action_g_prefix(self) -> None:
        import time

        now = time.monotonic()
        if now - self._last_g < 1.0:
            self.scroll_home(animate=False)
            self._last_g = 0.0
        else:
            self._last_g = now
