"""Pick one value from a list with fuzzy search, as a ModalScreen[str | None]."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.domain import Status
from deskterm.widgets.display import highlight, plain

#: Statuses an agent sets from a picker (postponed comes from snooze, with a time).
STATUS_OPTIONS = [(s.value, s.value.replace("_", " ")) for s in Status if s is not Status.POSTPONED]

#: How the current value is marked in the list.
CURRENT_MARK = "  (current)"


class PickerDialog(ModalScreen[str | None]):
    """Type to narrow the options (fuzzy), up/down to move, enter to choose, escape to cancel.

    The current value is marked and highlighted first; with `previews` (value -> text) the
    highlighted option's text is shown under the list.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        *,
        current: str | None = None,
        previews: dict[str, str] | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.options = options
        self.current = current
        self.previews = previews

    def compose(self) -> ComposeResult:
        classes = "dialog-box picker" + (" -with-preview" if self.previews is not None else "")
        with Vertical(classes=classes):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(placeholder="type to search", id="picker-search")
            yield OptionList(id="picker-options")
            if self.previews is not None:
                with VerticalScroll(id="picker-preview-pane"):
                    yield Static("", id="picker-preview")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _label(self, value: str, label: str, matcher: Matcher | None) -> Content:
        content = highlight(matcher, label) if matcher else plain(label)
        if value == self.current:
            content = content + Content.styled(CURRENT_MARK, "bold")
        return content

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        if text:
            matcher = Matcher(text)
            scored = [(matcher.match(label), value, label) for value, label in self.options]
            ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])
            options.add_options(
                Option(self._label(value, label, matcher), id=value) for _, value, label in ranked
            )
        else:
            options.add_options(
                Option(self._label(value, label, None), id=value) for value, label in self.options
            )
        if options.option_count:
            index = 0
            if not text and self.current is not None:
                ids = [value for value, _ in self.options]
                index = ids.index(self.current) if self.current in ids else 0
            options.highlighted = index
        self._preview()

    def _preview(self) -> None:
        if self.previews is None:
            return
        options = self.query_one(OptionList)
        text = ""
        if options.highlighted is not None:
            value = options.get_option_at_index(options.highlighted).id
            text = self.previews.get(value or "", "")
        self.query_one("#picker-preview", Static).update(plain(text))

    def on_option_list_option_highlighted(self, _: OptionList.OptionHighlighted) -> None:
        self._preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
