"""A yes/no question as a ModalScreen[bool]."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from deskterm.widgets.display import plain


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something that cannot be undone; `y` confirms, `n`/escape cancels.

    `details` are extra lines (which tickets, which requester) shown under the question.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self, question: str, *, yes: str = "Yes", no: str = "No", details: tuple[str, ...] = ()
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.yes = yes
        self.no = no
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(plain(self.question), id="question")
            for line in self.details:
                yield Label(plain(line), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"{self.yes} (y)"), id="yes", variant="error")
                yield Button(plain(f"{self.no} (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
