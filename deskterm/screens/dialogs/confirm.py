"""A yes/no question as a ModalScreen[bool]."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from deskterm.widgets.display import plain


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something that cannot be undone; `y` confirms, `n`/escape cancels.

    `details` are extra lines (which tickets, which requester) shown under the question.
    Plain strings are drawn as one line of text (cleaned, visual order); a line or a
    `shown` question made of fields (a ref, then a subject in any script) comes as
    `Content` already put together with `display.fields`, and is drawn as it is.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self,
        question: str,
        *,
        yes: str = "Yes",
        no: str = "No",
        details: tuple[str | Content, ...] = (),
        shown: Content | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.shown = shown
        self.yes = yes
        self.no = no
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.shown or plain(self.question), id="question")
            for line in self.details:
                shown = line if isinstance(line, Content) else plain(line)
                yield Label(shown, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"{self.yes} (y)"), id="yes", variant="error")
                yield Button(plain(f"{self.no} (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
