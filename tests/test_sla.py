"""SLA clocks on a real database: due times, pause/resume by status, breaches as events."""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil import tz

from deskterm import clock
from deskterm.domain import Actor
from deskterm.domain import Actor as _Actor
from deskterm.services import tickets
from deskterm.services.automation import sla
from deskterm.services.trust import audit
from deskterm.store.models import SlaBreach, Ticket

_SETUP = _Actor.system("test")

SARAJEVO = tz.gettz("Europe/Sarajevo")
ANA = Actor("agent", "ana", agent_id=1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SARAJEVO)


def create(at: datetime, priority: str = "normal") -> int:
    with clock.frozen_at(at):
        return tickets.create_ticket(
            Actor.system("test"),
            subject="Štampač ne radi",
            body="Molim vas pomozite",
            requester_email="kupac@example.ba",
            queue="general",
            priority=priority,
        ).id


def at_(when: datetime, func, *args, **kwargs):
    with clock.frozen_at(when):
        return func(*args, **kwargs)


def row(ticket_id: int) -> Ticket:
    return Ticket.get_by_id(ticket_id)


def test_due_times_are_set_on_creation_in_business_hours(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 23, 9, 0))  # a Monday
    t = row(ticket_id)
    assert clock.to_utc(t.first_response_due) == local(2026, 11, 23, 10, 0)
    # 33 business hours: Mon 10h + Tue 11h + (Wed 25th is a holiday) + Thu 11h + Fri 1h.
    assert clock.to_utc(t.resolution_due) == local(2026, 11, 27, 9, 0)
    assert not t.sla_breached


def test_outside_business_hours_gets_the_24_hour_promise(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 21, 10, 0))  # Saturday
    assert clock.to_utc(row(ticket_id).first_response_due) == local(2026, 11, 22, 10, 0)


def test_pause_and_resume_push_resolution_back_by_paused_business_time(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 23, 9, 0))
    at_(
        local(2026, 11, 23, 9, 30),
        tickets.reply,
        ANA,
        ticket_id,
        "Pošaljite model",
        set_status="pending",
    )
    t = row(ticket_id)
    assert t.first_response_due is None  # answered: no reply is owed
    assert t.resolution_due is None  # paused while pending
    clocks = sla.ticket_clocks(ticket_id, local(2026, 11, 23, 15, 0))
    assert clocks.first_response.state == "met"
    assert clocks.resolution.state == "paused"
    assert clocks.resolution.remaining == timedelta(hours=32, minutes=30)

    # Customer answers Tuesday 10:00: the ticket reopens, the clock resumes, a next
    # response is owed within 4 business hours.
    at_(
        local(2026, 11, 24, 10, 0),
        tickets.add_customer_message,
        Actor.system("mail"),
        ticket_id,
        body="HP LaserJet",
        from_email="kupac@example.ba",
    )
    t = row(ticket_id)
    # 0.5h used; 32.5h left from Tue 10:00: Tue 9h, (Wed holiday), Thu 11h, Fri 11h, Mon 1.5h.
    assert clock.to_utc(t.resolution_due) == local(2026, 11, 30, 9, 30)
    assert clock.to_utc(t.first_response_due) == local(2026, 11, 24, 14, 0)
    assert clock.to_utc(t.next_response_due) == local(2026, 11, 24, 14, 0)

    at_(
        local(2026, 11, 24, 11, 0), tickets.reply, ANA, ticket_id, "Riješeno", set_status="resolved"
    )
    assert row(ticket_id).resolution_due is None
    at_(
        local(2026, 11, 25, 10, 0),
        tickets.add_customer_message,
        Actor.system("mail"),
        ticket_id,
        body="Opet ne radi",
        from_email="kupac@example.ba",
    )
    # Paused Tue 11:00 -> Wed 10:00 (a holiday): the due time moves by Tuesday's 8 paused
    # business hours. Used 1.5h; 31.5h left from Thursday 08:00: Thu 11h, Fri 11h, Mon 9.5h.
    t = row(ticket_id)
    assert clock.to_utc(t.resolution_due) == local(2026, 11, 30, 17, 30)
    # Reproducible after the fact: the clocks as of Tuesday noon are unchanged by later history.
    before = sla.ticket_clocks(ticket_id, local(2026, 11, 24, 10, 30))
    assert before.resolution.due_at == local(2026, 11, 30, 9, 30)


def test_on_hold_pauses_and_breach_is_recorded_once_as_an_event(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 23, 9, 0), priority="urgent")
    at_(local(2026, 11, 23, 9, 10), tickets.set_status, ANA, ticket_id, "on_hold")
    assert row(ticket_id).resolution_due is None
    assert at_(local(2026, 11, 23, 9, 20), sla.sweep) == 0
    # 30-minute first response (on hold does not stop the reply owed) is missed at 09:30.
    assert at_(local(2026, 11, 23, 9, 45), sla.sweep) == 1
    assert at_(local(2026, 11, 23, 9, 50), sla.sweep) == 0
    events = [e for e in audit.events_for(ticket_id) if e.action == "sla_breach"]
    assert [(e.actor, e.field) for e in events] == [("system:sla", "first_response")]
    assert clock.to_utc(datetime.fromisoformat(events[0].after)) == local(2026, 11, 23, 9, 30)
    assert row(ticket_id).sla_breached
    assert SlaBreach.select().count() == 1


def test_late_reply_records_the_breach_at_reply_time(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 23, 9, 0))
    at_(local(2026, 11, 23, 12, 0), tickets.reply, ANA, ticket_id, "Izvinite na čekanju")
    clocks = sla.ticket_clocks(ticket_id)
    assert clocks.first_response.state == "missed"
    assert row(ticket_id).sla_breached
    assert [b.target for b in SlaBreach.select()] == ["first_response"]


def test_resolution_breach_and_describe_clock(desk):
    sla.install_default_policies(_SETUP)
    ticket_id = create(local(2026, 11, 23, 9, 0), priority="urgent")
    at_(local(2026, 11, 23, 9, 5), tickets.reply, ANA, ticket_id, "Gledamo")
    detail = tickets.get_ticket(ticket_id)
    text, level = sla.describe_clock(detail, local(2026, 11, 23, 9, 6))
    assert level == "ok" and text.startswith("3h")
    assert sla.describe_clock(detail, local(2026, 11, 23, 12, 30))[1] == "warning"
    text, level = sla.describe_clock(detail, local(2026, 11, 23, 14, 0))
    assert (text, level) == ("-1h", "breached")
    assert at_(local(2026, 11, 23, 13, 1), sla.sweep) == 1
    assert [b.target for b in SlaBreach.select()] == ["resolution"]


def test_no_policy_means_no_clock(desk):
    ticket_id = create(local(2026, 11, 23, 9, 0))
    t = row(ticket_id)
    assert (t.first_response_due, t.resolution_due, t.sla_breached) == (None, None, False)
    assert sla.describe_clock(tickets.get_ticket(ticket_id)) == ("", "none")


def test_overdue_ids_selects_only_unlogged_breaches(desk):
    sla.install_default_policies(_SETUP)
    late = create(local(2026, 11, 23, 9, 0), priority="urgent")
    fine = create(local(2026, 11, 23, 9, 40), priority="low")
    now = local(2026, 11, 23, 10, 0)
    assert sla.overdue_ids(now) == [late]
    sla.sweep(now)
    assert sla.overdue_ids(now) == []
    assert not row(fine).sla_breached
