"""The rules screen: every automation rule with its trigger, last run and hit count.

Keys: space switches a rule on/off, shift+up/down move it, r runs time rules now,
e edits all rules in $EDITOR (validated before anything changes), escape goes back.
`start_rule_timer(app)` runs time rules in a background worker every minute.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from deskterm.domain import DomainError
from deskterm.widgets import glyphs
from deskterm.widgets.display import one_line, visual
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.thread_view import local_time

COLUMNS = ("#", "Rule", "On", "When", "Then", "Last run", "Hits", "Last error")


class RulesScreen(Screen[None]):
    """List and manage the desk's automation rules."""

    HELP_TITLE = "automation rules"
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", tooltip="back", id="rules.back"),
        Binding(
            "space", "toggle", "On/off", tooltip="switch the rule on or off", id="rules.toggle"
        ),
        Binding("shift+up", "move(-1)", "Move up", tooltip="evaluate earlier", id="rules.up"),
        Binding("shift+down", "move(1)", "Move down", tooltip="evaluate later", id="rules.down"),
        Binding("r", "run_now", "Run time rules", tooltip="run time rules now", id="rules.run"),
        Binding(
            "e", "edit", "Edit in $EDITOR", tooltip="checked before it changes", id="rules.edit"
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon=glyphs.APP_ICON)
        yield Static("", id="rules-summary")
        yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="rule-detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.sub_title = "Automation rules"
        #: The rules last shown, by name (the detail below the table reads them).
        self.infos: dict[str, Any] = {}
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.refresh_rules()

    @work(thread=True, exclusive=True, group="rules-load", exit_on_error=False)
    def refresh_rules(self, keep: str | None = None) -> None:
        from deskterm.services import desk
        from deskterm.services.automation import rules

        with desk.worker_connection():
            infos = rules.list_rules()
        self.app.call_from_thread(self._show, infos, keep)

    def _show(self, infos, keep: str | None) -> None:
        table = self.query_one(DataTable)
        current = keep or self._selected()
        self.infos = {info.name: info for info in infos}
        table.clear()
        for info in infos:
            cells = (
                str(info.position + 1),
                info.name,
                "on" if info.enabled else "off",
                info.when,
                ", ".join(info.actions),
                local_time(info.last_run_at, self.app.tz) if info.last_run_at else "never",
                str(info.hit_count),
                info.last_error or "",
            )
            # Text cells: a rule name or error with brackets is shown, never read as markup.
            table.add_row(*(Text(visual(one_line(c))) for c in cells), key=info.name)
        timed = sum(1 for i in infos if i.timed)
        self.query_one("#rules-summary", Static).update(
            f"{len(infos)} rules, {sum(i.enabled for i in infos)} on, {timed} time-based"
        )
        names = [i.name for i in infos]
        if current in names:
            table.move_cursor(row=names.index(current))
        self._show_detail()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted rule in full below the table, wrapped: a narrow terminal cuts
        the table's When / Then / Last run columns."""
        info = self.infos.get(self._selected() or "")
        zone = getattr(self.app, "tz", None)  # a bare host app (tests) has none
        self.query_one("#rule-detail", Static).update(rule_detail(info, zone))

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @work(thread=True, group="rules-change", exit_on_error=False)
    def _change(self, what: str, name: str, value: int = 0) -> None:
        from deskterm.services import desk
        from deskterm.services.automation import rules

        try:
            with desk.worker_connection():
                if what == "toggle":
                    info = next(i for i in rules.list_rules() if i.name == name)
                    rules.set_enabled(self.app.actor, name, not info.enabled)
                else:
                    rules.move_rule(self.app.actor, name, value)
        except DomainError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
        self.app.call_from_thread(self.refresh_rules, name)

    def action_toggle(self) -> None:
        if name := self._selected():
            self._change("toggle", name)

    def action_move(self, delta: int) -> None:
        if name := self._selected():
            self._change("move", name, delta)

    @work(thread=True, exclusive=True, group="rules-run", exit_on_error=False)
    def action_run_now(self) -> None:
        result = run_time_rules_once()
        self.app.call_from_thread(
            self.notify, f"{result.total} firings, {result.breaches} SLA breaches recorded"
        )
        self.app.call_from_thread(self.refresh_rules)

    def action_edit(self) -> None:
        from deskterm.services.automation import rules
        from deskterm.services.automation.rules_file import RulesFileError

        path = Path(tempfile.mkstemp(prefix="deskterm-rules-", suffix=".toml")[1])
        path.write_text(rules.export_rules(), encoding="utf-8")
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
            rules.load_rules_file(self.app.actor, path)
            self.notify("rules saved")
        except RulesFileError as error:
            self.notify("\n".join(error.errors), severity="error", title="Rules not changed")
        except DomainError as error:
            self.notify(str(error), severity="error", title="Rules not changed")
        finally:
            path.unlink(missing_ok=True)
        self.refresh_rules()


def rule_detail(info, zone) -> Text:
    """One rule as the detail lines under the table (text, never markup)."""
    if info is None:
        return Text()
    state = "on" if info.enabled else "off"
    text = Text(visual(one_line(f"{info.name}  ({state})")), style="bold")
    if info.description:
        text.append("\n" + visual(one_line(info.description)))
    text.append("\nWhen  ", style="dim")
    text.append(visual(one_line(info.when)))
    text.append("\nThen  ", style="dim")
    text.append(visual(one_line(", ".join(info.actions))))
    last = local_time(info.last_run_at, zone) if info.last_run_at else "never"
    text.append(f"\nLast run {last} · {info.hit_count} hits", style="dim")
    if info.last_error:
        text.append("\nLast error  ", style="dim")
        text.append(visual(one_line(info.last_error)))
    return text


def run_time_rules_once():
    """Run the SLA sweep and time rules on this thread's own connection."""
    from deskterm.services import desk
    from deskterm.services.automation import rules

    with desk.worker_connection():
        return rules.run_time_rules()


def start_rule_timer(app: App, every: float = 60.0) -> None:
    """Evaluate time rules in a background worker every `every` seconds."""

    def tick() -> None:
        app.run_worker(
            run_time_rules_once,
            thread=True,
            exclusive=True,
            group="time-rules",
            exit_on_error=False,
        )

    app.set_interval(every, tick)
