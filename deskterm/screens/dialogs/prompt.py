"""Ask for one line of text as a ModalScreen[str | None]."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label

from deskterm.domain import DomainError
from deskterm.widgets.display import plain

#: Checks the text as typed: returns a preview line, raises DomainError when it is bad.
Check = Callable[[str], str]


class PromptDialog(ModalScreen[str | None]):
    """A titled input; enter returns the text, escape returns None.

    With `check`, the dialog shows what the text means as it is typed, and a bad value
    keeps the dialog open with the error and the text as written.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", show=False, tooltip="take the suggestion"),
    ]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "",
        check: Check | None = None,
        suggester: Suggester | None = None,
        select_on_focus: bool = True,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint
        self.check = check
        self.suggester = suggester
        self.select_on_focus = select_on_focus

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                id="prompt-input",
                suggester=self.suggester,
                select_on_focus=self.select_on_focus,
            )
            yield Label("", id="prompt-feedback", classes="dialog-feedback")
            if self.hint:
                yield Label(plain(self.hint), classes="dialog-hint", id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._feedback(self.value, quiet=True)

    def _feedback(self, text: str, *, quiet: bool = False) -> bool:
        """Show what `text` means; False (and the error) when it is not acceptable."""
        label = self.query_one("#prompt-feedback", Label)
        if self.check is None or (quiet and not text.strip()):
            label.update("")
            label.remove_class("-error")
            return True
        try:
            meaning = self.check(text.strip())
        except DomainError as error:
            label.update(plain(str(error)))
            label.add_class("-error")
            return False
        label.update(plain(meaning))
        label.remove_class("-error")
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._feedback(event.value, quiet=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._feedback(event.value):
            self.dismiss(event.value.strip())

    def action_complete(self) -> None:
        """Take the input's completion suggestion (→ does the same at the end)."""
        field = self.query_one(Input)
        field.action_end()
        field.action_cursor_right()

    def action_cancel(self) -> None:
        self.dismiss(None)
