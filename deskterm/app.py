"""The Textual agent console: a thin App that opens the database and installs screens.

`make_app(db_path, agent)` is the one factory used by `deskterm console` and the tests.
Services run in thread workers through `DesktermApp.call`: their errors become
notifications, never tracebacks. A cheap poll of SQLite's `data_version` tells the
screens when another process (agent, CLI, mail) changed the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker

from deskterm import collector
from deskterm.domain import Actor, AgentInfo, Conflict, DomainError
from deskterm.services import changes, desk
from deskterm.services.finding import listing
from deskterm.widgets import display

if TYPE_CHECKING:
    from deskterm.domain import TimerInfo
    from deskterm.first_page import FirstPage

#: How often the console hands queued notifications to SMTP (or the demo Maildir).
MAIL_EVERY_SECONDS = 30.0
#: Background jobs start with the first rows on screen, or after this at the latest.
BACKGROUND_AFTER_SECONDS = 5.0


class DbChanged(Message):
    """The database changed (here or elsewhere): visible data may be stale."""


class DesktermApp(App[None]):
    """The agent console."""

    CSS_PATH = ["deskterm.tcss", "features.tcss"]
    TITLE = "deskterm"
    #: Only deskterm's own palette entries (Textual's generic ones are left out); both
    #: load with the palette's first use.
    COMMANDS = {lambda: _desk_commands(), lambda: _goto_provider()}
    BINDINGS = [
        Binding("question_mark", "help", "Help", tooltip="the keys of this screen", id="help"),
        Binding("f9", "toggle_theme", "Theme", tooltip="switch light / dark", id="theme"),
        Binding(
            "colon",
            "goto('')",
            "Go to ticket",
            key_display=":",
            tooltip="open a ticket by number, or a recent one",
            id="goto",
            show=False,
        ),
        Binding(
            "number_sign",
            "goto('#')",
            "Go to #",
            key_display="#",
            tooltip="type the ticket number",
            id="goto.ref",
            show=False,
        ),
        Binding(
            "ctrl+q", "quit", "Quit", tooltip="leave (drafts are kept)", id="quit", priority=True
        ),
    ]
    #: Palette entries reachable from every screen: (title, help, app action).
    PALETTE_ACTIONS = [
        ("Canned replies", "manage saved replies", "canned"),
        ("Automation rules", "list, switch on/off and edit rules", "rules"),
    ]

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
        first_page: FirstPage | None = None,
    ) -> None:
        super().__init__()
        #: The queue's first page, read while Textual loaded (bare `deskterm`).
        self.first_page = first_page
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
        self._background_started = False
        self._timer_loaded = False
        self._data_version: int | None = None
        self._last_fingerprint: tuple = ()
        self._file_id = _file_id(self.db_path)
        #: Unexpected exceptions from services run by `call` (each also shown as a toast).
        self.unexpected_errors: list[str] = []
        section = _console_settings()  # the config file, read once
        display.set_bidi_mode(display.bidi_mode_from(section))
        from deskterm.console_settings import ConsoleSettings, console_settings

        self._startup_warning = ""
        try:
            #: The `[console]` switches: undo-send window, time-spent prompt.
            self.settings = console_settings(section)
        except DomainError as error:
            self.settings = ConsoleSettings()
            self._startup_warning = f"{error} (using the default)"

    # --- lifecycle ----------------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The queue is the first screen (Textual's blank default one is never built)."""
        from deskterm.screens.queue import QueueScreen

        return QueueScreen()

    def on_mount(self) -> None:
        self.sub_title = f"{self.agent.name} ({self.agent.username})"
        if self._startup_warning:
            self.notify(self._startup_warning, severity="warning", timeout=8)
        if self.open_ticket is not None:
            from deskterm.screens.goto import open_ticket

            open_ticket(self, self.open_ticket)
        if self.watch_interval:
            self._data_version = changes.data_version()
            self._last_fingerprint = changes.fingerprint()
            self.set_interval(self.watch_interval, self._poll_database)
        if self.background:  # after the first rows (or a few seconds at most)
            self.set_timer(BACKGROUND_AFTER_SECONDS, self._start_background_jobs)
        if os.environ.get(CRASH_FOR_TESTS):
            self.call_after_refresh(_crash_for_tests, os.environ[CRASH_FOR_TESTS])

    def on_ticket_table_first_rows(self) -> None:
        """The first screen's rows are in: once they are drawn, the garbage collector runs
        again and the running timer is read (the header shows it a moment later); the
        background jobs start soon after."""
        self.call_after_refresh(self._after_first_rows)
        if self.background and not self._background_started:
            self.set_timer(1.0, self._start_background_jobs)

    def on_ticket_table_load_failed(self) -> None:
        self._after_first_rows()

    def _after_first_rows(self) -> None:
        collector.release()
        if not self._timer_loaded:
            self.load_timer()

    def _start_background_jobs(self) -> None:
        """Time rules (SLA sweep, snooze wake-ups) every minute; outbox delivery every 30 s.

        Started once, when the first rows are on screen: not to compete with them."""
        if self._background_started:
            return
        self._background_started = True
        from deskterm.screens.rules import start_rule_timer

        start_rule_timer(self)
        self._deliver_mail()
        self.set_interval(MAIL_EVERY_SECONDS, self._deliver_mail)

    def _deliver_mail(self) -> None:
        def job() -> None:
            from deskterm.mail.outbound import send_pending

            with desk.worker_connection():
                send_pending()

        self.run_worker(job, thread=True, group="mail", exclusive=True, exit_on_error=False)

    def _poll_database(self) -> None:
        if self._reopen_if_replaced():
            return
        version = changes.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        fingerprint = changes.fingerprint()
        if fingerprint != self._last_fingerprint:
            self._last_fingerprint = fingerprint
            self.announce_change()

    def _reopen_if_replaced(self) -> bool:
        """`deskterm demo --force` or a restore put a new file at the path: open that one."""
        current = _file_id(self.db_path)
        if current == self._file_id or current is None:
            return False
        self._file_id = current
        self.workers.cancel_all()
        desk.open_desk(self.db_path)
        listing.forget_counts()
        self._data_version = changes.data_version()
        self._last_fingerprint = changes.fingerprint()
        self.notify(
            f"{self.db_path.name} was replaced on disk: showing the new database",
            severity="warning",
            timeout=8,
        )
        self.announce_change()
        return True

    def announce_change(self) -> None:
        """Tell every screen on the stack that data may have changed."""
        for screen in self.screen_stack:
            screen.post_message(DbChanged())
        self.load_timer()

    def load_timer(self) -> None:
        """Re-read the agent's running timer (another console or the CLI may change it)."""
        from deskterm.services import timers

        self._timer_loaded = True

        def keep(timer: TimerInfo | None) -> None:
            self.running_timer = timer

        self.call(timers.running_timer, self.agent.username, done=keep, group="timer")

    def take_first_page(self, query: str) -> FirstPage | None:
        """The first page read ahead, once, if it is `query`'s as this agent reads it."""
        ahead, self.first_page = self.first_page, None
        return ahead if ahead is not None and ahead.serves(query, self.actor) else None

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
            with desk.worker_connection():
                try:
                    result = fn(*args, **kwargs)
                except Conflict as error:
                    self.call_from_thread(self._conflict, error, on_conflict)
                    return
                except DomainError as error:
                    self.call_from_thread(self.notify, str(error), severity="error")
                    return
                except Exception as error:  # a face must not crash on a service bug
                    self.call_from_thread(self._unexpected, error)
                    return
            if done is not None:
                self.call_from_thread(done, result)

        return self.run_worker(
            job, thread=True, group=group, exclusive=exclusive, exit_on_error=False
        )

    def _unexpected(self, error: Exception) -> None:
        """A bug, not bad input: shown, logged and kept (the crash sweep test reads it)."""
        text = f"{type(error).__name__}: {error}"
        self.unexpected_errors.append(text)
        self.log.error(text)
        self.notify(text, severity="error")

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

    def action_command_palette(self) -> None:
        """The palette, with a search mark every font has (Textual's is an emoji)."""
        from textual.command import CommandPalette

        from deskterm.widgets.palette import DeskPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(DeskPalette(id="--command-palette"))

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_canned(self) -> None:
        """The canned replies screen."""
        from deskterm.screens.canned import CannedScreen

        if not isinstance(self.screen, CannedScreen):
            self.push_screen(CannedScreen())

    def action_rules(self) -> None:
        """The automation rules screen."""
        from deskterm.screens.rules import RulesScreen

        if not isinstance(self.screen, RulesScreen):
            self.push_screen(RulesScreen())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast; the message is always plain text (it often quotes customer data)."""
        super().notify(
            display.one_line(str(message))[:500],
            title=display.one_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )


#: Set only by tests: the console raises this message once it has drawn its first screen,
#: a real unhandled exception, to prove that a crash ends `deskterm` with a non-zero exit.
CRASH_FOR_TESTS = "DESKTERM_TEST_CRASH"


def _crash_for_tests(message: str) -> None:
    raise RuntimeError(message)


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the database file, None while it is missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _desk_commands() -> type:
    from deskterm.commands import DeskCommands

    return DeskCommands


def _goto_provider() -> type:
    from deskterm.screens.goto import GotoProvider

    return GotoProvider


def _console_settings() -> dict:
    """The `[console]` section of the config file (empty when missing or unreadable)."""
    from deskterm import paths

    if not paths.config_path().is_file():
        return {}  # the environment sets no console switch: nothing to read
    from deskterm.config import load_config

    try:
        section = load_config().raw.get("console", {})
    except DomainError:
        return {}
    return section if isinstance(section, dict) else {}


def _open(db_path: Path | str) -> None:
    """Open the desk, unless this process has it open already (the CLI opened it)."""
    if desk.is_open(db_path):
        return
    desk.open_desk(db_path)


def make_app(
    db_path: Path | str,
    agent: str | None = None,
    *,
    watch_interval: float | None = 1.0,
    dark: bool = True,
    background: bool | None = None,
    open_ticket: int | None = None,
    first_page: FirstPage | None = None,
) -> DesktermApp:
    """Open the database and build the console for the OS user running it, or as `agent`
    (`--as`: admins and demo desks only). The same identity rule as the CLI
    (`services.identity`): Refused or NotFound when it does not allow this. `first_page`:
    the queue's first page being read already (`deskterm.first_page`)."""
    from deskterm.services.directory import get_agent
    from deskterm.services.trust import identity

    _open(db_path)
    actor = identity.resolve(agent)
    return DesktermApp(
        db_path,
        get_agent(actor.name),
        watch_interval=watch_interval,
        dark=dark,
        background=background,
        open_ticket=open_ticket,
        actor=actor,
        first_page=first_page,
    )
