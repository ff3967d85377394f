"""The ticket's activity: its audit trail (who changed what, when), shown as plain data."""

from __future__ import annotations

from datetime import tzinfo

from rich.cells import cell_len
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskterm.domain import EventRecord
from deskterm.widgets.display import one_line, visual
from deskterm.widgets.thread_view import local_time, wrapped_lines


def activity_line(event: EventRecord, zone: tzinfo | None, width: int | None = None) -> Text:
    """One event as a line: `2026-12-01 09:12 +01:00  admin ana as agent:mirza  status
    open → pending`.

    Built from Text parts, so names and values are never read as markup; values (a
    subject, a tag: customer text) are cleaned of control characters and drawn in visual
    order like every other text of the console. When the line is wider than `width`, the
    values go below it, each wrapped before it is reordered (a right-to-left subject cut
    after reordering would show its end first).
    """

    def text(value: str) -> str:
        moment = event.instant(value)  # a snooze's or a breach's time: in the agent's zone
        return local_time(moment, zone) if moment else value

    def shown(value: str | None) -> str:
        return "—" if value is None else visual(one_line(text(value)))

    line = Text()
    line.append(local_time(event.at, zone), style="dim")
    line.append("  ")
    line.append(shown(event.who), style="bold")
    line.append("  ")
    line.append(shown(event.action))
    if event.before is None and event.after is None:
        return line
    values = ((event.before, "red", ""), (event.after, "green", "→ "))
    if width is None or line.cell_len + 5 + sum(
        cell_len(shown(v)) for v, _, _ in values
    ) <= width:
        line.append("  ")
        line.append(shown(event.before), style="red")
        line.append(" → ")
        line.append(shown(event.after), style="green")
        return line
    for value, style, lead in values:
        rows = wrapped_lines(one_line(text(value)), width - 4) if value is not None else ["—"]
        for number, row in enumerate(rows):
            line.append("\n  " + (lead if number == 0 else " " * len(lead)))
            line.append(row, style=style)
    return line


class ActivityView(VerticalScroll):
    """The Activity tab of the ticket screen (toggled with the thread)."""

    DEFAULT_CSS = """
    ActivityView { padding: 0 1; }
    ActivityView > .activity-title { text-style: bold; margin: 0 0 1 0; }
    """

    def __init__(self, *, zone: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.shown: list[EventRecord] = []

    def compose(self):
        yield Static("Activity (audit trail, oldest first)", classes="activity-title")
        yield Static("", id="activity-lines")

    def on_resize(self) -> None:
        """Lines are wrapped to the width: again when it changes (or first becomes known)."""
        if self.shown:
            self.show(self.shown)

    def show(self, events: list[EventRecord]) -> None:
        """Replace the lines with `events`."""
        self.shown = list(events)
        width = self.scrollable_content_region.width
        fitted = width if width >= 20 else None
        text = Text("\n").join(activity_line(e, self.zone, fitted) for e in events)
        self.query_one("#activity-lines", Static).update(text or Text("no events yet"))
        self.scroll_end(animate=False)
