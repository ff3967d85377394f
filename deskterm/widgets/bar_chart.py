"""Horizontal bars for a few labelled counts (backlog by status, replies per agent...)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


def bar_lines(items: list[tuple[str, float]], width: int, *, label_width: int = 16) -> Text:
    """One line per item: label, a bar scaled to the largest value, the value."""
    if not items:
        return Text("(nothing in this period)", style="dim")
    labels = min(label_width, max(cell_len(label) for label, _ in items))
    numbers = [f"{value:,.0f}" for _, value in items]
    digits = max(len(n) for n in numbers)
    room = max(1, width - labels - digits - 3)
    top = max(value for _, value in items) or 1
    text = Text(no_wrap=True, overflow="ellipsis")
    for (label, value), number in zip(items, numbers, strict=True):
        shown = label if cell_len(label) <= labels else label[: labels - 1] + "…"
        text.append(shown + " " * (labels - cell_len(shown)) + " ")
        cells = round(room * value / top)
        text.append("█" * cells, style="bold")
        text.append(" " * (room - cells) + " ")
        text.append(number.rjust(digits), style="bold")
        text.append("\n")
    text.rstrip()
    return text


class BarChart(Widget):
    """A titled list of bars; `items` is a list of (label, value)."""

    DEFAULT_CSS = """
    BarChart {
        height: auto;
        min-height: 2;
    }
    """

    items: reactive[list[tuple[str, float]]] = reactive(list, layout=True)

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title

    def render(self) -> Text:
        return bar_lines(self.items, self.content_size.width or 40)

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self.items))
