"""The home screen: views in a sidebar, a filter bar and the paged ticket table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.app import DbChanged
from deskterm.domain import Actor, Status, TicketRow, ViewInfo
from deskterm.first_page import DEFAULT_VIEW, FirstPage
from deskterm.screens.queue_views import VIEW_BINDINGS, ViewActions
from deskterm.services import directory, mentions
from deskterm.services.finding import listing, views
from deskterm.widgets import display, glyphs
from deskterm.widgets.display import plain
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.ticket_table import TableHeader, TicketTable
from deskterm.widgets.timer import DeskHeader, toggle_timer


class QuerySource:
    """Rows of a filter in the query language, paged from the database."""

    def __init__(self, text: str, actor: Actor, pager: listing.Pager | None = None) -> None:
        self.text = text
        self.actor = actor
        self.me = actor.name
        #: keyset pages, cached counts (`pager`: one that read the first page already)
        self.pager = pager or listing.Pager(text, actor=actor)

    def count(self) -> int:
        return self.pager.count()

    def page(self, offset: int, limit: int) -> list[TicketRow]:
        return self.pager.page(offset, limit)


class MentionsSource(QuerySource):
    """Tickets where the agent was @mentioned in a note."""

    def __init__(self, actor: Actor) -> None:
        super().__init__("", actor)

    def _query(self) -> str | None:
        ids = mentions.mentioned_ticket_ids(self.me)
        return f"id:{','.join(map(str, ids))}" if ids else None

    def count(self) -> int:
        query = self._query()
        return listing.count_tickets(query, actor=self.actor) if query else 0

    def page(self, offset: int, limit: int) -> list[TicketRow]:
        query = self._query()
        if not query:
            return []
        return listing.list_tickets(query, actor=self.actor, limit=limit, offset=offset)



SORTABLE = [
    ("updated", "Updated"),
    ("created", "Created"),
    ("priority", "Priority"),
    ("status", "Status"),
    ("id", "Ref"),
    ("subject", "Subject"),
    ("requester", "Requester"),
    ("queue", "Queue"),
    ("assignee", "Assignee"),
    ("due", "SLA due"),
]


class QueueScreen(ViewActions, Screen[None]):
    """Views, filter and the ticket table; bulk actions on the selection."""

    HELP_TITLE = "queue"
    #: The table takes the focus as the screen is built (Textual's default, the first
    #: focusable widget, is the sidebar's list: its focus and blur each cost a restyle).
    AUTO_FOCUS = "#tickets"
    BINDINGS = [
        Binding(
            "slash",
            "focus_filter",
            "Search",
            key_display="/",
            tooltip="filter bar: status:open tag:vip words…",
            id="queue.search",
        ),
        Binding("escape", "back_out", "Back", show=False),
        Binding("r", "open_with('reply')", "Reply", tooltip="open and reply", id="queue.reply"),
        Binding(
            "c",
            "open_with('note')",
            "Comment",
            tooltip="open and write an internal note",
            id="queue.comment",
        ),
        Binding("a", "bulk_assign", "Assign", tooltip="assign the selection", id="queue.assign"),
        Binding(
            "S", "bulk_status", "Status", tooltip="set the selection's status", id="queue.status"
        ),
        Binding("e", "bulk_close", "Close", tooltip="close the selection", id="queue.close"),
        Binding("t", "bulk_tag", "Tag", tooltip="add/remove tags on the selection", id="queue.tag"),
        Binding("s", "sort", "Sort", tooltip="sort by a column", id="queue.sort"),
        Binding(
            "v", "save_view", "Save view", tooltip="save the filter as a view", id="queue.save_view"
        ),
        Binding(
            "D",
            "delete_view",
            "Delete view",
            show=False,
            tooltip="delete the highlighted saved view",
            id="queue.delete_view",
        ),
        Binding(
            "alt+1", "chip('all')", "Show all", show=False, tooltip="the All chip: any status",
            id="queue.chip_all",
        ),
        Binding(
            "alt+2",
            "chip('open')",
            "Show open",
            show=False,
            tooltip="the Open chip: active tickets",
            id="queue.chip_open",
        ),
        Binding(
            "alt+3",
            "chip('closed')",
            "Show closed",
            show=False,
            tooltip="the Closed chip: resolved and closed",
            id="queue.chip_closed",
        ),
        Binding(
            "V",
            "toggle_sidebar",
            "Views panel",
            show=False,
            tooltip="show / hide the views sidebar",
            id="queue.sidebar",
        ),
        Binding(
            "m",
            "mark_read",
            "Mark read",
            show=False,
            tooltip="mark the mentions on the selection as read",
            id="queue.mark_read",
        ),
        Binding(
            "C", "app.canned", "Canned replies", tooltip="manage saved replies", id="queue.canned"
        ),
        Binding(
            "R", "app.reports", "Reports", show=False, tooltip="charts and figures",
            id="queue.reports",
        ),
        Binding(
            "L",
            "app.rules",
            "Automation rules",
            show=False,
            tooltip="list, switch on/off and edit rules",
            id="queue.rules",
        ),
        Binding(
            "T",
            "toggle_timer",
            "Timer",
            show=False,
            id="queue.timer",
            tooltip="start/stop the time tracking timer on the ticket under the cursor",
        ),
        Binding(
            "ctrl+r", "refresh", "Refresh", show=False, tooltip="reload now", id="queue.refresh"
        ),
        Binding(
            "ctrl+a",
            "select_page",
            "Select loaded",
            show=False,
            tooltip="select every loaded row",
            id="queue.select_page",
        ),
        *VIEW_BINDINGS,
    ]

    #: Below this many columns the sidebar starts hidden (V shows it).
    NARROW = 100

    def __init__(self) -> None:
        super().__init__()
        self.view: ViewInfo | None = None
        self.query_text = ""
        self.view_list: list[ViewInfo] = []
        #: The agent's own choice for the sidebar (V); None follows the terminal width.
        self._sidebar_choice: bool | None = None
        #: The table has shown its first rows once (the views' counts wait for that).
        self._rows_shown = False
        #: Shown before: a resume is a return from another screen (the first one is not).
        self._resumed = False

    @property
    def me(self) -> str:
        return self.app.agent.username

    def compose(self) -> ComposeResult:
        yield DeskHeader(show_clock=False, icon=glyphs.APP_ICON)
        with Horizontal(id="queue-body"):
            with Vertical(id="sidebar"):
                yield Label("Views", classes="sidebar-title")
                yield OptionList(id="views")
            with Vertical(id="queue-main"):
                with Horizontal(id="filter-bar"):
                    for key, title in (("all", "All"), ("open", "Open"), ("closed", "Closed")):
                        yield Static(title, id=f"chip-{key}", classes="chip")
                    yield Input(
                        placeholder="status:open queue:billing assignee:me tag:vip older:7d words",
                        id="filter",
                    )
                table = TicketTable(tz=self.app.tz, id="tickets")
                yield TableHeader(table, id="table-header")
                yield table
                yield Static("", id="queue-status")
        yield DeskFooter()

    def on_mount(self) -> None:
        # The first rows do not wait for the sidebar: the default view is built in, and the
        # sidebar loads once they are in (`_after_first_rows`).
        view = next(v for v in views.BUILTIN_VIEWS if v.name == DEFAULT_VIEW)
        table = self.query_one(TicketTable)
        # bare `deskterm` read the first page and the highest id while Textual loaded
        ahead = self.app.take_first_page(view.query)
        highest = ahead.highest_id if ahead is not None else None
        if highest is not None and highest.done() and not highest.exception():
            table.fit_refs(highest.result())  # before the first frame: drawn once
        else:  # read once: the Ref column as wide as the desk's longest ref (`#1000000`)
            self.app.call(listing.highest_ticket_id, done=table.fit_refs, group="ref-width")
        self.apply_view(view, ahead=ahead)
        table.focus()
        self._fit_sidebar()

    def on_resize(self) -> None:
        self._fit_sidebar()

    def _fit_sidebar(self) -> None:
        """Narrow terminals: the sidebar collapses so the table keeps its columns."""
        sidebar = self.query_one("#sidebar")
        wanted = self._sidebar_choice
        shown = sidebar.display
        sidebar.display = wanted if wanted is not None else self.app.size.width >= self.NARROW
        if sidebar.display and not shown:
            # painted while hidden (no width yet): fit the labels to the sidebar now
            self.call_after_refresh(self.paint_views, self.view_list, self.view_counts)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        self._sidebar_choice = not sidebar.display
        self._fit_sidebar()
        if sidebar.display:
            self.query_one("#views", OptionList).focus()
        else:
            self.query_one(TicketTable).focus()

    # --- views and filter -------------------------------------------------------

    def load_views(self, *, select_name: str | None = None) -> None:
        """(Re)load the sidebar from the views service."""

        def fill(result: tuple[list[ViewInfo], int]) -> None:
            found, unseen = result
            self.view_list = found
            options = self.query_one("#views", OptionList)
            highlighted = options.highlighted
            options.clear_options()
            for view in found:
                options.add_option(Option(plain(view.name), id=str(view.id)))
            known = {v.id: self.view_counts[v.id] for v in found if v.id in self.view_counts}
            self.paint_views(found, {**known, views.MENTIONS_VIEW_ID: unseen})
            if self._rows_shown:  # counts come after the first rows (see on_..._first_rows)
                self.count_views()
            if select_name:
                for view in found:
                    if view.name == select_name:
                        self.view = view
            index = next(
                (i for i, v in enumerate(found) if self.view and v.id == self.view.id), highlighted
            )
            options.highlighted = index

        me = self.me
        self.app.call(
            lambda: (views.list_views(me), len(mentions.list_mentions(me, unseen_only=True))),
            done=fill,
            group="sidebar",
            exclusive=True,
        )

    def apply_view(self, view: ViewInfo, *, ahead: FirstPage | None = None) -> None:
        """Show a view: its query goes into the filter bar (`ahead`: its first page read
        already, `deskterm.first_page`)."""
        self.view = view
        self.query_text = view.query
        self.query_one("#filter", Input).value = view.query
        table = self.query_one(TicketTable)
        if view.id == views.MENTIONS_VIEW_ID:
            table.set_source(MentionsSource(self.app.actor))
        elif ahead is not None:
            source = QuerySource(view.query, self.app.actor, pager=ahead.pager)
            table.set_source(source, first_page=ahead.rows)
        else:
            table.set_source(QuerySource(view.query, self.app.actor))
        self._show_chips()
        self._update_header()

    def apply_filter(self, text: str) -> None:
        """Show the tickets matching `text` (the filter bar's language)."""
        self.query_text = text.strip()
        self.query_one("#filter", Input).value = self.query_text
        self.query_one(TicketTable).set_source(QuerySource(self.query_text, self.app.actor))
        self._show_chips()
        self._update_header()

    def _show_chips(self) -> None:
        status = views.token_value(self.query_text, "status")
        for key, value in views.CHIPS.items():
            self.query_one(f"#chip-{key}").set_class(status == value, "-active")

    def _update_header(self) -> None:
        table = self.query_one(TicketTable)
        sort = views.token_value(self.query_text, "sort") or "-updated"
        self.query_one(TableHeader).update(table.header_text(sort))

    def _update_status(self) -> None:
        table = self.query_one(TicketTable)
        parts = []
        if table.error:
            parts.append(f"no rows: {table.error}")
        elif not table.loaded:
            parts.append("loading…")
        elif not table.counted:
            parts.append(f"{table.cursor + 1:,} of … (counting)")
        elif table.total:
            parts.append(f"{table.cursor + 1:,} of {table.total:,} tickets")
        else:
            parts.append("no tickets match")
        if table.selected:
            parts.append(f"{len(table.selected)} selected")
        name = self.view.name if self.view else "filter"
        if self.view and self.view.query != self.query_text:
            name += " (changed)"
        parts.append(f"view: {name}")
        status = self.query_one("#queue-status", Static)
        status.update(plain("  ·  ".join(parts)))
        status.set_class(bool(table.error), "-error")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "views":
            return
        view = next((v for v in self.view_list if str(v.id) == event.option.id), None)
        if view is not None:
            self.apply_view(view)
            self.query_one(TicketTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.apply_filter(event.value)
            self.query_one(TicketTable).focus()

    def on_click(self, event) -> None:
        widget = event.widget
        if widget is not None and widget.has_class("chip"):
            self.action_chip(widget.id.removeprefix("chip-"))

    def on_table_header_sort_clicked(self, event: TableHeader.SortClicked) -> None:
        self.sort_by(event.column.sort)

    # --- table events ------------------------------------------------------------

    def on_ticket_table_columns_changed(self, event: TicketTable.ColumnsChanged) -> None:
        self._update_header()

    def on_ticket_table_loaded(self, event: TicketTable.Loaded) -> None:
        self._update_status()
        self._update_header()

    def on_ticket_table_load_failed(self, event: TicketTable.LoadFailed) -> None:
        self.notify(event.error, severity="error", title="Filter")
        self._update_status()
        self.query_one("#filter", Input).focus()
        self._after_first_rows()

    def on_ticket_table_selection_changed(self, event: TicketTable.SelectionChanged) -> None:
        self._update_status()

    def on_ticket_table_opened(self, event: TicketTable.Opened) -> None:
        self.open_ticket(event.ticket_id)

    def on_ticket_table_first_rows(self, event: TicketTable.FirstRows) -> None:
        self._update_status()
        self._after_first_rows()

    def _after_first_rows(self) -> None:
        """Once, when the first list is in (or failed): the sidebar and its counts."""
        if not self._rows_shown:
            self._rows_shown = True
            self.load_views()  # `fill` counts the views, the rows being shown

    def on_ticket_table_cursor_moved(self, event: TicketTable.CursorMoved) -> None:
        self._update_status()

    def on_db_changed(self, _: DbChanged) -> None:
        self.query_one(TicketTable).reload()
        self.load_views()

    def on_screen_resume(self) -> None:
        table = self.query_one(TicketTable)
        if table.loaded and self._resumed:  # back from another screen: fresh rows
            table.reload()
            self.load_views()
        self._resumed = True
        self.set_interval(0.2, self._update_status, repeat=1)

    def open_ticket(self, ticket_id: int, composer: str | None = None) -> None:
        from deskterm.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(ticket_id, navigator=self, composer=composer))

    def neighbour_id(self, ticket_id: int, step: int) -> int | None:
        """Next/previous ticket in this list (called from a worker by the ticket screen)."""
        return self.query_one(TicketTable).neighbour_id(ticket_id, step)

    def follow(self, ticket_id: int) -> None:
        """Keep the table cursor on the ticket the agent moved to."""
        self.query_one(TicketTable).move_to(ticket_id)

    # --- actions -----------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_back_out(self) -> None:
        table = self.query_one(TicketTable)
        if not table.has_focus:
            table.focus()
        elif table.selected:
            table.clear_selection()

    def action_open_with(self, mode: str) -> None:
        row = self.query_one(TicketTable).current
        if row is not None:
            self.open_ticket(row.id, composer=mode)

    def action_chip(self, key: str) -> None:
        self.apply_filter(views.with_token(self.query_text, "status", views.CHIPS[key]))

    def action_refresh(self) -> None:
        self.query_one(TicketTable).reload()

    def action_select_page(self) -> None:
        table = self.query_one(TicketTable)
        for rows in table.pages.values():
            table.selected.update(r.id for r in rows)
        table.post_message(TicketTable.SelectionChanged(len(table.selected)))
        table.refresh()

    def sort_by(self, key: str | None) -> None:
        """Sort by a column; sorting by the current column again flips the direction."""
        if not key:
            return
        current = views.token_value(self.query_text, "sort") or "-updated"
        if current.lstrip("-") == key:
            value = key if current.startswith("-") else f"-{key}"
        else:
            value = f"-{key}" if key in ("updated", "created", "priority") else key
        self.apply_filter(views.with_token(self.query_text, "sort", value))

    def action_sort(self) -> None:
        from deskterm.screens.dialogs import PickerDialog
        current = (views.token_value(self.query_text, "sort") or "-updated").lstrip("-")
        self.app.push_screen(PickerDialog("Sort by", SORTABLE, current=current), self.sort_by)

    def action_save_view(self) -> None:
        from deskterm.screens.dialogs import PromptDialog
        def save(name: str | None) -> None:
            if name:
                self.app.call(
                    views.save_view,
                    self.app.actor,
                    name,
                    self.query_text,
                    done=lambda v: (
                        self.notify(f"Saved view {v.name!r}"),
                        self.load_views(select_name=v.name),
                    ),
                )

        default = "" if (self.view is None or self.view.builtin) else self.view.name
        self.app.push_screen(
            PromptDialog(
                "Save the current filter as a view",
                value=default,
                placeholder="view name",
                hint=self.query_text or "(no filter)",
            ),
            save,
        )

    def action_delete_view(self) -> None:
        from deskterm.screens.dialogs import ConfirmDialog
        options = self.query_one("#views", OptionList)
        if options.highlighted is None:
            return
        view = self.view_list[options.highlighted]
        if view.builtin:
            self.notify("built-in views cannot be deleted", severity="warning")
            return

        def delete(yes: bool | None) -> None:
            if yes:
                self.app.call(
                    views.delete_view, self.app.actor, view.id, done=lambda _: self.load_views()
                )

        self.app.push_screen(ConfirmDialog(f"Delete the view {view.name!r}?", yes="Delete"), delete)

    def action_toggle_timer(self) -> None:
        row = self.query_one(TicketTable).current
        if row is None:
            self.notify("no ticket under the cursor", severity="warning")
        else:
            toggle_timer(self.app, row.id)

    def action_mark_read(self) -> None:
        """Mark the agent's mentions on the selection (or the current row) as read."""
        ids = self.query_one(TicketTable).selected_ids
        if not ids:
            return
        me = self.me

        def mark() -> int:
            return sum(mentions.mark_seen(me, ticket_id) for ticket_id in ids)

        def done(count: int) -> None:
            self.notify(f"{count} mention{'' if count == 1 else 's'} marked read")
            self.load_views()

        self.app.call(mark, done=done)

    # --- bulk actions on the selection (or the row under the cursor) -------------------

    def _bulk(self, verb: str, **changes) -> None:
        from deskterm.screens.dialogs import ConfirmDialog
        table = self.query_one(TicketTable)
        ids = table.selected_ids
        if not ids:
            self.notify("no ticket under the cursor", severity="warning")
            return
        count = len(ids)
        noun = "ticket" if count == 1 else "tickets"
        rows = [r for r in (table.loaded_row(i) for i in ids[:5]) if r is not None]
        shown = None
        if count == 1 and rows:
            subject = display.one_line(rows[0].subject)[:60]
            question = f"{verb} {rows[0].ref} “{subject}”?"
            shown = display.fields(f"{verb} {rows[0].ref} “", subject, "”?")
        else:
            question = f"{verb} {count} {noun}?"
        details: tuple = tuple(
            display.fields(f"{r.ref}  ", display.one_line(r.subject)[:60]) for r in rows
        )
        if count > len(rows):
            details += (f"… and {count - len(rows)} more",)

        def finish(result) -> None:
            from deskterm.services.finding.bulk_skips import named

            table.clear_selection()
            # as the CLI says it: which were left as they were, and why
            why = f"; {named(result.skipped, limit=5)}" if result.skipped else ""
            total = result.changed + len(result.skipped)
            self.notify(f"{verb}: {result.changed} of {total} {noun} changed{why}",
                        timeout=8 if result.skipped else None)
            self.app.announce_change()

        def run(yes: bool | None) -> None:
            from deskterm.services.finding import bulk  # its listeners: not for the first screen

            if yes:
                self.app.call(
                    bulk.bulk_set, self.app.actor, None, me=self.me, ids=ids, done=finish, **changes
                )

        self.app.push_screen(
            ConfirmDialog(question, yes=verb.split()[0], details=details if count > 1 else (),
                          shown=shown),
            run,
        )

    def action_bulk_close(self) -> None:
        self._bulk("Close", status=Status.CLOSED.value)

    def action_bulk_status(self) -> None:
        from deskterm.screens.dialogs import PickerDialog
        from deskterm.screens.dialogs.picker import STATUS_OPTIONS
        options = STATUS_OPTIONS
        table = self.query_one(TicketTable)
        row = table.current if not table.selected else None

        def chosen(value: str | None) -> None:
            if value:
                self._bulk(f"Set status {value} on", status=value)

        current = row.status.value if row else None
        self.app.push_screen(PickerDialog("Set status", options, current=current), chosen)

    def action_bulk_assign(self) -> None:
        from deskterm.screens.dialogs import PickerDialog
        def pick(agents) -> None:
            options = [("", "— nobody (unassign)")] + [
                (a.username, f"{a.name} ({a.username})") for a in agents if a.active
            ]

            def chosen(value: str | None) -> None:
                if value is None:
                    return
                if value:
                    self._bulk(f"Assign to {value}", assignee=value)
                else:
                    self._bulk("Unassign", unassign=True)

            table = self.query_one(TicketTable)
            row = table.current if not table.selected else None
            current = None if row is None else (row.assignee or "")
            self.app.push_screen(PickerDialog("Assign to", options, current=current), chosen)

        self.app.call(directory.list_agents, done=pick)

    def action_bulk_tag(self) -> None:
        from deskterm.screens.dialogs import PromptDialog
        def chosen(text: str | None) -> None:
            if not text:
                return
            words = text.replace(",", " ").split()
            add = [w for w in words if not w.startswith("-")]
            remove = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
            self._bulk("Tag", tags_add=add, tags_remove=remove)

        table = self.query_one(TicketTable)
        rows = [r for r in (table.loaded_row(i) for i in table.selected_ids) if r is not None]
        counts: dict[str, int] = {}
        for row in rows:
            for tag in row.tags:
                counts[tag] = counts.get(tag, 0) + 1
        now = " ".join(
            tag if n == len(rows) else f"{tag} ({n} of {len(rows)})"
            for tag, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        )
        self.app.push_screen(
            PromptDialog(
                "Tags",
                placeholder="vip billing -spam",
                hint=f"tags now: {now or '(none)'}\nwords add tags, -word removes one",
            ),
            chosen,
        )
