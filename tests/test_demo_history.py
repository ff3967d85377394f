"""The demo desk's history is spread over time like a real desk's: the desk's time rules
ran as the weeks passed, so the first start does not show a queue all "updated now"."""

from __future__ import annotations

from datetime import timedelta

from deskterm import clock
from deskterm.services.demo import CATCH_UP_EVERY
from deskterm.services.finding import listing
from deskterm.store.models import Entry, Event

CLOSE_RESOLVED = "rule:Close resolved tickets after 5 days"


def _seeded_at():
    """The demo's "now": its last event (the final run of the time rules)."""
    return clock.to_utc(Event.select(Event.at).order_by(Event.at.desc()).first().at)


def test_the_first_queue_page_has_spread_update_times(demo_db):
    end = _seeded_at()
    first_page = listing.list_tickets("sort:-updated", me="ana", limit=25)
    minutes = {clock.to_utc(t.updated_at).replace(second=0, microsecond=0) for t in first_page}
    assert len(minutes) >= 18, sorted(minutes)
    recent = timedelta(minutes=10)
    just_now = [t.id for t in first_page if end - clock.to_utc(t.updated_at) < recent]
    assert len(just_now) <= 2, just_now
    # spread over days, not minutes
    oldest = clock.to_utc(first_page[-1].updated_at)
    assert end - oldest > timedelta(days=2)


def test_resolved_tickets_close_five_days_after_resolving_not_at_the_first_start(demo_db):
    closes = list(
        Event.select().where((Event.actor == CLOSE_RESOLVED) & (Event.field == "status"))
    )
    assert len(closes) >= 20
    for close in closes:
        resolved = (
            Event.select()
            .where(
                (Event.ticket == close.ticket_id)
                & (Event.field == "status")
                & (Event.after == "resolved")
                & (Event.at <= close.at)
            )
            .order_by(Event.at.desc(), Event.id.desc())
            .first()
        )
        waited = clock.to_utc(close.at) - clock.to_utc(resolved.at)
        assert timedelta(days=5) <= waited <= timedelta(days=5) + CATCH_UP_EVERY, close.ticket_id


def test_no_ticket_has_a_step_after_the_demo_was_made(demo_db):
    end = _seeded_at()
    newest = Entry.select(Entry.created_at).order_by(Entry.created_at.desc()).first()
    assert clock.to_utc(newest.created_at) <= end


def test_no_ticket_has_a_step_before_it_was_opened(demo_db):
    """The catch-up runs the time rules as of moments weeks back: a rule (e.g. the
    escalation of an urgent breach) fires then only on tickets that existed and breaches
    that were due, never writing a note dated before its ticket."""
    from deskterm.store.models import Ticket

    early = (Entry.select(Entry.ticket, Entry.author, Entry.created_at, Ticket.created_at)
             .join(Ticket).where(Entry.created_at < Ticket.created_at).tuples())
    assert list(early) == []
    escalations = Entry.select().where(Entry.author == "Escalate urgent first-response breaches")
    assert escalations.count() >= 1  # the rule still fires, when the breach happens
