"""The reply composer: multi-line text with an always-visible public/internal switch."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from deskterm.widgets import glyphs

MODES = ("reply", "note")
#: Key hints on the mode bar, most important first (dropped from the end when narrow).
HINTS = ("ctrl+s send", "ctrl+o switch", "ctrl+t canned")


class ComposerText(TextArea):
    """The text area; its own bindings come first, so composer keys avoid theirs."""


class Composer(Vertical):
    """Write a public reply or an internal note; the mode bar always shows which."""

    BINDINGS = [
        # ctrl+s is the send key every terminal can type; ctrl+enter (where the terminal
        # sends it, e.g. with the kitty keyboard protocol) does the same.
        Binding(
            "ctrl+s,ctrl+enter",
            "send(None)",
            "Send",
            key_display="ctrl+s",
            tooltip="send the reply or note (also ctrl+enter)",
            id="composer.send",
            priority=True,
        ),
        Binding(
            "alt+p",
            "send('pending')",
            "Send+pending",
            tooltip="send and set the ticket pending",
            id="composer.send_pending",
            priority=True,
        ),
        Binding(
            "alt+r",
            "send('resolved')",
            "Send+resolved",
            tooltip="send and set the ticket resolved",
            id="composer.send_resolved",
            priority=True,
        ),
        Binding(
            "ctrl+o",
            "toggle_mode",
            "Reply/Note",
            tooltip="switch public reply / internal note",
            id="composer.toggle",
            priority=True,
        ),
        Binding(
            "ctrl+t",
            "canned",
            "Canned",
            tooltip="insert a canned reply",
            id="composer.canned",
            priority=True,
        ),
    ]

    mode: reactive[str] = reactive("reply")
    canned_status: reactive[str | None] = reactive(None)

    class Send(Message):
        """The agent sends what they wrote."""

        def __init__(self, mode: str, body: str, status: str | None, tags: tuple[str, ...]):
            super().__init__()
            self.mode = mode
            self.body = body
            self.status = status
            self.tags = tags

    class DraftChanged(Message):
        def __init__(self, mode: str, body: str) -> None:
            super().__init__()
            self.mode = mode
            self.body = body

    class CannedRequested(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.canned_tags: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(id="mode-bar")
        yield ComposerText(id="composer-text", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self._draw_bar()
        self._update_idle()

    def _update_idle(self) -> None:
        """Fold to two lines while the agent is not writing (the thread gets the height)."""
        areas = self.query(ComposerText)
        if areas:
            area = areas.first()
            self.set_class(not area.has_focus and not area.text.strip(), "-idle")

    def on_descendant_focus(self) -> None:
        self._update_idle()

    def on_descendant_blur(self) -> None:
        self._update_idle()

    @property
    def text_area(self) -> ComposerText:
        return self.query_one(ComposerText)

    @property
    def body(self) -> str:
        return self.text_area.text

    def load(self, mode: str, body: str) -> None:
        """Put a draft back without reporting it as a change."""
        self.mode = mode if mode in MODES else "reply"
        with self.text_area.prevent(TextArea.Changed):
            self.text_area.load_text(body)
        self.text_area.move_cursor(self.text_area.document.end)
        self._update_idle()

    def clear(self) -> None:
        self.canned_status, self.canned_tags = None, ()
        with self.text_area.prevent(TextArea.Changed):
            self.text_area.load_text("")
        self._update_idle()

    def insert(self, text: str, *, status: str | None = None, tags: tuple[str, ...] = ()) -> None:
        """Insert a canned reply at the cursor and remember its actions for sending."""
        self.text_area.insert(text)
        if status:
            self.canned_status = status
        self.canned_tags = tuple(dict.fromkeys(self.canned_tags + tuple(tags)))
        self.text_area.focus()

    def watch_mode(self) -> None:
        self.set_class(self.mode == "note", "-note")
        self._draw_bar()
        if self.is_mounted:
            self.post_message(self.DraftChanged(self.mode, self.body))

    def watch_canned_status(self) -> None:
        self._draw_bar()

    def _draw_bar(self) -> None:
        bars = self.query("#mode-bar")
        if not bars:
            return
        bar = Text()
        on, off = "reverse bold", "dim"
        bar.append(f" {glyphs.REPLY} Public reply ", style=on if self.mode == "reply" else off)
        bar.append(" ")
        bar.append(
            f" {glyphs.NOTE} Internal note (not sent to customer) ",
            style=on if self.mode == "note" else off,
        )
        if self.canned_status:
            bar.append(f" then {self.canned_status}", style="bold")
        room = (self.size.width or 200) - 2 - bar.cell_len
        hints = [h for h in HINTS if (room := room - len(h) - 3) >= 0]
        if hints:
            bar.append("   " + " · ".join(hints), style="dim")
        bars.first(Static).update(bar)

    def on_resize(self) -> None:
        self._draw_bar()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.DraftChanged(self.mode, self.body))

    def action_toggle_mode(self) -> None:
        self.mode = "note" if self.mode == "reply" else "reply"

    def action_send(self, status: str | None) -> None:
        if not self.body.strip():
            self.notify("nothing to send", severity="warning")
            return
        chosen = status or (self.canned_status if self.mode == "reply" else None)
        tags = self.canned_tags if self.mode == "reply" else ()
        self.post_message(self.Send(self.mode, self.body, chosen, tags))

    def action_canned(self) -> None:
        self.post_message(self.CannedRequested())
