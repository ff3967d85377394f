"""Create or edit a canned reply: title, body with placeholders, optional status and tags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, TextArea

from deskterm.domain import CannedReplyInfo, Status


@dataclass(frozen=True)
class CannedDraft:
    title: str
    body: str
    set_status: str | None
    add_tags: tuple[str, ...]


class CannedEditor(ModalScreen[CannedReplyInfo | None]):
    """`ctrl+s` saves (through `save`, in a worker), escape cancels. A save the desk
    refuses (an unknown placeholder, a title in use) keeps the dialog open with the text as
    written; the dialog returns the saved reply."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        reply: CannedReplyInfo | None,
        *,
        save: Callable[[CannedDraft], CannedReplyInfo],
        placeholders: str = "",
    ) -> None:
        super().__init__(classes="dialog")
        self.reply = reply
        self.save = save
        self.placeholders = placeholders

    def compose(self) -> ComposeResult:
        r = self.reply
        with Vertical(classes="dialog-box canned-editor"):
            yield Label("Edit canned reply" if r else "New canned reply", classes="dialog-title")
            yield Input(r.title if r else "", placeholder="title", id="canned-title")
            yield TextArea(r.body if r else "", id="canned-body", soft_wrap=True)
            yield Label(self.placeholders, classes="dialog-hint")
            with Horizontal(classes="canned-actions"):
                yield Select(
                    [(f"then set {s.value}", s.value) for s in Status if s is not Status.POSTPONED],
                    prompt="status unchanged",
                    value=r.set_status.value if r and r.set_status else Select.NULL,
                    id="canned-status",
                )
                yield Input(
                    " ".join(r.add_tags) if r else "",
                    placeholder="add tags (space separated)",
                    id="canned-tags",
                )
            yield Label("ctrl+s save · escape cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#canned-title", Input).focus()

    def action_save(self) -> None:
        status = self.query_one("#canned-status", Select).value
        draft = CannedDraft(
            title=self.query_one("#canned-title", Input).value.strip(),
            body=self.query_one("#canned-body", TextArea).text,
            set_status=None if status in (Select.NULL, None) else str(status),
            add_tags=tuple(self.query_one("#canned-tags", Input).value.replace(",", " ").split()),
        )
        self.app.call(self.save, draft, done=self.dismiss)  # an error: a toast, still open

    def action_cancel(self) -> None:
        self.dismiss(None)
