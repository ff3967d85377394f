"""A ticket list that pages from the database: only the rows on screen are ever loaded.

The table knows the total count and keeps a small cache of pages; a page that is not
cached yet is fetched in a thread worker and drawn as "loading" until it arrives.
Refreshing keeps the cursor on the same ticket when it is still in the list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from deskterm import clock
from deskterm.domain import TicketRow, ref
from deskterm.services import desk
from deskterm.widgets import glyphs
from deskterm.widgets.display import fit

PAGE_SIZE = 100
#: A reload reads the next page and the count once its first rows are drawn, or after this.
DRAW_WAIT_SECONDS = 0.5
#: Pages kept in memory; others are dropped and fetched again when scrolled back to.
MAX_PAGES = 12


class RowSource(Protocol):
    """Where the table's rows come from (a query, the Mentions list...)."""

    def count(self) -> int: ...

    def page(self, offset: int, limit: int) -> list[TicketRow]: ...


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: takes the remaining width
    sort: str | None  # the `sort:` value for this column
    drop: int = 0  # on a narrow table, higher numbers are left out first; 0 never


def _sla_describe() -> Callable[[TicketRow], tuple[str, str]] | None:
    """`services.automation.sla_clock.describe_clock(row, now)` -> (text, state) when it exists."""
    try:
        from deskterm.services.automation.sla_clock import describe_clock
    except ImportError:
        return None
    return describe_clock


#: The Ref column's width on a small desk ("#" and 5 digits); longer refs widen it.
MIN_REF = 6

COLUMNS: tuple[Column, ...] = (
    Column("mark", "", 2, None),
    Column("ref", "Ref", MIN_REF, "id"),
    Column("priority", "Prio", 6, "priority", drop=3),
    Column("status", "Status", 9, "status"),
    Column("subject", "Subject", 0, "subject"),
    Column("requester", "Requester", 16, "requester", drop=5),
    Column("queue", "Queue", 9, "queue", drop=4),
    Column("assignee", "Assignee", 8, "assignee", drop=2),
    Column("updated", "Updated", 9, "updated", drop=1),
)
#: Wide enough for "-53d 12h" and "!23h 59m".
SLA_COLUMN = Column("sla", "SLA", 9, "due", drop=1)
#: The subject never gets narrower than this while other columns can still be dropped.
MIN_SUBJECT = 20

SLA_LEGEND = (
    "SLA column: time left to the nearest target (first reply or resolution), in "
    "business hours. Yellow: due within an hour. Red -3h: overdue by 3 hours. "
    "!2h: on time now, but a target was missed earlier. missed: the clock stopped "
    "(pending, resolved...) after a target was missed. Empty: no SLA target."
)


def relative(moment: datetime, now: datetime | None = None) -> str:
    """A short age: `now`, `5m`, `3h`, `2d`, `7w`, `2y`."""
    seconds = int(((now or clock.now()) - clock.to_utc(moment)).total_seconds())
    if seconds < 60:
        return "now"
    for size, unit in ((31_536_000, "y"), (604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def _result(page: Future[list[TicketRow]], *, wait: bool) -> list[TicketRow] | None:
    """The rows read ahead; None while they are not in (`wait=False`) or when that read
    failed (the table reads them itself then, and reports its own error)."""
    if not wait and not page.done():
        return None
    return None if page.exception() is not None else page.result()


class TableHeader(Static):
    """The column titles above a TicketTable; click one to sort by it."""

    class SortClicked(Message):
        def __init__(self, column: Column) -> None:
            super().__init__()
            self.column = column

    def __init__(self, table: TicketTable, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.table = table
        if any(c.key == "sla" for c in table.columns):
            self.tooltip = SLA_LEGEND

    def on_click(self, event: Click) -> None:
        column = self.table.column_at(event.x)
        if column is not None and column.sort:
            self.post_message(self.SortClicked(column))


class TicketTable(ScrollView, can_focus=True):
    """The paged ticket list of the queue screen."""

    COMPONENT_CLASSES = {
        "ticket-table--cursor",
        "ticket-table--selected",
        "ticket-table--loading",
        "ticket-table--p-low",
        "ticket-table--p-normal",
        "ticket-table--p-high",
        "ticket-table--p-urgent",
        "ticket-table--s-new",
        "ticket-table--s-open",
        "ticket-table--s-pending",
        "ticket-table--s-on_hold",
        "ticket-table--s-postponed",
        "ticket-table--s-resolved",
        "ticket-table--s-closed",
        "ticket-table--sla-ok",
        "ticket-table--sla-warning",
        "ticket-table--sla-breached",
    }
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Next row", key_display="j", show=False),
        Binding("k,up", "cursor(-1)", "Previous row", key_display="k", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "jump_top", "First ticket", show=False),
        Binding(
            "G,end", "jump_bottom", "Last ticket", key_display="G", show=False, id="table.bottom"
        ),
        Binding("g", "g_prefix", "First ticket", key_display="g g", show=False, id="table.top"),
        Binding("x,space", "toggle_select", "Select", key_display="x", id="table.select"),
        Binding("enter,o", "open", "Open", key_display="o", id="table.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Opened(Message):
        """The agent opened the ticket under the cursor."""

        def __init__(self, ticket_id: int) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    class Loaded(Message):
        """A (re)load finished: total count known, first rows on screen."""

        def __init__(self, total: int) -> None:
            super().__init__()
            self.total = total

    class FirstRows(Message):
        """The first rows of a (re)load are on screen; the count may still be running."""

    class SelectionChanged(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class CursorMoved(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class ColumnsChanged(Message):
        """A resize changed which columns fit or how wide they are: redraw the header."""

    class LoadFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, tz: tzinfo | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tz = tz
        self.source: RowSource | None = None
        self.total = 0
        self.pages: dict[int, list[TicketRow]] = {}
        self.loading: set[int] = set()
        self.selected: set[int] = set()
        self.generation = 0
        self.loaded = False
        self.counted = False
        #: Why the last load failed (a bad filter), None when it worked.
        self.error: str | None = None
        self._last_g = 0.0
        sla = _sla_describe()
        self.sla = sla
        self.columns = COLUMNS + ((SLA_COLUMN,) if sla else ())
        #: Cells of the Ref column: the longest ref the desk can show (see `fit_refs`).
        self.ref_width = MIN_REF

    def fit_refs(self, highest_id: int) -> None:
        """Make the Ref column wide enough for `highest_id`'s ref (never narrower than
        MIN_REF nor than it is already): `#1000000` shows whole, not `#1000…`."""
        wanted = len(ref(highest_id))
        if wanted <= self.ref_width:
            return
        self.ref_width = wanted
        self.columns = tuple(
            replace(c, width=wanted) if c.key == "ref" else c for c in self.columns
        )
        self.refresh()
        self.post_message(self.ColumnsChanged())

    def _fit_rows(self, rows: list[TicketRow]) -> None:
        """Rows with a longer ref than the column holds (a ticket made since the desk's
        highest id was read) widen it."""
        if rows:
            self.fit_refs(max(row.id for row in rows))

    # --- data -----------------------------------------------------------------

    def set_source(
        self, source: RowSource, *, keep_selection: bool = False,
        first_page: Future[list[TicketRow]] | None = None,
    ) -> None:
        """Show a new list (view or filter change): cursor to the top. `first_page`: its
        first PAGE_SIZE rows being read already (`deskterm.first_page`); shown at once
        when they are in, else as soon as they are (read again if that read failed)."""
        self.source = source
        self.loaded = False
        self.error = None
        self.pages = {}
        self.total = 0
        if not keep_selection:
            self.selected.clear()
            self.post_message(self.SelectionChanged(0))
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.reload(keep_ticket=None, new_source=True, ahead=first_page)

    def reload(
        self, keep_ticket: int | None | bool = True, *, new_source: bool = False,
        ahead: Future[list[TicketRow]] | None = None,
    ) -> None:
        """Fetch the count and the visible page again, keeping the cursor on its ticket
        (`ahead`: the first page read already, see `set_source`)."""
        if self.source is None:
            return
        if keep_ticket is True:
            row = self.row_at(self.cursor)
            keep_ticket = row.id if row else None
        self.generation += 1
        if new_source:
            self.counted = False
        generation, source = self.generation, self.source
        first_page = int(self.scroll_y) // PAGE_SIZE
        cursor_page = self.cursor // PAGE_SIZE
        wanted = sorted({first_page, first_page + 1, cursor_page})
        # A new list shows its first page before the one after it is read; a reload reads
        # all of them first (the kept ticket may have moved to any of them).
        now = sorted({first_page, cursor_page}) if keep_ticket is None else wanted
        later = [p for p in wanted if p not in now]

        drawn = threading.Event()
        if now != [0]:
            ahead = None  # read ahead for the top of the list only
        elif ahead is not None and _result(ahead, wait=False) is not None:
            # in already: in the first frame, no "loading" one (the job goes on from here)
            self._reloaded(
                generation, {0: _result(ahead, wait=False)}, keep_ticket, mounting=True
            )
            now, ahead = [], None

        def job() -> None:
            try:
                with desk.worker_connection():
                    rows = None if ahead is None else _result(ahead, wait=True)
                    if rows is not None:  # now is [0]: read ahead, not read again
                        pages = {0: rows}
                    else:
                        pages = {p: source.page(p * PAGE_SIZE, PAGE_SIZE) for p in now}
                    if pages:  # none when the rows read ahead were shown already
                        self.app.call_from_thread(
                            self._reloaded, generation, pages, keep_ticket
                        )
                    # The rest (next page, count) waits until those rows are drawn: on two
                    # busy cores it would otherwise compete with drawing them.
                    self.app.call_from_thread(self.call_after_refresh, drawn.set)
                    drawn.wait(DRAW_WAIT_SECONDS)
                    more = {p: source.page(p * PAGE_SIZE, PAGE_SIZE) for p in later}
                    total = source.count()
            except Exception as error:  # noqa: BLE001 - shown to the agent
                self.app.call_from_thread(self._failed, generation, str(error))
                return
            # the page after and the count in one go: one layout and one draw, not two
            self.app.call_from_thread(self._counted, generation, total, more)

        self.run_worker(job, thread=True, group="table-reload", exclusive=True, exit_on_error=False)

    def _failed(self, generation: int, error: str) -> None:
        """The query could not run (a bad filter): show no rows, never the previous ones."""
        if generation != self.generation:
            return
        self.pages = {}
        self.loading.clear()
        self.selected.clear()
        self.total = 0
        self.loaded = self.counted = True
        self.error = error
        self._place_cursor(None)
        self.post_message(self.SelectionChanged(0))
        self.post_message(self.LoadFailed(error))

    def _reloaded(
        self, generation: int, pages: dict[int, list[TicketRow]], keep: int | None,
        *, mounting: bool = False,
    ) -> None:
        """First rows are in: show them before the (slower) count arrives. `mounting`: called
        by the screen as it mounts (rows read ahead), which FirstRows must not stop at."""
        if generation != self.generation:
            return
        self.pages = {p: rows for p, rows in pages.items() if rows or p == 0}
        for rows in self.pages.values():
            self._fit_rows(rows)
        self.loading.clear()
        self.loaded = True
        self.error = None
        seen = max((p * PAGE_SIZE + len(rows) for p, rows in self.pages.items()), default=0)
        full = any(len(rows) == PAGE_SIZE for rows in self.pages.values())
        if not self.counted:  # a provisional length until the count arrives
            self.total = seen + (1 if full else 0)
        self._place_cursor(keep)
        if mounting:  # Textual ends a bubble at the pump a message was made in: make it here
            self.call_later(lambda: self.post_message(self.FirstRows()))
        else:
            self.post_message(self.FirstRows())

    def _counted(
        self, generation: int, total: int, pages: dict[int, list[TicketRow]] | None = None
    ) -> None:
        """The count is in, with the `pages` read after the first (scrolling ahead)."""
        for page, rows in (pages or {}).items():
            self._page_loaded(generation, page, rows)
        if generation != self.generation:
            return
        self.total = total
        self.counted = True
        self._place_cursor(None)
        self.post_message(self.Loaded(total))

    def _place_cursor(self, keep: int | None) -> None:
        self.virtual_size = Size(self.size.width, self.total)
        if keep is not None:
            index = self.index_of(keep)
            if index is not None:
                self.cursor = index
        self.cursor = max(0, min(self.cursor, self.total - 1))
        self.refresh()

    def _fetch_page(self, page: int) -> None:
        if page in self.loading or self.source is None:
            return
        self.loading.add(page)
        generation, source = self.generation, self.source

        def job() -> None:
            try:
                with desk.worker_connection():
                    rows = source.page(page * PAGE_SIZE, PAGE_SIZE)
            except Exception as error:  # noqa: BLE001
                self.app.call_from_thread(self.post_message, self.LoadFailed(str(error)))
                return
            self.app.call_from_thread(self._page_loaded, generation, page, rows)

        self.run_worker(job, thread=True, group=f"table-page-{page}", exit_on_error=False)

    def _page_loaded(self, generation: int, page: int, rows: list[TicketRow]) -> None:
        self.loading.discard(page)
        if generation != self.generation:
            return
        self.pages[page] = rows
        self._fit_rows(rows)
        if not self.counted and rows:  # a longer provisional length until the count
            seen = page * PAGE_SIZE + len(rows) + (1 if len(rows) == PAGE_SIZE else 0)
            if seen > self.total:
                self.total = seen
                self.virtual_size = Size(self.size.width, self.total)
        if len(self.pages) > MAX_PAGES:
            here = self.cursor // PAGE_SIZE
            far = sorted(self.pages, key=lambda p: abs(p - here), reverse=True)
            for p in far[: len(self.pages) - MAX_PAGES]:
                del self.pages[p]
        self.refresh()

    def row_at(self, index: int) -> TicketRow | None:
        """The row at a list position, if its page is loaded."""
        rows = self.pages.get(index // PAGE_SIZE)
        if rows is None:
            return None
        offset = index % PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    @property
    def current(self) -> TicketRow | None:
        """The ticket under the cursor."""
        return self.row_at(self.cursor)

    def index_of(self, ticket_id: int) -> int | None:
        """Where a loaded ticket sits in the list."""
        for page, rows in self.pages.items():
            for i, row in enumerate(rows):
                if row.id == ticket_id:
                    return page * PAGE_SIZE + i
        return None

    def loaded_row(self, ticket_id: int) -> TicketRow | None:
        """The row of a ticket if its page is loaded."""
        index = self.index_of(ticket_id)
        return None if index is None else self.row_at(index)

    def neighbour_id(self, ticket_id: int, step: int) -> int | None:
        """The ticket `step` rows away from `ticket_id` (may query: call from a worker)."""
        index = self.index_of(ticket_id)
        if index is None or self.source is None:
            return None
        target = index + step
        if not 0 <= target < self.total:
            return None
        row = self.row_at(target)
        if row is None:
            rows = self.source.page(target, 1)
            return rows[0].id if rows else None
        return row.id

    def move_to(self, ticket_id: int) -> None:
        """Put the cursor on a ticket if it is loaded."""
        index = self.index_of(ticket_id)
        if index is not None:
            self.cursor = index

    @property
    def selected_ids(self) -> list[int]:
        """Selected tickets, or the one under the cursor when nothing is selected."""
        if self.selected:
            return sorted(self.selected)
        row = self.current
        return [row.id] if row else []

    def clear_selection(self) -> None:
        self.selected.clear()
        self.post_message(self.SelectionChanged(0))
        self.refresh()

    # --- cursor and keys --------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        if old != new:
            self.post_message(self.CursorMoved(new))

    def action_cursor(self, step: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump_top(self) -> None:
        self.cursor = 0

    def action_jump_bottom(self) -> None:
        if self.total:
            self.cursor = self.total - 1

    def action_g_prefix(self) -> None:
        """`g g` jumps to the top (a second `g` within a second)."""
        import time

        now = time.monotonic()
        if now - self._last_g < 1.0:
            self.action_jump_top()
            self._last_g = 0.0
        else:
            self._last_g = now

    def action_toggle_select(self) -> None:
        row = self.current
        if row is None:
            return
        self.selected.symmetric_difference_update({row.id})
        self.post_message(self.SelectionChanged(len(self.selected)))
        self.action_cursor(1)
        self.refresh()

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_click(self, event: Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    # --- drawing -----------------------------------------------------------------

    def layout_for(self, total_width: int) -> list[tuple[Column, int]]:
        """The columns that fit a table `total_width` wide, with their cell widths.

        Columns are left out by their `drop` order until the subject has MIN_SUBJECT cells.
        """
        shown = list(self.columns)
        droppable = sorted((c for c in shown if c.drop), key=lambda c: -c.drop)

        def fixed() -> int:
            return sum(c.width for c in shown) + len(shown) - 1

        while droppable and total_width - fixed() < MIN_SUBJECT:
            shown.remove(droppable.pop(0))
        flexible = max(12, total_width - fixed())
        return [(c, c.width or flexible) for c in shown]

    def widths(self, total_width: int) -> list[int]:
        """Cell widths of the shown columns for a table `total_width` wide."""
        return [width for _, width in self.layout_for(total_width)]

    def column_at(self, x: int) -> Column | None:
        """The column drawn at cell `x`."""
        start = 0
        for column, width in self.layout_for(self.size.width):
            if start <= x < start + width + 1:
                return column
            start += width + 1
        return None

    def header_text(self, sort: str | None) -> str:
        """The header line, with an arrow on the sorted column."""
        cells = []
        key = (sort or "").lstrip("-")
        for column, width in self.layout_for(self.size.width):
            title = column.title
            if column.sort and column.sort == key:
                title += f" {glyphs.SORT_DOWN if (sort or '').startswith('-') else glyphs.SORT_UP}"
            cells.append(fit(title, width))
        return " ".join(cells)

    def _cell(self, row: TicketRow, key: str, now: datetime) -> tuple[str, str | None]:
        if key == "mark":
            mark = glyphs.SELECTED if row.id in self.selected else " "
            return mark, "ticket-table--selected"
        if key == "ref":
            return row.ref, None
        if key == "priority":
            return row.priority.value, f"ticket-table--p-{row.priority.value}"
        if key == "status":
            return row.status.value.replace("_", " "), f"ticket-table--s-{row.status.value}"
        if key == "subject":
            return row.subject, None
        if key == "requester":
            return row.requester or row.requester_email, None
        if key == "queue":
            return row.queue, None
        if key == "assignee":
            return row.assignee or "—", None
        if key == "updated":
            return relative(row.updated_at, now), None
        if key == "sla" and self.sla is not None:
            text, state = self.sla(row, now)
            known = state in ("ok", "warning", "breached")
            return text, f"ticket-table--sla-{state}" if known else None
        return "", None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = int(self.scroll_y) + y
        base = self.rich_style
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            self._fetch_page(index // PAGE_SIZE)
            style = base + self.get_component_rich_style("ticket-table--loading")
            return Strip([Segment(fit("  …", width), style)], width)
        line_style = base
        if row.id in self.selected:
            line_style += self.get_component_rich_style("ticket-table--selected", partial=True)
        if index == self.cursor and self.has_focus:
            line_style += self.get_component_rich_style("ticket-table--cursor")
        elif index == self.cursor:
            line_style += self.get_component_rich_style("ticket-table--cursor", partial=True)
        segments: list[Segment] = []
        now = clock.now()
        for column, cell_width in self.layout_for(width):
            text, component = self._cell(row, column.key, now)
            style = line_style
            if component:
                style = line_style + self._fg(component)
            segments.append(Segment(fit(text, cell_width), style))
            segments.append(Segment(" ", line_style))
        return Strip(segments[:-1]).adjust_cell_length(width, line_style)

    def _fg(self, component: str) -> Style:
        style = self.get_component_rich_style(component, partial=True)
        return Style(color=style.color, bold=style.bold, dim=style.dim, italic=style.italic)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total)
        self.post_message(self.ColumnsChanged())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
