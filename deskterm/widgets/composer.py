"""The reply composer: multi-line text with an always-visible public/internal switch."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from deskterm.widgets import glyphs
from deskterm.widgets.display import visual

MODES = ("reply", "note")
#: Key hints on the mode bar, most important first (dropped from the end when narrow).
HINTS = ("ctrl+s send", "ctrl+o switch", "ctrl+t canned", "ctrl+l attach", "ctrl+r preview")


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
        Binding(
            "ctrl+l",
            "ask('attach')",
            "Attach file",
            tooltip="attach a file from a path (tab completes)",
            id="composer.attach",
            priority=True,
        ),
        Binding(
            "ctrl+g",
            "ask('recipients')",
            "To/Cc",
            tooltip="who this reply goes to",
            id="composer.recipients",
            priority=True,
        ),
        Binding(
            "ctrl+r",
            "ask('preview')",
            "Preview mail",
            tooltip="the reply as the customer will get it",
            id="composer.preview",
            priority=True,
        ),
    ]

    mode: reactive[str] = reactive("reply")
    canned_status: reactive[str | None] = reactive(None)

    class Send(Message):
        """The agent sends what they wrote (files and recipients: see `Composer.files`)."""

        def __init__(
            self,
            mode: str,
            body: str,
            status: str | None,
            tags: tuple[str, ...],
            files: tuple[str, ...] = (),
            to: tuple[str, ...] | None = None,
            cc: tuple[str, ...] | None = None,
        ):
            super().__init__()
            self.mode = mode
            self.body = body
            self.status = status
            self.tags = tags
            self.files = files
            self.to = to
            self.cc = cc

    class Asked(Message):
        """The agent wants a composer dialog: `attach`, `recipients` or `preview`."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

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
        #: Paths of the files to attach.
        self.files: tuple[str, ...] = ()
        #: This reply's recipients; None: the requester (To) and the followers (Cc).
        self.to: tuple[str, ...] | None = None
        self.cc: tuple[str, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="mode-bar")
        yield Static(id="composer-extra")
        yield ComposerText(id="composer-text", soft_wrap=True, show_line_numbers=False)

    def set_extras(
        self,
        *,
        files: tuple[str, ...] | None = None,
        to: tuple[str, ...] | None | bool = False,
        cc: tuple[str, ...] | None | bool = False,
    ) -> None:
        """Change the files or recipients (False: leave as is) and show them."""
        if files is not None:
            self.files = tuple(dict.fromkeys(files))
        if to is not False:
            self.to = to  # type: ignore[assignment]
        if cc is not False:
            self.cc = cc  # type: ignore[assignment]
        self._draw_extras()

    def _draw_extras(self) -> None:
        """One line under the mode bar: the files, and recipients when changed."""
        line = Text()
        if self.to is not None or self.cc is not None:
            to = "requester" if self.to is None else ", ".join(self.to)
            cc = "followers" if self.cc is None else ", ".join(self.cc) or "—"
            line.append("to ", style="dim")
            line.append(visual(to))
            line.append("  cc ", style="dim")
            line.append(visual(cc))
        if self.files:
            if line:
                line.append("  ·  ", style="dim")
            line.append(f"{glyphs.ATTACHMENT} ", style="bold")
            line.append(visual(", ".join(Path(f).name for f in self.files)))
        extra = self.query("#composer-extra")
        if extra:
            extra.first(Static).update(line)
            extra.first().display = bool(line)

    def on_mount(self) -> None:
        self._draw_bar()
        self._draw_extras()
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
        self.set_extras(files=(), to=None, cc=None)
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
        files = self.files
        to, cc = (self.to, self.cc) if self.mode == "reply" else (None, None)
        self.post_message(self.Send(self.mode, self.body, chosen, tags, files, to, cc))

    def action_ask(self, what: str) -> None:
        self.post_message(self.Asked(what))

    def action_canned(self) -> None:
        self.post_message(self.CannedRequested())
