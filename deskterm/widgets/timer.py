"""The running time-tracking timer in the header of every screen (`T` starts and stops it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from deskterm import clock
from deskterm.widgets import glyphs

if TYPE_CHECKING:
    from deskterm.domain import TimerInfo


def timer_text(timer: TimerInfo | None) -> Text:
    """`● #42 0:12:03` for a running timer, nothing when none runs."""
    if timer is None:
        return Text("")
    seconds = timer.elapsed_seconds(clock.now())
    elapsed = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return Text.assemble((f"{glyphs.TIMER} ", "bold"), (timer.ref, "bold"), f" {elapsed} ")


class TimerBadge(Static):
    """Shows the app's running timer (`app.running_timer`), ticking every second."""

    DEFAULT_CSS = """
    TimerBadge {
        dock: right;
        width: auto;
        color: $text-warning;
        text-style: bold;
    }
    """

    def on_mount(self) -> None:
        if hasattr(self.app, "running_timer"):
            self.watch(self.app, "running_timer", lambda _: self.tick())
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        timer = getattr(self.app, "running_timer", None)
        self.update(timer_text(timer))
        self.tooltip = f"timer running on {timer.ref} {timer.subject}" if timer else None


class DeskHeader(Header):
    """The Textual header plus the timer badge on the right."""

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield TimerBadge(id="timer-badge")


def toggle_timer(app, ticket_id: int) -> None:
    """Start the agent's timer on a ticket, or stop it (logging the time) if it runs there."""
    from deskterm.services import timers

    def done(result) -> None:
        running, stopped = result
        app.running_timer = running
        if stopped is not None:
            app.notify(f"logged {stopped.minutes} min on {stopped.timer.ref}")
        if running is not None:
            app.notify(f"timer started on {running.ref}")
        app.announce_change()

    app.call(timers.toggle_timer, app.actor, ticket_id, done=done)
