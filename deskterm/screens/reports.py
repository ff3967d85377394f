"""The reports screen (`R` on the queue): the figures of `deskterm report` for a range
switched with keys, with charts: volume and backlog over time, backlog bars, agent bars.

Every figure comes from `services.reports.build_report` and `services.dashboard`, computed
in a thread worker; the screen only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from deskterm import clock
from deskterm.app import DbChanged
from deskterm.services import desk, directory
from deskterm.services.reporting import dashboard, reports
from deskterm.widgets import glyphs
from deskterm.widgets.bar_chart import BarChart
from deskterm.widgets.timer import DeskHeader

RANGE_KEYS = list(dashboard.RANGES)


@dataclass(frozen=True)
class ReportData:
    range_key: str
    queue: str | None
    start: datetime
    end: datetime
    report: reports.Report
    extras: dashboard.Extras


def summary_rows(report: reports.Report) -> list[tuple[str, str]]:
    """The figures of the CLI's first table, as label and text."""
    fmt = dashboard.human_minutes
    sla = (
        f"{report.sla_compliance}% ({report.sla_met}/{report.sla_tickets})"
        if report.sla_compliance is not None
        else "-"
    )
    csat = (
        f"{report.csat_average} / 5 · {report.csat_satisfied_share}% ≥ 4"
        if report.csat_responses
        else "-"
    )
    return [
        ("Tickets created", f"{report.created}"),
        ("Tickets resolved", f"{report.resolved}"),
        ("Backlog now", f"{sum(report.backlog_by_status.values())}"),
        ("First response med/p90",
         f"{fmt(report.first_response.median)} / {fmt(report.first_response.p90)}"),
        ("Resolution med/p90",
         f"{fmt(report.resolution.median)} / {fmt(report.resolution.p90)}"),
        ("SLA met", sla),
        ("Satisfaction", csat),
    ]


def mine_rows(data: ReportData, me: str) -> list[tuple[str, str]]:
    """The agent's own figures: their activity in the range and their tickets now."""
    row = next((a for a in data.report.agents if a.agent == me), None)
    rows = [
        ("Replies", f"{row.replies if row else 0}"),
        ("Notes", f"{row.notes if row else 0}"),
        ("Resolved", f"{row.resolved if row else 0}"),
        ("Time logged", dashboard.human_minutes(row.minutes_logged if row else 0)),
    ]
    if data.extras.mine is not None:
        rows += [
            ("Open assigned now", f"{data.extras.mine.open_assigned}"),
            ("… of them breached", f"{data.extras.mine.breached_assigned}"),
        ]
    return rows


def sla_rows(data: ReportData) -> list[tuple[str, str]]:
    today = data.extras.sla_today
    return [
        ("Breaches today", f"{today.breaches}"),
        ("Targets due today", f"{today.due_today}"),
    ]


def figure_table(rows: list[tuple[str, str]]) -> Table:
    """Label / value rows as a borderless two-column table (values are data, not markup)."""
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(justify="right", style="bold", no_wrap=True)
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def series_caption(series: dict[str, int]) -> Text:
    """First and last day, lowest, highest and last value of a day series."""
    if not series:
        return Text("(no days)", style="dim")
    days, values = list(series), list(series.values())
    return Text.assemble(
        (f"{days[0]} … {days[-1]}", "dim"),
        f"  min {min(values)} · max {max(values)} · last {values[-1]}",
    )


class ReportsScreen(Screen[None]):
    """My figures, team backlog, SLA today, volume and backlog over time, agent bars."""

    HELP_TITLE = "reports"
    #: A period ends "now": the figures are read again this often while the screen shows,
    #: so its end keeps up with the clock on a quiet desk (a change reloads at once).
    REFRESH_SECONDS = 60.0
    BINDINGS = [
        Binding("escape", "back", "Back", id="reports.back"),
        Binding("d", "range('today')", "Today", id="reports.today"),
        Binding("w", "range('7d')", "7 days", id="reports.week"),
        Binding("m", "range('30d')", "30 days", id="reports.month"),
        Binding("q", "range('90d')", "90 days", id="reports.quarter"),
        Binding("right_square_bracket,right", "step(1)", "Longer", key_display="]",
                show=False, id="reports.longer"),
        Binding("left_square_bracket,left", "step(-1)", "Shorter", key_display="[",
                show=False, id="reports.shorter"),
        Binding("f", "pick_queue", "Queue", tooltip="Only one queue, or all",
                id="reports.queue"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="reports.refresh"),
    ]

    def __init__(self, range_key: str = "7d", queue: str | None = None) -> None:
        super().__init__()
        self.range_key = range_key
        self.queue = queue
        self.data: ReportData | None = None

    @property
    def me(self) -> str:
        return self.app.agent.username

    def compose(self) -> ComposeResult:
        yield DeskHeader(show_clock=False, icon=glyphs.APP_ICON)
        yield Static(id="report-range")
        with VerticalScroll(id="report-body"):
            with Horizontal(classes="report-row"):
                yield Static(id="report-summary", classes="report-panel")
                yield Static(id="report-mine", classes="report-panel")
                yield Static(id="report-sla", classes="report-panel")
            with Horizontal(classes="report-row"):
                with Vertical(classes="report-panel", id="volume-panel"):
                    yield Sparkline([], id="volume-spark", classes="report-spark")
                    yield Static(id="volume-caption")
                with Vertical(classes="report-panel", id="backlog-panel"):
                    yield Sparkline([], id="backlog-spark", classes="report-spark")
                    yield Static(id="backlog-caption")
            with Horizontal(classes="report-row"):
                yield BarChart("Backlog by status", id="bars-status", classes="report-panel")
                yield BarChart("Backlog by age", id="bars-age", classes="report-panel")
                yield BarChart("Backlog by team", id="bars-team", classes="report-panel")
            with Horizontal(classes="report-row"):
                yield BarChart("Replies per agent", id="bars-replies", classes="report-panel")
                yield BarChart("Resolved per agent", id="bars-resolved", classes="report-panel")
                yield BarChart("Created by queue", id="bars-queue", classes="report-panel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Reports"
        titles = {
            "#report-summary": "Summary",
            "#report-mine": f"My figures ({self.me})",
            "#report-sla": "SLA today",
            "#volume-panel": "Tickets created per day",
            "#backlog-panel": "Backlog at the end of each day",
        }
        for selector, title in titles.items():
            self.query_one(selector).border_title = title
        self._show_range(loading=True)
        self.load()
        self.set_interval(self.REFRESH_SECONDS, self._keep_up)

    def _keep_up(self) -> None:
        """Read the period again up to now, quietly, when it is on screen and older."""
        if self.is_current and self.data is not None and clock.now() > self.data.end:
            self._compute(self.range_key, self.queue, self.app.tz, self.me)

    def on_screen_resume(self) -> None:
        self._keep_up()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")
        if self.data is not None:
            self._show_range()

    # --- loading -------------------------------------------------------------------

    def load(self) -> None:
        self._show_range(loading=True)
        self._compute(self.range_key, self.queue, self.app.tz, self.me)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _compute(self, range_key: str, queue: str | None, zone, me: str) -> None:
        with desk.worker_connection():
            try:
                end = clock.now()
                start = dashboard.range_start(range_key, end, zone)
                data = ReportData(
                    range_key,
                    queue,
                    start,
                    end,
                    reports.build_report(start, end, queue),
                    dashboard.extra_figures(start, end, queue=queue, me=me, zone=zone),
                )
            except Exception as error:  # noqa: BLE001 - shown, never a crash
                self.app.call_from_thread(self.notify, str(error), severity="error")
                return
        self.app.call_from_thread(self.show, data)

    def show(self, data: ReportData) -> None:
        if (data.range_key, data.queue) != (self.range_key, self.queue):
            return  # an older range's answer
        self.data = data
        report, extras = data.report, data.extras
        self.query_one("#report-summary", Static).update(figure_table(summary_rows(report)))
        self.query_one("#report-mine", Static).update(figure_table(mine_rows(data, self.me)))
        self.query_one("#report-sla", Static).update(figure_table(sla_rows(data)))
        volume = {
            day: report.created_by_day.get(day, 0) for day in extras.backlog_by_day
        }
        self.query_one("#volume-spark", Sparkline).data = list(volume.values())
        self.query_one("#volume-caption", Static).update(series_caption(volume))
        self.query_one("#backlog-spark", Sparkline).data = list(extras.backlog_by_day.values())
        self.query_one("#backlog-caption", Static).update(series_caption(extras.backlog_by_day))
        bars = {
            "#bars-status": [
                (s.replace("_", " "), n) for s, n in report.backlog_by_status.items()
            ],
            "#bars-age": list(report.backlog_by_age.items()),
            "#bars-team": list(extras.backlog_by_team.items()),
            "#bars-replies": [(a.agent, a.replies) for a in report.agents],
            "#bars-resolved": [(a.agent, a.resolved) for a in report.agents],
            "#bars-queue": list(report.created_by_queue.items()),
        }
        for selector, items in bars.items():
            self.query_one(selector, BarChart).items = items
        self._show_range()

    def _show_range(self, *, loading: bool = False) -> None:
        text = Text()
        for key in RANGE_KEYS:
            label, _ = dashboard.RANGES[key]
            hotkey = {"today": "d", "7d": "w", "30d": "m", "90d": "q"}[key]
            style = "reverse bold" if key == self.range_key else "dim"
            text.append(f" {hotkey} {label} ", style=style)
            text.append(" ")
        text.append(f"  queue: {self.queue or 'all'} (f)", style="dim")
        if loading:
            text.append("  · loading…", style="italic")
        elif self.data is not None:
            zone = self.app.tz
            start = self.data.start.astimezone(zone)
            end = self.data.end.astimezone(zone)
            shown = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {end:%Z}"
            # a narrow terminal: the range on a line of its own, both ends in view
            room = self.size.width - 2
            joint = "  · " if text.cell_len + 4 + len(shown) <= room else "\n "
            text.append(joint + shown, style="dim")
        self.query_one("#report-range", Static).update(text)

    def on_db_changed(self, _: DbChanged) -> None:
        self.load()

    # --- actions -----------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_range(self, key: str) -> None:
        if key != self.range_key:
            self.range_key = key
            self.load()

    def action_step(self, step: int) -> None:
        index = RANGE_KEYS.index(self.range_key) + step
        self.action_range(RANGE_KEYS[max(0, min(len(RANGE_KEYS) - 1, index))])

    def action_refresh(self) -> None:
        self.load()

    def action_pick_queue(self) -> None:
        from deskterm.screens.dialogs import PickerDialog

        def chosen(value: str | None) -> None:
            if value is not None:
                self.queue = value or None
                self.load()

        def pick(queues) -> None:
            options = [("", "— all queues")] + [(q.slug, f"{q.name} ({q.slug})") for q in queues]
            self.app.push_screen(
                PickerDialog("Report on queue", options, current=self.queue or ""), chosen
            )

        self.app.call(directory.list_queues, done=pick)
