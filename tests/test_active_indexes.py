"""The open queue after an admin bulk-closes stale tickets (m0025's partial indexes).

Closing tickets in bulk makes them the newest by update: the open queue's first page must
still be the open tickets in order, and on SQLite its query must walk the index of active
tickets (not every ticket's, past the just-closed ones), with or without statistics.
"""

from __future__ import annotations

import pytest
import sort_orders

from bench import generate
from deskterm import clock
from deskterm.services import changes, directory, tickets
from deskterm.services.finding import bulk, listing
from deskterm.store import stats
from deskterm.store.db import db, open_db
from deskterm.store.models import OutboxMessage

ACTIVE = "status:new,open,pending,on_hold,postponed"
ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold', 'postponed')"
#: The index each sort of the open queue walks (`status`: the (status, id) index does).
INDEX = {
    "updated": "ticket_active_updated_at_id",
    "created": "ticket_active_created_at_id",
    "priority": "ticket_active_priority_rank_id",
    "subject": "ticket_active_subject_id",
    "due": "ticket_active_due_id",
    "id": "ticket_active_id",
}
def by_hand(sort: str, where: str = ACTIVE_SQL) -> list[int]:
    return sort_orders.by_hand(sort, where)


def _admin():
    return directory.actor_for(next(a.username for a in directory.list_agents()
                                    if a.role == "admin"))


def test_open_queue_after_a_bulk_close_of_the_newest_tickets(desk):
    ana = directory.actor_for("ana")
    made = [tickets.create_ticket(ana, subject=f"Printer {n}", body="It jams.",
                                  requester_email="c@example.com", queue="general").id
            for n in range(24)]
    tickets.assign(ana, made[3], "mirza")
    closed = bulk.bulk_close(ana, ids=made[:16])  # now the 16 newest by update
    assert closed.changed == 16
    first = listing.list_tickets(ACTIVE, limit=5)
    assert [r.id for r in first] == by_hand("-updated")[:5] == list(reversed(made[16:]))[:5]
    assert {r.status.value for r in listing.list_tickets(ACTIVE, limit=50)} == {"new"}
    assert listing.count_tickets(ACTIVE) == 8
    assert listing.list_tickets(f"assignee:mirza {ACTIVE}") == []  # #4 was closed too
    for sort in INDEX:
        assert [r.id for r in listing.list_tickets(f"{ACTIVE} sort:{sort}")] == by_hand(sort)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "desk.db"
    generate.generate(path, tickets=1500, per_ticket=2, seed=11)
    return path


@pytest.fixture
def bulk_closed(generated, tmp_path):
    """The generated desk after its admin closed its 300 oldest open tickets."""
    target = tmp_path / "desk.db"
    target.write_bytes(generated.read_bytes())
    open_db(target)
    stale = by_hand("id")[:300]
    assert bulk.bulk_close(_admin(), ids=stale).changed == 300
    return stale


def _plan(text: str, *, seek: bool = False) -> str:
    query = listing.parse_for(text, None)
    sql, params = listing._page_statement(query, None, None, seek=seek, reverse=False)
    extra = (["2026-01-01 00:00:00", 1] if seek and query.sort.lstrip("-") != "id" else
             [1] if seek else [])
    rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, [*params, *extra, 50, 0]).fetchall()
    return "; ".join(row[-1] for row in rows)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("statistics", ["kept", "analyzed", "older"])
def test_open_queue_plans_walk_the_active_indexes(bulk_closed, statistics):
    """`kept`: the statistics the product keeps by itself (PRAGMA optimize when the
    generator closed the desk, m0025's own); `analyzed`: a full ANALYZE after the bulk
    close; `older`: statistics from before m0025 (none for its indexes)."""
    if statistics == "analyzed":
        stats.analyze(db)
    elif statistics == "older":
        db.execute_sql("DELETE FROM sqlite_stat1 WHERE idx LIKE 'ticket_active%'")
    db.close()  # a new connection plans with the statistics as they now are
    db.connect()
    for sort, index in INDEX.items():
        for direction in ("", "-"):
            plan = _plan(f"{ACTIVE} sort:{direction}{sort}")
            assert f"INDEX {index}" in plan and "TEMP B-TREE" not in plan, (sort, plan)
    assert f"INDEX {INDEX['updated']}" in _plan(f"{ACTIVE} sort:-updated", seek=True)
    assert "INDEX ticket_active_assignee_id_updated_at_id" in _plan(f"assignee:none {ACTIVE}")
    assert f"INDEX {INDEX['updated']}" in _plan(f"sla:breached {ACTIVE}")
    for sort in INDEX:
        assert [r.id for r in listing.list_tickets(f"{ACTIVE} sort:{sort}")] == by_hand(sort)[:50]
    assert not set(bulk_closed) & set(listing.ticket_ids(ACTIVE))


def test_the_change_fingerprint_notices_mail_queued_and_sent(desk):
    """Screens reload when the fingerprint moves: a queued and a delivered message move
    it; on SQLite each outbox part is an index probe (not a read of every outbox row)."""
    ana = directory.actor_for("ana")
    made = tickets.create_ticket(ana, subject="Printer", body="It jams.",
                                 requester_email="c@example.com", queue="general")
    seen = changes.fingerprint()
    message = OutboxMessage.create(ticket=made.id, kind="reply", to_addrs="c@example.com",
                                   subject="Re: Printer", body="Fixed.", message_id="<m@x>",
                                   created_at=clock.to_db(clock.now()))
    queued = changes.fingerprint()
    assert queued != seen
    assert changes.fingerprint() == queued  # nothing changed: the same value
    OutboxMessage.update(status="sent", sent_at=clock.to_db(clock.now())).where(
        OutboxMessage.id == message.id).execute()
    assert changes.fingerprint() != queued
    if stats.is_sqlite(db):
        plan = [row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + changes.FINGERPRINT_SQL)]
        assert not [step for step in plan if "SCAN outbox_message" in step], plan


def _ticket_indexes() -> dict[str, str]:
    """The ticket table's indexes and their definitions, on either engine."""
    if stats.is_sqlite(db):
        rows = db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                              "tbl_name = 'ticket' AND sql IS NOT NULL")
    else:
        rows = db.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE "
                              "tablename = 'ticket'")
    return dict(rows.fetchall())


def test_a_close_moves_no_entry_of_an_index_nothing_reads(desk):
    """m0026: the next-response and (status, status time) indexes are gone, the due-time
    ones hold only tickets with a running clock; a close takes a ticket out of them."""
    found = _ticket_indexes()
    assert "ticket_next_response_due" not in found
    assert "ticket_status_status_changed_at" not in found
    for name, column in (("ticket_first_response_due", "first_response_due"),
                         ("ticket_resolution_due", "resolution_due")):
        assert column in found[name] and "IS NOT NULL" in found[name], found[name]
    ana = directory.actor_for("ana")
    made = tickets.create_ticket(ana, subject="Printer", body="It jams.",
                                 requester_email="c@example.com", queue="general").id
    due = "2030-01-01 09:00:00"
    db.execute_sql("UPDATE ticket SET first_response_due = ?, resolution_due = ? WHERE id = ?",
                   (due, due, made))
    bounds = ("2029-12-31 00:00:00", "2030-01-02 00:00:00")
    ranged = ("SELECT id FROM ticket WHERE first_response_due > ? AND first_response_due <= ? "
              "UNION SELECT id FROM ticket WHERE resolution_due > ? AND resolution_due <= ?")
    assert [r[0] for r in db.execute_sql(ranged, (*bounds, *bounds))] == [made]
    bulk.bulk_close(ana, ids=[made])
    assert db.execute_sql(ranged, (*bounds, *bounds)).fetchall() == []


@pytest.mark.sqlite_only
def test_due_ranges_and_the_no_clock_filter_plan_without_the_dropped_indexes(bulk_closed):
    """A due-time range (the `sla due in` rules, the dashboard) seeks the partial index;
    `sla:none` walks the active sort index instead of every clockless ticket and a sort."""
    db.close()
    db.connect()
    for column in ("first_response_due", "resolution_due"):
        plan = " ".join(row[-1] for row in db.execute_sql(
            f"EXPLAIN QUERY PLAN SELECT id FROM ticket WHERE {ACTIVE_SQL} AND {column} > ? "
            f"AND {column} <= ? ORDER BY id", ("2026-01-01 00:00:00", "2026-01-02 00:00:00")))
        assert f"INDEX ticket_{column}" in plan, plan
    assert "TEMP B-TREE" not in _plan(f"sla:none {ACTIVE} sort:-updated")
    none = by_hand("-updated", f"{ACTIVE_SQL} AND first_response_due IS NULL AND "
                               "resolution_due IS NULL")
    assert [r.id for r in listing.list_tickets(f"sla:none {ACTIVE}")] == none[:50]
