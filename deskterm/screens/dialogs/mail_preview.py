"""The outgoing reply as the customer will get it (`notifications.preview_reply`)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from deskterm.services.messaging.notifications import MailPreview
from deskterm.widgets import glyphs
from deskterm.widgets.display import plain, visual


def preview_text(preview: MailPreview, files: tuple[str, ...] = ()) -> Text:
    """Headers and body as plain data (customer text never becomes markup)."""
    text = Text()
    for label, value in (
        ("From", preview.sender),
        ("To", ", ".join(preview.to)),
        ("Cc", ", ".join(preview.cc) or "—"),
        ("Subject", preview.subject),
    ):
        text.append(f"{label:<8}", style="bold")
        text.append(visual(value) + "\n")
    for name in files:
        text.append(f"{glyphs.ATTACHMENT} {visual(name)}\n", style="bold")
    text.append("\n")
    text.append(visual(preview.body.rstrip("\n")))
    return text


class MailPreviewScreen(ModalScreen[None]):
    """Read-only: escape closes and the composer keeps the text."""

    BINDINGS = [Binding("escape,q,ctrl+r", "dismiss", "Close")]

    def __init__(self, preview: MailPreview, files: tuple[str, ...] = ()) -> None:
        super().__init__(classes="dialog")
        self.preview = preview
        self.files = files

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box mail-preview"):
            yield Label(
                plain(f"Preview: the mail as the customer gets it ({self.preview.language})"),
                classes="dialog-title",
            )
            yield Static(preview_text(self.preview, self.files), id="mail-preview-text")
            yield Label("escape closes · nothing is sent", classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
