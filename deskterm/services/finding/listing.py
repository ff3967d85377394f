"""Ticket lists: a TicketQuery (or filter text) becomes one SQL query, paged in the database."""

from __future__ import annotations

from dataclasses import dataclass, replace

from peewee import JOIN, SQL, Expression, Tuple, fn

from deskterm import clock
from deskterm.domain import (
    ACTIVE_STATUSES,
    Actor,
    BadInput,
    NotFound,
    Status,
    TicketRow,
)
from deskterm.services import changes
from deskterm.services.finding import ticket_view
from deskterm.services.finding.list_rows import rows_for
from deskterm.services.finding.query import Condition, TicketQuery, parse_query
from deskterm.store import search
from deskterm.store.db import db
from deskterm.store.models import (
    Agent,
    Attachment,
    Contact,
    Entry,
    Follower,
    Organisation,
    Queue,
    Ticket,
    TicketTag,
)

_SORT_COLUMNS = {
    "updated": Ticket.updated_at,
    "created": Ticket.created_at,
    "priority": Ticket.priority_rank,
    "status": Ticket.status,
    "id": Ticket.id,
    "subject": Ticket.subject,
    "requester": Contact.name,
    "queue": Queue.slug,
    "assignee": Agent.username,
    "due": fn.COALESCE(Ticket.first_response_due, Ticket.resolution_due),
}


def _in(column, values) -> Expression:
    return column.in_(list(values))


_STATUS_ORDER = {s.value: n for n, s in enumerate(Status)}


def _statuses(values) -> list[str]:
    """The statuses a status condition names, in the order of `Status` (`active` stands
    for the ACTIVE_STATUSES): one spelling for one set."""
    wanted = set(values)
    if "active" in wanted:
        wanted.discard("active")
        wanted.update(s.value for s in ACTIVE_STATUSES)
    return sorted(wanted, key=lambda v: (_STATUS_ORDER.get(v, len(_STATUS_ORDER)), v))


def _literals(values: list[str]) -> SQL:
    """`('new', 'open', ...)` as SQL literals. The m0025 partial indexes hold the active
    statuses so; SQLite uses one only for a query that spells its condition the same way
    (bound parameters would not match it)."""
    return SQL("(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")")


#: The table and name column each named condition looks its ids up in.
_NAMES = {"queue": ("queue", "slug"), "team": ("team", "slug"), "assignee": ("agent", "username")}
_NOBODY = ("none", "unassigned", "disabled")


def _ids(key: str, values) -> tuple[int, ...]:
    """Names to ids first (a tiny lookup), so the planner sees `queue_id IN (3, 5)`."""
    if not values:
        return ()
    table, column = _NAMES[key]
    sql = f'SELECT "id" FROM "{table}" WHERE "{column}" IN ({",".join("?" * len(values))})'
    return tuple(row[0] for row in db.execute_sql(sql, list(values)))


def _lookup(cond: Condition) -> tuple[int, ...] | None:
    """The ids a queue, team or assignee condition names (None for other conditions)."""
    if cond.key == "assignee":
        return _ids("assignee", [v for v in cond.values if v not in _NOBODY])
    if cond.key in _NAMES:
        return _ids(cond.key, cond.values)
    return None


def _condition_sql(cond: Condition, ids: tuple[int, ...] | None = None) -> Expression:
    """The WHERE expression for one condition (before negation); `ids` are its names
    looked up (`_lookup`), when the caller has them already."""
    key, values = cond.key, cond.values
    if ids is None:
        ids = _lookup(cond)
    if key == "status":
        return Ticket.status.in_(_literals(_statuses(values)))
    if key == "priority":
        return _in(Ticket.priority, values)
    if key == "queue":
        return Ticket.queue.in_(list(ids))
    if key == "team":
        return Ticket.team.in_(list(ids))
    if key == "assignee":
        named = [v for v in values if v not in _NOBODY]
        expr = Ticket.assignee.in_(list(ids)) if named else None
        extra = []
        if "none" in values or "unassigned" in values:
            extra.append(Ticket.assignee.is_null())
        if "disabled" in values:  # assigned to an agent who can no longer work them
            extra.append(
                Ticket.assignee.in_(Agent.select(Agent.id).where(Agent.enabled == False))  # noqa: E712
            )
        for part in extra:
            expr = part if expr is None else expr | part
        return expr
    if key == "tag":
        return Ticket.id.in_(TicketTag.select(TicketTag.ticket).where(_in(TicketTag.name, values)))
    if key == "requester":
        expr = None
        for value in values:
            like = f"%{value.lower()}%"
            part = (fn.LOWER(Contact.email) ** like) | (fn.LOWER(Contact.name) ** like)
            expr = part if expr is None else expr | part
        return Ticket.requester.in_(Contact.select(Contact.id).where(expr))
    if key == "org":
        orgs = Organisation.select(Organisation.id).where(
            fn.LOWER(Organisation.name).in_([v.lower() for v in values])
        )
        return Ticket.requester.in_(
            Contact.select(Contact.id).where(Contact.organisation.in_(orgs))
        )
    if key == "channel":
        return _in(Ticket.channel, values)
    if key == "id":  # a bulk action's ids: thousands, as literals (see `_hits_in`)
        return _hits_in([int(v) for v in values])
    if key == "has":
        expr = None
        for value in values:
            part = {
                "attachment": Ticket.id.in_(Entry.select(Entry.ticket).join(Attachment).distinct()),
                "followers": Ticket.id.in_(Follower.select(Follower.ticket)),
                "tags": Ticket.id.in_(TicketTag.select(TicketTag.ticket)),
                "assignee": Ticket.assignee.is_null(False),
            }[value]
            expr = part if expr is None else expr & part
        return expr
    if key == "sla":
        if cond.op == "breached":
            return Ticket.sla_breached == True  # noqa: E712
        if cond.op == "ok":
            return (Ticket.sla_breached == False) & (  # noqa: E712
                Ticket.first_response_due.is_null(False) | Ticket.resolution_due.is_null(False)
            )
        if cond.op == "none":
            return Ticket.first_response_due.is_null() & Ticket.resolution_due.is_null()
        limit = clock.to_db(cond.when)
        # first_response_due holds the reply owed now (first or next); NULL when none is.
        return Ticket.status.in_([s.value for s in ACTIVE_STATUSES]) & (
            (Ticket.first_response_due <= limit) | (Ticket.resolution_due <= limit)
        )
    column = {
        "older": Ticket.updated_at,
        "newer": Ticket.updated_at,
        "created": Ticket.created_at,
        "updated": Ticket.updated_at,
    }[key]
    when = clock.to_db(cond.when)
    return {"<": column < when, "<=": column <= when, ">": column > when, ">=": column >= when}[
        cond.op
    ]


def _match(terms: tuple[str, ...]) -> str | None:
    """The search text, if it holds a searchable term (the backend turns it into SQL)."""
    text = " ".join(terms)
    return text if terms and search.matching_ticket_ids(text) is not None else None


def _probe(text: str) -> Expression:
    """True for a ticket whose document matches: one index probe, no scan."""
    sql, params = search.ticket_matches(text, '"t1"."id"')
    return SQL(sql, params)


def _hits_in(ids: list[int]) -> Expression:
    """`id IN (...)` with the ids written as integer literals (from the index or parsed as
    integers, never user text): thousands of parameters cost the ORM more than the query."""
    if not ids:
        return SQL("0 = 1")
    return SQL(f'"t1"."id" IN ({",".join(str(int(i)) for i in ids)})')


#: A term with fewer hits than this is "rare": its hits are collected and sorted; a more
#: common one is probed ticket by ticket while walking the sort index, stopping at the page.
RARE_HITS = 2_000
#: Between the two, the "middle" plan: every hit collected once into a set, the sort
#: index walked in chunks and filtered against it. Collecting costs ~1 us a hit (h hits),
#: probing ~45 us a ticket walked (page / share = page * tickets / h of them), so the set
#: wins while h * h < 45 * page * tickets; never for more than MIDDLE_HITS hits. Only where
#: collecting is that cheap (`search.cheap_hits`: SQLite's FTS5, not PostgreSQL).
PROBE_COST = 45
MIDDLE_HITS = 100_000
#: The middle plan's first chunk of the sort order (each next one is 4 times larger).
MIDDLE_CHUNK = 1_000


def _all_hits(text: str) -> Expression:
    sql, params = search.matching_ticket_ids(text)
    return Ticket.id.in_(SQL(f"({sql})", params))


def _text_filter(query: TicketQuery, *, counting: bool) -> list[Expression]:
    """The full-text part of the WHERE, planned by how common the words are.

    A page of a rare term: its few hits, sorted. A page of a common term: walk the sort
    index and probe each ticket, stopping at the page size. A count: the set of hits.
    """
    exprs: list[Expression] = []
    if (expression := _match(query.text)) is not None:
        if counting:
            exprs.append(_all_hits(expression))
        else:
            hits = search.first_hits(expression, RARE_HITS)
            exprs.append(_hits_in(hits) if len(hits) < RARE_HITS else _probe(expression))
    if (excluded := _match(query.excluded_text)) is not None:
        exprs.append(~(_all_hits(excluded) if counting else _probe(excluded)))
    return exprs


def _where(query: TicketQuery, select, *, counting: bool = False,
           resolved: tuple | None = None):
    """Add the query's conditions: every one is a predicate on the ticket row (no joins).
    `resolved`: the conditions' names already looked up (`_lookup`, one per condition)."""
    if query.ticket_id is not None:
        select = select.where(Ticket.id == query.ticket_id)
    if resolved is None:
        resolved = (None,) * len(query.conditions)
    for cond, ids in zip(query.conditions, resolved, strict=True):
        expr = _condition_sql(cond, ids)
        select = select.where(~expr if cond.negate else expr)
    for expr in _text_filter(query, counting=counting):
        select = select.where(expr)
    return select


#: Sort keys whose value lives on the ticket row: paged by keyset (seek), index-served.
_KEYSET = {"updated", "created", "priority", "status", "id", "subject", "due"}
#: Stands in for "no due time" so the due sort is total and the same on every backend.
NO_DUE = "9999-12-31 23:59:59"
_SORT_COLUMNS["due"] = fn.COALESCE(
    Ticket.first_response_due, Ticket.resolution_due, SQL(f"'{NO_DUE}'")
)  # the literal (not a parameter) is what the m0008 expression index holds


def _order(query: TicketQuery, *, reverse: bool = False) -> list:
    """ORDER BY the sort key, then id in the same direction (what the indexes hold)."""
    descending = query.sort.startswith("-") != reverse
    column = _SORT_COLUMNS[query.sort.lstrip("-")]
    if column is Ticket.id:
        return [Ticket.id.desc() if descending else Ticket.id.asc()]
    if descending:
        return [column.desc(), Ticket.id.desc()]
    return [column.asc(), Ticket.id.asc()]


def apply(query: TicketQuery, select=None):
    """Add the query's WHERE and ORDER BY to a ticket SELECT (default: the list select)."""
    select = select if select is not None else ticket_view.row_select()
    return _where(query, select).order_by(*_order(query))


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: the sort value and id of the row before it."""

    value: object
    id: int


def cursor_of(row: TicketRow, sort: str) -> Cursor | None:
    """The cursor after `row` in `sort` order (None for sorts paged by offset)."""
    name = sort.lstrip("-")
    if name not in _KEYSET:
        return None
    value: object = {
        "updated": lambda: clock.to_db(row.updated_at),
        "created": lambda: clock.to_db(row.created_at),
        "priority": lambda: row.priority.rank,
        "status": lambda: row.status.value,
        "id": lambda: row.id,
        "subject": lambda: row.subject,
        "due": lambda: _due_value(row),
    }[name]()
    return Cursor(value, row.id)


def _due_value(row: TicketRow) -> object:
    due = row.first_response_due or row.resolution_due
    return clock.to_db(due).isoformat(sep=" ") if due else NO_DUE


def _sort_value_sql(name: str):
    return _SORT_COLUMNS[name]


def cursor_at(ticket_id: int, sort: str) -> Cursor:
    """The cursor after ticket `ticket_id` in `sort` order (for `ticket list --after`)."""
    name = sort.lstrip("-")
    if name not in _KEYSET:
        raise BadInput(f"--after works with sort:{', sort:'.join(sorted(_KEYSET))}")
    row = Ticket.select(_sort_value_sql(name)).where(Ticket.id == ticket_id).tuples().first()
    if row is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return Cursor(row[0], ticket_id)


def _seek(query: TicketQuery, cursor: Cursor, *, reverse: bool = False) -> Expression:
    """Rows strictly after `cursor` in the query's order (a row-value range: an index seek)."""
    descending = query.sort.startswith("-") != reverse
    column = _SORT_COLUMNS[query.sort.lstrip("-")]
    if column is Ticket.id:
        return Ticket.id < cursor.id if descending else Ticket.id > cursor.id
    left, right = Tuple(column, Ticket.id), Tuple(cursor.value, cursor.id)
    return left < right if descending else left > right


def _as_query(
    query: TicketQuery | str | None, me: str | None, actor: Actor | None = None
) -> TicketQuery:
    if isinstance(query, TicketQuery):
        return query
    return parse_for(query, actor, me=me)


def parse_for(text: str | None, actor: Actor | None, *, me: str | None = None) -> TicketQuery:
    """Filter text as `actor` means it: `assignee:me` is them (or `me`), and human times
    (`created>"yesterday 17:00"`) are read in their time zone, in every face alike."""
    from deskterm.services.trust import identity

    who = me or (actor.name if actor else None)
    return parse_query(text, who, zone=identity.zone_of(actor))


def _scope(actor: Actor | None) -> Expression | None:
    """What `actor` may read, as a predicate on the ticket row (faces always pass their
    actor; services reading for themselves pass None: everything)."""
    return _scope_keyed(actor)[1]


def _scope_keyed(actor: Actor | None) -> tuple[tuple | None, Expression | None]:
    """`_scope` with the plain value that decides it (`access.ticket_scope_key`)."""
    if actor is None:
        return None, None
    from deskterm.services.trust import access

    key = access.ticket_scope_key(actor)  # refuses a disabled agent
    return key, access.scope_for(key)


def _scoped(select, scope: Expression | None):
    return select if scope is None else select.where(scope)


def list_tickets(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    limit: int = 50,
    offset: int = 0,
    after: Cursor | None = None,
    from_end: bool = False,
    actor: Actor | None = None,
) -> list[TicketRow]:
    """One page of tickets matching the query, in its sort order (of those `actor` may
    read; `me` defaults to the actor's name).

    `after` seeks past a cursor (keyset paging: as fast on page 1,000 as on page 1);
    `from_end` returns the last `limit` rows (the console's `G`) by walking the order
    backwards. `offset` remains for random jumps and for sorts on joined columns.
    """
    parsed = _as_query(query, me, actor)
    scope_key, scope = _scope_keyed(actor)
    if parsed.sort.lstrip("-") not in _KEYSET:  # a joined column: sort on the join
        select = _scoped(_where(parsed, ticket_view.row_select()), scope)
        if after is not None:
            raise BadInput(f"sort:{parsed.sort.lstrip('-')} pages by offset, not --after")
        select = select.order_by(*_order(parsed, reverse=from_end))
        select = select.limit(_limit(limit)).offset(offset)
        found = ticket_view.rows(select)
        return list(reversed(found)) if from_end else found
    ids = page_ids(parsed, limit=limit, offset=offset, after=after, from_end=from_end,
                   scope=scope, scope_key=scope_key)
    return rows_for(ids)


def _limit(limit: int) -> int | None:
    """A page size for SQL: a negative one means every row (no LIMIT, which PostgreSQL needs)."""
    return limit if limit >= 0 else None


def page_ids(
    query: TicketQuery,
    *,
    limit: int = 50,
    offset: int = 0,
    after: Cursor | None = None,
    from_end: bool = False,
    scope: Expression | None = None,
    scope_key: tuple | None = None,
) -> list[int]:
    """The ids of one page, from the ticket table alone (its sort index, no joins).
    `scope_key`: what decided `scope` (`access.ticket_scope_key`), if the caller has it."""
    if (expression := _match(query.text)) is not None:
        hits = search.first_hits(expression, RARE_HITS)
        if len(hits) < RARE_HITS:
            return _rare_page(query, hits, limit, offset, after, from_end, scope)
        wanted = offset + (limit if limit >= 0 else MIDDLE_HITS)
        if search.cheap_hits() and _middle_wins(hits, wanted):
            every = search.first_hits(expression, MIDDLE_HITS)
            if len(every) < MIDDLE_HITS:
                return _middle_page(query, set(every), limit, offset, after, from_end, scope)
    sql, params = _page_statement(query, scope, scope_key, seek=after is not None,
                                  reverse=from_end)
    params = [*params, *_seek_values(query, after), _ALL if limit < 0 else limit, offset]
    ids = [row[0] for row in db.execute_sql(sql, params)]
    return list(reversed(ids)) if from_end else ids


#: Page statements by shape: SQL text and the WHERE's parameters (the seek values, LIMIT
#: and OFFSET follow them), so a queue's pages are not rewritten by the ORM every time.
_statements: dict[tuple, tuple[str, tuple]] = {}
#: The LIMIT of "every row", a parameter both engines take.
_ALL = 2**62


def _page_statement(query: TicketQuery, scope: Expression | None, scope_key: tuple | None,
                    *, seek: bool, reverse: bool) -> tuple[str, tuple]:
    """The page query of this shape: (view, names looked up, scope, sort, direction,
    seeking or not), written once. Text search, `id:` lists and anything else that is
    not worth keeping is written each time."""
    resolved = tuple(_lookup(c) for c in query.conditions)
    key = None
    if not (query.text or query.excluded_text or any(c.key == "id" for c in query.conditions)):
        scoped = None if scope is None else scope_key or ("sql", _rendered(scope))
        key = (type(db.obj), query.conditions, resolved, query.ticket_id, query.sort, seek,
               reverse, scoped)
        if (found := _statements.get(key)) is not None:
            return found
    select = _narrow(query, scope=scope, resolved=resolved)
    if seek:
        select = select.where(_seek_marks(query, reverse=reverse))
    select = select.order_by(*_order(query, reverse=reverse)).limit(SQL("?")).offset(SQL("?"))
    sql, params = select.sql()
    found = (sql, tuple(params))
    if key is not None:
        if len(_statements) > 512:
            _statements.clear()
        _statements[key] = found
    return found


def _rendered(expr: Expression) -> tuple[str, tuple]:
    sql, params = db.get_sql_context().sql(expr).query()
    return sql, tuple(params)


def _seek_marks(query: TicketQuery, *, reverse: bool) -> Expression:
    """`_seek` with placeholders for the cursor (its values: `_seek_values`)."""
    descending = query.sort.startswith("-") != reverse
    column = _SORT_COLUMNS[query.sort.lstrip("-")]
    if column is Ticket.id:
        return Ticket.id < SQL("?") if descending else Ticket.id > SQL("?")
    left, right = Tuple(column, Ticket.id), SQL("(?, ?)")
    return left < right if descending else left > right


def _seek_values(query: TicketQuery, cursor: Cursor | None) -> tuple:
    if cursor is None:
        return ()
    if _SORT_COLUMNS[query.sort.lstrip("-")] is Ticket.id:
        return (int(cursor.id),)
    return (cursor.value, cursor.id)


def _middle_wins(first: list[int], wanted: int) -> bool:
    """Whether collecting every hit beats probing (see PROBE_COST). The hit count is
    guessed from the first hits: the index returns them in ticket id order, so their
    share of the ids they span is the term's share of tickets."""
    top = max(first)
    tickets = highest_ticket_id() or top
    expected = len(first) * tickets / max(top, 1)
    return expected < MIDDLE_HITS and expected * expected < PROBE_COST * wanted * tickets


def _middle_page(query, hits: set[int], limit, offset, after, from_end, scope) -> list[int]:
    """A page of a term of middling frequency: walk the other conditions' order in growing
    chunks (from the sort index) and keep the tickets in the term's hit set."""
    rest = replace(query, text=())
    select = _narrow(rest, scope=scope)
    if after is not None:
        select = select.where(_seek(query, after, reverse=from_end))
    select = select.order_by(*_order(query, reverse=from_end))
    wanted = offset + limit if limit >= 0 else None
    found: list[int] = []
    walked, chunk = 0, MIDDLE_CHUNK
    while wanted is None or len(found) < wanted:
        ids = [row[0] for row in select.limit(chunk).offset(walked).tuples()]
        found += [i for i in ids if i in hits]
        walked += len(ids)
        if len(ids) < chunk:
            break
        chunk = min(chunk * 4, 64_000)
    page = found[offset : wanted]
    return list(reversed(page)) if from_end else page


def _rare_page(query, hits, limit, offset, after, from_end, scope) -> list[int]:
    """A rare term's page: its few hits (with the other conditions) sorted here, in Python,
    so no plan ever walks the whole sort index looking for them."""
    name = query.sort.lstrip("-")
    descending = query.sort.startswith("-") != from_end
    rest = replace(query, text=())
    select = _where(rest, Ticket.select(Ticket.id, _SORT_COLUMNS[name])).where(_hits_in(hits))
    select = _scoped(select, scope)
    keyed = sorted(((value, tid) for tid, value in select.tuples()), reverse=descending)
    if after is not None:
        mark = (after.value, after.id)
        keyed = [k for k in keyed if (k < mark if descending else k > mark)]
    page = [tid for _, tid in keyed[offset : offset + limit if limit >= 0 else None]]
    return list(reversed(page)) if from_end else page


def _narrow(query: TicketQuery, *, counting: bool = False, scope: Expression | None = None,
            resolved: tuple | None = None):
    """The matching ticket ids, with no join: every condition is a predicate on `ticket`."""
    select = _where(query, Ticket.select(Ticket.id), counting=counting, resolved=resolved)
    return _scoped(select, scope)


_counts: dict[tuple, tuple[object, int]] = {}


def forget_counts() -> None:
    """Drop every cached count (the database behind the handle was swapped for another)."""
    _counts.clear()


def _cache_key(query: TicketQuery) -> tuple:
    """The query without its sort, relative times to the minute (`older:30d` parsed twice
    in the same minute is the same count)."""
    conditions = tuple(
        (c.key, c.op, c.values, c.when.replace(second=0, microsecond=0) if c.when else None,
         c.negate)
        for c in query.conditions
    )
    return (conditions, query.text, query.excluded_text, query.ticket_id)


def highest_ticket_id() -> int:
    """The desk's highest ticket id (0 on an empty desk): the longest ref a list can show."""
    return Ticket.select(fn.MAX(Ticket.id)).scalar() or 0


def count_tickets(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    actor: Actor | None = None,
) -> int:
    """How many tickets match, of those `actor` may read (the narrowest query; cached
    until the data changes)."""
    parsed = _as_query(query, me, actor)
    scope = _scope(actor)
    key = (str(db.database), _cache_key(parsed), actor.label if actor else None)
    version = changes.fingerprint()
    cached = _counts.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    total = _narrow(parsed, counting=True, scope=scope).count()
    if len(_counts) > 256:
        _counts.clear()
    _counts[key] = (version, total)
    return total


def ticket_ids(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    actor: Actor | None = None,
) -> list[int]:
    """Every matching ticket id, in sort order (of those `actor` may read)."""
    parsed = _as_query(query, me, actor)
    select = _narrow(parsed, scope=_scope(actor))
    if parsed.sort.lstrip("-") not in _KEYSET:
        select = (
            select.join(Queue, on=(Ticket.queue == Queue.id))
            .switch(Ticket)
            .join(Contact, on=(Ticket.requester == Contact.id))
            .switch(Ticket)
            .join(Agent, join_type=JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
        )
    # the ids straight from the cursor: a bulk action's 100,000 rows through the ORM's
    # row wrapper cost more than the query
    sql, params = select.order_by(*_order(parsed)).sql()
    return [row[0] for row in db.execute_sql(sql, params)]


class Pager:
    """Pages of one filter for a lazily scrolling list (the console's ticket table).

    Each page that follows one already served is fetched by keyset from that page's last
    row, the last page (`G`) by walking the order backwards; only a jump into the middle
    of an unseen stretch falls back to OFFSET. Safe to call from worker threads.
    """

    def __init__(
        self, query: TicketQuery | str | None, *, me: str | None = None,
        actor: Actor | None = None,
    ) -> None:
        self._source, self._me, self.actor = query, me or (actor.name if actor else None), actor
        self._parsed: TicketQuery | None = None
        self.total: int | None = None
        self._ends: dict[int, TicketRow] = {}  # offset just past a served page -> its last row

    @property
    def query(self) -> TicketQuery:
        """The parsed filter (parsed on first use: a bad token fails in the loader)."""
        if self._parsed is None:
            self._parsed = _as_query(self._source, self._me, self.actor)
        return self._parsed

    def count(self) -> int:
        self.total = count_tickets(self.query, actor=self.actor)
        return self.total

    def page(self, offset: int, limit: int) -> list[TicketRow]:
        keyset = self.query.sort.lstrip("-") in _KEYSET
        before = self._ends.get(offset) if keyset and offset else None
        if before is not None:
            cursor = cursor_of(before, self.query.sort)
            rows = list_tickets(self.query, limit=limit, after=cursor, actor=self.actor)
        elif self.total is not None and offset >= self.total:
            rows = []
        elif keyset and offset and self.total is not None and offset + limit >= self.total:
            rows = list_tickets(
                self.query, limit=self.total - offset, from_end=True, actor=self.actor
            )
        else:
            rows = list_tickets(self.query, limit=limit, offset=offset, actor=self.actor)
        if rows:
            if len(self._ends) > 1000:
                self._ends.clear()
            self._ends[offset + len(rows)] = rows[-1]
        return rows
