"""Replies written as a set (a time rule's `reply`) leave every SLA clock column and the
breach log exactly as the full recomputation leaves them, although only the tickets whose
clocks the reply can change in a way the columns do not show are recomputed: a ticket
answered before and with no clock past due only has its next-response clock stopped in time.

On the demo desk (its clocks kept by the product), six answered tickets get a customer
message, then every ticket not closed gets a reply at one frozen instant; afterwards a full
recomputation (`sla.plan_sync`) finds nothing to write, and the six have no response due.
"""

from __future__ import annotations

from datetime import timedelta

from deskterm import clock
from deskterm.domain import Actor
from deskterm.services import tickets
from deskterm.services.automation import sla
from deskterm.services.finding import bulk_sets
from deskterm.store.db import db, write_transaction

RULE = Actor.system("rule")


def test_set_replies_leave_the_clocks_a_full_recomputation_gives(demo_db):
    at = clock.now()
    answered = db.execute_sql(
        "SELECT t.id, c.email FROM ticket t JOIN contact c ON c.id = t.requester_id "
        "WHERE t.status = 'open' AND EXISTS (SELECT 1 FROM entry e WHERE e.ticket_id = t.id "
        "AND e.kind = 'reply') ORDER BY t.id LIMIT 6").fetchall()
    with clock.frozen_at(at - timedelta(minutes=5)):  # the customers wrote back just now
        for ticket_id, email in answered:
            tickets.add_customer_message(RULE, ticket_id, body="Any news?", from_email=email)
    open_ids = [r[0] for r in db.execute_sql(
        "SELECT id FROM ticket WHERE status != 'closed' ORDER BY id")]
    waiting = [r[0] for r in db.execute_sql(
        "SELECT t.id FROM ticket t WHERE t.status != 'closed' AND t.next_response_due > ? "
        "AND EXISTS (SELECT 1 FROM entry e WHERE e.ticket_id = t.id AND e.kind = 'reply') "
        "ORDER BY t.id", (clock.to_db(at),))]
    assert len(waiting) == len(answered) == 6, "answered before, a next response due later"
    with clock.frozen_at(at):
        with write_transaction():
            bulk_sets.add_replies(RULE, [(t, "We are on it.") for t in open_ids])
        plan = sla.plan_sync(open_ids, at)
    assert plan.updates == [], "the columns are those the full recomputation gives"
    assert plan.breaches == [], "every breach the reply made is logged"
    marks = ",".join("?" * len(waiting))
    dues = db.execute_sql(
        f"SELECT first_response_due, next_response_due FROM ticket WHERE id IN ({marks})",
        waiting).fetchall()
    assert dues == [(None, None)] * len(waiting)
