"""The Textual agent console: a thin App that opens the database and installs screens.

`make_app(db_path, agent)` is the one factory used by `deskterm console` and the tests.
Services run in thread workers through `DesktermApp.call`: their errors become
notifications, never tracebacks. A cheap poll of SQLite's `data_version` tells the
screens when another process (agent, CLI, mail) changed the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker

from deskterm.domain import Actor, AgentInfo, Conflict, DomainError, TimerInfo
from deskterm.services import changes
from deskterm.store.db import db, open_db

#: How often the console hands queued notifications to SMTP (or the demo Maildir).
MAIL_EVERY_SECONDS = 30.0


class DbChanged(Message):
    """The database changed (here or elsewhere): visible data may be stale."""


class DesktermApp(App[None]):
    """The agent console."""

    CSS_PATH = ["deskterm.tcss", "features.tcss"]
    TITLE = "deskterm"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("f9", "toggle_theme", "Theme", id="theme"),
        Binding("colon", "goto('')", "Go to ticket", key_display=":", id="goto", show=False),
        Binding("number_sign", "goto('#')", "Go to #", key_display="#", id="goto.ref", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    COMMANDS = App.COMMANDS | {lambda: _goto_provider()}
    #: The agent's running time-tracking timer (shown in every header).
    running_timer: reactive[TimerInfo | None] = reactive(None, always_update=True)

    def __init__(
        self,
        db_path: Path | str,
        agent: AgentInfo,
        *,
        watch_interval: float | None = 1.0,
        dark: bool = True,
        background: bool | None = None,
        open_ticket: int | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__()
        #: A ticket to open on start (`deskterm console 42`).
        self.open_ticket = open_ticket
        #: Run time rules and deliver mail in the background (default: when watching).
        self.background = watch_interval is not None if background is None else background
        self.db_path = db_path
        self.agent = agent
        self.actor = actor or Actor("agent", agent.username, agent_id=agent.id)
        self.watch_interval = watch_interval
        self.theme = "textual-dark" if dark else "textual-light"
        try:
            self.tz = ZoneInfo(agent.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            self.tz = ZoneInfo("UTC")
        self._data_version: int | None = None
        self._last_fingerprint: tuple = ()

    # --- lifecycle ----------------------------------------------------------

    def on_mount(self) -> None:
        from deskterm.screens.queue import QueueScreen

        self.sub_title = f"{self.agent.name} ({self.agent.username})"
        self.push_screen(QueueScreen())
        self.load_timer()
        if self.open_ticket is not None:
            from deskterm.screens.goto import open_ticket

            open_ticket(self, self.open_ticket)
        if self.watch_interval:
            self._data_version = changes.data_version()
            self._last_fingerprint = changes.fingerprint()
            self.set_interval(self.watch_interval, self._poll_database)
        if self.background:
            self._start_background_jobs()

    def _start_background_jobs(self) -> None:
        """Time rules (SLA sweep, snooze wake-ups) every minute; outbox delivery every 30 s."""
        from deskterm.screens.rules import start_rule_timer

        start_rule_timer(self)
        self._deliver_mail()
        self.set_interval(MAIL_EVERY_SECONDS, self._deliver_mail)

    def _deliver_mail(self) -> None:
        def job() -> None:
            from deskterm.mail.outbound import send_pending

            with db.connection_context():
                send_pending()

        self.run_worker(job, thread=True, group="mail", exclusive=True, exit_on_error=False)

    def _poll_database(self) -> None:
        version = changes.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        fingerprint = changes.fingerprint()
        if fingerprint != self._last_fingerprint:
            self._last_fingerprint = fingerprint
            self.announce_change()

    def announce_change(self) -> None:
        """Tell every screen on the stack that data may have changed."""
        for screen in self.screen_stack:
            screen.post_message(DbChanged())
        self.load_timer()

    def load_timer(self) -> None:
        """Re-read the agent's running timer (another console or the CLI may change it)."""
        from deskterm.services import timers

        def keep(timer: TimerInfo | None) -> None:
            self.running_timer = timer

        self.call(timers.running_timer, self.agent.username, done=keep, group="timer")

    # --- services in workers -----------------------------------------------

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        on_conflict: Callable[[], None] | None = None,
        group: str = "service",
        exclusive: bool = False,
        **kwargs: Any,
    ) -> Worker[None]:
        """Run a service call in a thread worker; `done(result)` runs back on the UI thread.

        DomainErrors (and anything unexpected) become error notifications; a Conflict
        also calls `on_conflict` so the screen can reload the ticket.
        """

        def job() -> None:
            with db.connection_context():
                try:
                    result = fn(*args, **kwargs)
                except Conflict as error:
                    self.call_from_thread(self._conflict, error, on_conflict)
                    return
                except DomainError as error:
                    self.call_from_thread(self.notify, str(error), severity="error")
                    return
                except Exception as error:  # a face must not crash on a service bug
                    self.call_from_thread(
                        self.notify, f"{type(error).__name__}: {error}", severity="error"
                    )
                    return
            if done is not None:
                self.call_from_thread(done, result)

        return self.run_worker(
            job, thread=True, group=group, exclusive=exclusive, exit_on_error=False
        )

    def _conflict(self, error: Conflict, reload: Callable[[], None] | None) -> None:
        self.notify(f"{error} (reloaded: check and try again)", severity="warning")
        if reload is not None:
            reload()

    def when_changed(self, message: str | None = None) -> Callable[[Any], None]:
        """A `done` callback that notifies and asks every screen to refresh."""

        def finish(_: Any) -> None:
            if message:
                self.notify(message)
            self.announce_change()

        return finish

    # --- app-wide actions -------------------------------------------------------

    def action_help(self) -> None:
        """Show the bindings of the current screen."""
        from deskterm.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_goto(self, typed: str = "") -> None:
        """Go to a ticket by its number, or one of the recent ones (`:` or `#42`)."""
        from deskterm.screens.goto import GotoDialog, open_ticket

        def chosen(ticket_id: int | None) -> None:
            if ticket_id is not None:
                open_ticket(self, ticket_id)

        if not isinstance(self.screen, GotoDialog):
            self.push_screen(GotoDialog(typed), chosen)

    def action_reports(self) -> None:
        """The reports screen: figures and charts for a range."""
        from deskterm.screens.reports import ReportsScreen

        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen())

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every binding of the current screen is also a command palette entry."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or binding.system:
                continue
            seen.add(binding.action)
            key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                escape(f"{binding.tooltip or binding.description} [{key}]"),
                _runner(active.node, binding.action),
            )


def _goto_provider() -> type:
    from deskterm.screens.goto import GotoProvider

    return GotoProvider


def _runner(node: Any, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await node.run_action(action)

    return run


def make_app(
    db_path: Path | str,
    agent: str | None = None,
    *,
    watch_interval: float | None = 1.0,
    dark: bool = True,
    background: bool | None = None,
    open_ticket: int | None = None,
) -> DesktermApp:
    """Open the database and build the console for the OS user running it, or as `agent`
    (`--as`: admins and demo desks only). The same identity rule as the CLI
    (`services.identity`): Refused or NotFound when it does not allow this."""
    from deskterm.services import identity
    from deskterm.services.directory import get_agent

    open_db(db_path)
    actor = identity.resolve(agent)
    return DesktermApp(
        db_path,
        get_agent(actor.name),
        watch_interval=watch_interval,
        dark=dark,
        background=background,
        open_ticket=open_ticket,
        actor=actor,
    )
