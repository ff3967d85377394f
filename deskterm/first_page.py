"""The queue's first page, read in a thread while Textual loads (bare `deskterm` only).

Loading Textual and building the queue screen take most of the console's start, and the
first page's query needs none of it. So bare `deskterm` starts this read before it
imports Textual (`deskterm.entry`): the query runs beside the imports (SQLite lets go of
the interpreter while it reads) and the queue screen draws its first frame with these
rows and the Ref column's width in it, instead of a "loading" frame and a second one.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from deskterm.domain import Actor, TicketRow
from deskterm.services import desk
from deskterm.services.finding import listing, views
from deskterm.services.trust import access  # noqa: F401 - loaded here, not in the thread

#: Rows read ahead: the ticket table's first page (`widgets.ticket_table.PAGE_SIZE`).
ROWS = 100
#: The built-in view the queue opens on.
DEFAULT_VIEW = "All open"


class FirstPage:
    """The first `ROWS` rows of `query` as `actor` reads them, and the desk's highest ticket
    id (the Ref column's width), each a Future set by a thread of its own."""

    def __init__(self, query: str, actor: Actor) -> None:
        self.query = query
        self.actor = actor
        #: The pager that read the page: the table pages on from it (keyset, counts).
        self.pager = listing.Pager(query, actor=actor)
        self.rows: Future[list[TicketRow]] = Future()
        self.highest_id: Future[int] = Future()

    def start(self) -> FirstPage:
        threading.Thread(target=self._read, name="first-page", daemon=True).start()
        return self

    def _read(self) -> None:
        try:
            with desk.worker_connection():
                self.highest_id.set_result(listing.highest_ticket_id())
                self.rows.set_result(self.pager.page(0, ROWS))
        except BaseException as error:  # noqa: BLE001 - the table's own load reports it
            for future in (self.highest_id, self.rows):
                if not future.done():
                    future.set_exception(error)

    def serves(self, query: str, actor: Actor) -> bool:
        """True when this is the page of `query` read as `actor`."""
        return query == self.query and actor == self.actor


def start(actor: Actor) -> FirstPage:
    """Start reading the default view's first page as `actor`; the desk must be open."""
    query = next(v.query for v in views.BUILTIN_VIEWS if v.name == DEFAULT_VIEW)
    return FirstPage(query, actor).start()
