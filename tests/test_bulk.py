"""Bulk actions: dry run changes nothing; a failure mid-way changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm import clock
from deskterm.domain import BadInput, Status
from deskterm.services import directory, tickets
from deskterm.services.finding import bulk, listing
from deskterm.services.trust import audit


@pytest.fixture
def old_billing(desk):
    ana = directory.actor_for("ana")
    made = []
    with clock.frozen_at(clock.now() - timedelta(days=45)):
        for i in range(5):
            made.append(
                tickets.create_ticket(
                    ana,
                    subject=f"Stari račun {i}",
                    body="…",
                    requester_email=f"c{i}@example.hr",
                    queue="billing",
                ).id
            )
    fresh = tickets.create_ticket(
        ana, subject="Novi račun", body="…", requester_email="n@example.hr", queue="billing"
    ).id
    return made, fresh


def test_dry_run_counts_and_changes_nothing(old_billing):
    made, fresh = old_billing
    marko = directory.actor_for("marko")
    result = bulk.bulk_close(marko, "queue:billing older:30d", dry_run=True)
    assert (result.matched, result.changed, result.dry_run) == (5, 0, True)
    assert sorted(result.ticket_ids) == sorted(made)
    assert listing.count_tickets("status:closed") == 0


def test_bulk_close_records_actor_on_each_ticket(old_billing):
    made, fresh = old_billing
    marko = directory.actor_for("marko")
    result = bulk.bulk_close(marko, "queue:billing older:30d")
    assert (result.matched, result.changed) == (5, 5)
    for ticket_id in made:
        assert tickets.get_ticket(ticket_id).status is Status.CLOSED
        last = audit.events_for(ticket_id)[-1]
        assert (last.actor, last.action, last.after) == ("agent:marko", "status", "closed")
    assert tickets.get_ticket(fresh).status is Status.NEW
    again = bulk.bulk_close(marko, "queue:billing older:30d")
    assert again.matched == 0


def test_failure_in_the_middle_rolls_back_everything(old_billing, monkeypatch):
    made, _ = old_billing
    real = tickets.update_fields
    calls = []

    def flaky(actor, ticket_id, **kw):
        calls.append(ticket_id)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(actor, ticket_id, **kw)

    monkeypatch.setattr(tickets, "update_fields", flaky)
    with pytest.raises(RuntimeError):
        bulk.bulk_set(
            directory.actor_for("ana"), "queue:billing older:30d", status="closed",
            per_ticket=True,
        )
    assert len(calls) == 3
    assert listing.count_tickets("status:closed") == 0
    assert all(len(audit.events_for(t)) == 1 for t in made)


def test_set_based_failure_in_a_listener_rolls_back_everything(old_billing, monkeypatch):
    """The set path writes rows and events first, the customer mail (queued as intents by
    one INSERT ... SELECT) last; when that INSERT fails, everything is undone."""
    from peewee import DatabaseError

    from deskterm.services.messaging import notification_sets, outbox_render

    made, _ = old_billing
    broken = notification_sets._QUEUE_INTENTS_SQL.replace(
        'INSERT INTO "outbox_message"', 'INSERT INTO "no_outbox_here"')
    assert broken != notification_sets._QUEUE_INTENTS_SQL
    monkeypatch.setattr(notification_sets, "_QUEUE_INTENTS_SQL", broken)
    queued = outbox_render.pending_count()
    with pytest.raises(DatabaseError, match="no_outbox_here"):
        bulk.bulk_close(directory.actor_for("ana"), "queue:billing older:30d")
    assert listing.count_tickets("status:closed") == 0
    assert all(len(audit.events_for(t)) == 1 for t in made)
    assert outbox_render.pending_count() == queued


def test_bulk_set_on_explicit_refs(old_billing):
    made, fresh = old_billing
    ana = directory.actor_for("ana")
    result = bulk.bulk_set(
        ana, None, ids=[made[0], fresh], assignee="mirza", tags_add=["q4"], priority="high"
    )
    assert result.changed == 2
    for ticket_id in (made[0], fresh):
        t = tickets.get_ticket(ticket_id)
        assert (t.assignee, t.tags, t.priority.value) == ("mirza", ("q4",), "high")
    assert tickets.get_ticket(made[1]).assignee is None


def test_bulk_rejects_bad_values_before_touching_anything(old_billing):
    with pytest.raises(BadInput, match="bad status"):
        bulk.bulk_set(directory.actor_for("ana"), "queue:billing", status="gone")


def test_set_based_failure_in_the_middle_of_a_statement_rolls_back_everything(old_billing):
    """The set path's UPDATE of many rows keeps no undo copy of its own on SQLite (`OR
    FAIL`: the rows before the failing one stay changed until the transaction is rolled
    back): a ticket that fails in mid-statement still leaves every ticket as it was."""
    from peewee import DatabaseError

    from deskterm.store.db import db, is_postgres

    made, _ = old_billing
    if is_postgres():
        db.execute_sql("CREATE FUNCTION power_cut() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'power cut'; END $$")
        db.execute_sql(f"CREATE TRIGGER power_cut BEFORE UPDATE ON ticket FOR EACH ROW "
                       f"WHEN (OLD.id = {made[2]}) EXECUTE FUNCTION power_cut()")
    else:
        db.execute_sql(f"CREATE TRIGGER power_cut BEFORE UPDATE ON ticket WHEN OLD.id = "
                       f"{made[2]} BEGIN SELECT RAISE(FAIL, 'power cut'); END")
    with pytest.raises(DatabaseError, match="power cut"):
        bulk.bulk_close(directory.actor_for("ana"), "queue:billing older:30d")
    assert listing.count_tickets("status:closed") == 0
    assert all(len(audit.events_for(t)) == 1 for t in made)
    assert {tickets.get_ticket(t).version for t in made} == {1}
