"""The ticket thread: customer messages, public replies, internal notes, system lines."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskterm.domain import EntryKind, ThreadEntry

#: What heads each kind of entry; notes say plainly that the customer never sees them.
KIND_LABELS = {
    EntryKind.CUSTOMER: "✉ Customer",
    EntryKind.REPLY: "➤ Public reply",
    EntryKind.NOTE: "🔒 Internal note, not sent to customer",
    EntryKind.SYSTEM: "· System",
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
    """A timestamp in the agent's own time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone) if zone else moment
    return local.strftime("%Y-%m-%d %H:%M")


def entry_text(entry: ThreadEntry, zone: tzinfo | None) -> Text:
    """One entry as styled text (user text is never read as markup)."""
    text = Text()
    text.append(KIND_LABELS[entry.kind], style="bold")
    who = entry.author or entry.author_email or ""
    if entry.author_email and entry.author_email != who:
        who = f"{who} <{entry.author_email}>"
    if who:
        text.append(f"  ·  {who}")
    text.append(f"  ·  {local_time(entry.created_at, zone)}", style="dim")
    if entry.delivery is not None:
        text.append(f"  ·  mail {entry.delivery.value}", style="italic")
    if entry.source_ticket_id:
        text.append(f"  ·  from #{entry.source_ticket_id}", style="dim")
    if entry.kind is EntryKind.SYSTEM:
        text.append(f"  {entry.body}", style="dim")
        return text
    text.append("\n")
    text.append(entry.body.rstrip())
    for att in entry.attachments:
        text.append(
            f"\n📎 {att.filename}  ({human_size(att.size)}, {att.content_type})", style="bold"
        )
    return text


class EntryView(Static):
    """One thread entry; its CSS class says its kind (-customer, -reply, -note, -system)."""

    def __init__(self, entry: ThreadEntry, zone: tzinfo | None) -> None:
        super().__init__(entry_text(entry, zone), classes=f"entry -{entry.kind.value}")
        self.entry_id = entry.id


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

    def show(self, entries: tuple[ThreadEntry, ...], *, scroll_end: bool = False) -> None:
        """Show these entries (only the new ones are mounted when the thread just grew)."""
        wanted = [e for e in entries if self.kinds is None or e.kind in self.kinds]
        ids = [e.id for e in wanted]
        if ids[: len(self.shown)] == self.shown and self.shown:
            fresh = wanted[len(self.shown) :]
        else:
            self.remove_children()
            fresh = wanted
        if fresh:
            self.mount_all(EntryView(e, self.zone) for e in fresh)
        self.shown = ids
        if not wanted and not self.children:
            self.mount(Static(self.empty_text, classes="empty"))
        if fresh and scroll_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def action_g_prefix(self) -> None:
        import time

        now = time.monotonic()
        if now - self._last_g < 1.0:
            self.scroll_home(animate=False)
            self._last_g = 0.0
        else:
            self._last_g = now
