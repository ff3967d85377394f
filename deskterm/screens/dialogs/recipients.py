"""To / Cc of one reply as a ModalScreen[tuple[To, Cc] | None]: two lines of addresses,
checked as typed (the same parser the send uses)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from deskterm.domain import BadInput, DomainError
from deskterm.widgets.display import plain

Addresses = tuple[str, ...]
#: Parses one line of addresses; raises DomainError naming a bad one.
Parse = Callable[[str], Addresses]


class RecipientsDialog(ModalScreen[tuple[Addresses, Addresses] | None]):
    """Edit who a reply goes to; enter (in Cc) keeps it, escape leaves it as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, to: Addresses, cc: Addresses, parse: Parse, *, hint: str = "") -> None:
        super().__init__(classes="dialog")
        self.to, self.cc, self.parse, self.hint = to, cc, parse, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Recipients of this reply", classes="dialog-title")
            yield Label("To", classes="dialog-detail")
            yield Input(
                ", ".join(self.to),
                id="recipients-to",
                placeholder="name@example.com",
                select_on_focus=False,
            )
            yield Label("Cc", classes="dialog-detail")
            yield Input(
                ", ".join(self.cc),
                id="recipients-cc",
                placeholder="(nobody)",
                select_on_focus=False,
            )
            yield Label("", id="recipients-feedback", classes="dialog-feedback")
            yield Label(
                plain(self.hint or "comma-separated · enter keeps · escape cancels"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#recipients-to", Input).focus()

    def _checked(self) -> tuple[Addresses, Addresses] | None:
        feedback = self.query_one("#recipients-feedback", Label)
        try:
            to = self.parse(self.query_one("#recipients-to", Input).value)
            cc = self.parse(self.query_one("#recipients-cc", Input).value)
            if not to:
                raise BadInput("a reply needs at least one recipient in To")
        except DomainError as error:
            feedback.update(plain(str(error)))
            feedback.add_class("-error")
            return None
        feedback.update(plain(f"{len(to)} in To, {len(cc)} in Cc"))
        feedback.remove_class("-error")
        return to, cc

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._checked()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "recipients-to":
            self.query_one("#recipients-cc", Input).focus()
            return
        result = self._checked()
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
