"""Canned replies: list with fuzzy search, preview on a sample ticket, create/edit/delete."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.app import DbChanged
from deskterm.domain import CannedReplyInfo
from deskterm.screens.dialogs import ConfirmDialog, PromptDialog
from deskterm.screens.dialogs.canned_editor import CannedDraft, CannedEditor
from deskterm.services import canned, tickets
from deskterm.services.finding import listing
from deskterm.widgets import glyphs
from deskterm.widgets.display import plain, visual
from deskterm.widgets.footer import DeskFooter


def sample_ticket_id(ref: str | None = None) -> int | None:
    """The ticket previews are filled from: the given ref, else the latest updated ticket."""
    if ref:
        return tickets.resolve_ref(ref)
    rows = listing.list_tickets("sort:-updated", limit=1)
    return rows[0].id if rows else None


class CannedScreen(Screen[None]):
    """Manage the team's canned replies."""

    HELP_TITLE = "canned replies"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="back to where you were"),
        Binding("slash", "search", "Search", key_display="/", tooltip="search canned replies"),
        Binding("n", "new", "New", tooltip="write a new canned reply"),
        Binding("e", "edit", "Edit", tooltip="edit the highlighted reply"),
        Binding("d", "delete", "Delete", tooltip="delete the highlighted reply (confirms)"),
        Binding("T", "sample", "Sample ticket", tooltip="the ticket previews are filled from"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[CannedReplyInfo] = []
        self.sample_ref: str | None = None
        self.sample_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon=glyphs.APP_ICON)
        with Horizontal(id="canned-body"):
            with Vertical(id="canned-list-pane"):
                yield Input(placeholder="/ search canned replies", id="canned-search")
                yield OptionList(id="canned-list")
            with VerticalScroll(id="canned-preview-pane"):
                yield Label("Preview", id="canned-preview-title", classes="panel-title")
                yield Static(id="canned-preview")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.sub_title = "Canned replies"
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self, select_id: int | None = None) -> None:
        search = self.query_one("#canned-search", Input).value

        def fill(found: tuple[list[CannedReplyInfo], int | None]) -> None:
            self.replies, self.sample_id = found
            options = self.query_one(OptionList)
            keep = select_id if select_id is not None else self._current_id()
            options.clear_options()
            options.add_options(Option(plain(c.title), id=str(c.id)) for c in self.replies)
            ids = [c.id for c in self.replies]
            if ids:
                options.highlighted = ids.index(keep) if keep in ids else 0
            self.preview()

        ref = self.sample_ref
        self.app.call(
            lambda: (canned.list_canned(search or None), sample_ticket_id(ref)), done=fill
        )

    def _current(self) -> CannedReplyInfo | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or options.highlighted >= len(self.replies):
            return None
        return self.replies[options.highlighted]

    def _current_id(self) -> int | None:
        current = self._current() if self.replies else None
        return current.id if current else None

    def preview(self) -> None:
        info = self._current()
        target = self.query_one("#canned-preview", Static)
        title = self.query_one("#canned-preview-title", Label)
        if info is None:
            target.update(plain("No canned replies. Press n to write one."))
            return
        sample = self.sample_id
        title.update(
            plain(f"Preview with #{sample}" if sample else "Preview (no ticket to fill from)")
        )

        def show(body: str) -> None:
            text = Text(visual(body))
            actions = []
            if info.set_status:
                actions.append(f"sets status {info.set_status.value}")
            if info.add_tags:
                actions.append("adds tags " + " ".join(info.add_tags))
            if actions:
                text.append("\n\n" + " · ".join(actions), style="italic")
            target.update(text)

        if sample is None:
            show(info.body)
        else:
            self.app.call(canned.render_canned, info.id, sample, self.app.agent.username, done=show)

    def on_option_list_option_highlighted(self, _: OptionList.OptionHighlighted) -> None:
        self.preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "canned-search":
            self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(OptionList).focus()

    def on_db_changed(self, _: DbChanged) -> None:
        self.reload()

    def action_back(self) -> None:
        if self.query_one("#canned-search", Input).has_focus:
            self.query_one(OptionList).focus()
        else:
            self.app.pop_screen()

    def action_search(self) -> None:
        self.query_one("#canned-search", Input).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = max(
                0, min(options.option_count - 1, (options.highlighted or 0) + step)
            )

    def _edit(self, reply: CannedReplyInfo | None) -> None:
        hint = "placeholders: " + " ".join("{" + p + "}" for p in canned.PLACEHOLDERS)

        def save(draft: CannedDraft) -> CannedReplyInfo:
            return canned.save_canned(
                self.app.actor,
                draft.title,
                draft.body,
                set_status=draft.set_status,
                add_tags=draft.add_tags,
                canned_id=reply.id if reply else None,
            )

        def saved(info: CannedReplyInfo | None) -> None:
            if info is not None:
                self.notify(f"Saved {info.title!r}")
                self.reload(select_id=info.id)

        self.app.push_screen(CannedEditor(reply, save=save, placeholders=hint), saved)

    def action_new(self) -> None:
        self._edit(None)

    def action_edit(self) -> None:
        info = self._current()
        if info is not None:
            self._edit(info)

    def action_delete(self) -> None:
        info = self._current()
        if info is None:
            return

        def delete(yes: bool | None) -> None:
            if yes:
                self.app.call(
                    canned.delete_canned,
                    self.app.actor,
                    info.id,
                    done=lambda _: (self.notify(f"Deleted {info.title!r}"), self.reload()),
                )

        self.app.push_screen(
            ConfirmDialog(f"Delete the canned reply {info.title!r}?", yes="Delete"), delete
        )

    def action_sample(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None:
                self.sample_ref = text or None
                self.reload()

        self.app.push_screen(
            PromptDialog(
                "Preview with ticket", placeholder="#1042", hint="empty: the latest updated ticket"
            ),
            chosen,
        )
