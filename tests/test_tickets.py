"""Ticket services: each operation, its audit events, reopen rules, versions, errors."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from deskterm import clock
from deskterm.domain import (
    Actor,
    BadInput,
    Conflict,
    EntryKind,
    NewAttachment,
    NotFound,
    Refused,
    Status,
)
from deskterm.domain import Actor as _Actor
from deskterm.services import attachments, directory, tickets
from deskterm.services.trust import audit

_SETUP = _Actor.system("test")


@pytest.fixture
def ana(desk) -> Actor:
    return directory.actor_for("ana")


def _new(actor, **extra):
    fields = dict(
        subject="Račun nije stigao",
        body="Poštovani, račun za studeni nije stigao.",
        requester_email="Amra.Hadzic@Example.BA",
        requester_name="Amra Hadžić",
        queue="billing",
    )
    fields.update(extra)
    return tickets.create_ticket(actor, **fields)


def test_create_records_requester_thread_and_event(ana):
    ticket = _new(ana, tags=["VIP", "invoice"], followers=["boss@example.ba"])
    assert ticket.ref == f"#{ticket.id}"
    assert ticket.status is Status.NEW
    assert ticket.requester.email == "amra.hadzic@example.ba"
    assert ticket.requester.name == "Amra Hadžić"
    assert ticket.team == "billing-team"
    assert ticket.tags == ("invoice", "vip")
    assert [f.email for f in ticket.followers] == ["boss@example.ba"]
    assert [e.kind for e in ticket.entries] == [EntryKind.CUSTOMER]
    assert ticket.entries[0].body == "Poštovani, račun za studeni nije stigao."
    # The customer wrote it, even when an agent typed it in from a phone call.
    assert ticket.entries[0].author == "Amra Hadžić"
    assert ticket.entries[0].author_email == "amra.hadzic@example.ba"
    events = audit.events_for(ticket.id)
    assert [(e.actor, e.action) for e in events] == [("agent:ana", "created")]


def test_refs_are_never_reused(ana):
    first = _new(ana)
    second = _new(ana)
    assert second.id == first.id + 1


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(subject="   "), "subject is empty"),
        (dict(requester_email="not-an-address"), "not an email address"),
        (dict(priority="asap"), "bad priority 'asap'"),
        (dict(queue="nope"), "no queue named 'nope'"),
        (dict(tags=["two words"]), "bad tag"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(ana, change, message):
    with pytest.raises((BadInput, NotFound), match=message):
        _new(ana, **change)
    assert tickets.Ticket.select().count() == 0


def test_reply_is_public_sets_first_response_and_opens(ana):
    ticket = _new(ana)
    after = tickets.reply(ana, ticket.id, "Hvala, provjeravamo.")
    assert after.status is Status.OPEN
    assert after.first_response_at is not None
    assert after.entries[-1].kind is EntryKind.REPLY
    assert after.entries[-1].author == "Ana Anić"
    assert after.version > ticket.version
    actions = [e.action for e in audit.events_for(ticket.id)]
    assert actions == ["created", "reply", "status"]


def test_reply_can_set_status(ana):
    ticket = _new(ana)
    after = tickets.reply(ana, ticket.id, "Trebamo broj ugovora.", set_status="pending")
    assert after.status is Status.PENDING


def test_note_is_internal_and_records_mentions(ana):
    ticket = _new(ana)
    after = tickets.add_note(ana, ticket.id, "Provjeri ugovor @mirza, hvala @nobody")
    note = after.entries[-1]
    assert note.kind is EntryKind.NOTE and not note.is_public
    assert note not in after.public_entries
    assert after.notes == (note,)
    from deskterm.store.models import Mention

    assert [m.agent.username for m in Mention.select()] == ["mirza"]


@pytest.mark.parametrize("status", ["pending", "resolved"])
def test_customer_message_reopens(ana, status):
    ticket = _new(ana)
    tickets.reply(ana, ticket.id, "Javite nam se.", set_status=status)
    customer = Actor("customer", "amra.hadzic@example.ba")
    after = tickets.add_customer_message(
        customer, ticket.id, body="Još ne radi.", from_email="amra.hadzic@example.ba"
    )
    assert after.status is Status.OPEN
    assert after.entries[-1].kind is EntryKind.CUSTOMER
    last = audit.events_for(ticket.id)[-1]
    assert (last.actor, last.before, last.after) == (
        "customer:amra.hadzic@example.ba",
        status,
        "open",
    )


def test_customer_message_wakes_postponed_and_clears_snooze(ana):
    ticket = _new(ana)
    tickets.snooze(ana, ticket.id, clock.now() + timedelta(days=2))
    after = tickets.add_customer_message(
        Actor("customer", "x"),
        ticket.id,
        body="Ima li novosti?",
        from_email="amra.hadzic@example.ba",
    )
    assert after.status is Status.OPEN
    assert after.snoozed_until is None


def test_on_hold_is_not_reopened_by_customer(ana):
    ticket = _new(ana)
    tickets.set_status(ana, ticket.id, "on_hold")
    after = tickets.add_customer_message(
        Actor("customer", "x"), ticket.id, body="?", from_email="amra.hadzic@example.ba"
    )
    assert after.status is Status.ON_HOLD


def test_closed_is_final(ana):
    ticket = _new(ana)
    tickets.set_status(ana, ticket.id, "closed")
    with pytest.raises(Refused, match="closed"):
        tickets.add_customer_message(
            Actor("customer", "x"), ticket.id, body="hi", from_email="amra.hadzic@example.ba"
        )
    with pytest.raises(Refused):
        tickets.set_status(ana, ticket.id, "open")
    with pytest.raises(Refused):
        tickets.reply(ana, ticket.id, "late reply")


def test_stale_version_is_refused_not_overwritten(ana):
    ticket = _new(ana)  # in billing: marko's team works it
    marko = directory.actor_for("marko")
    tickets.set_priority(marko, ticket.id, "urgent", expected_version=ticket.version)
    with pytest.raises(Conflict, match="changed since you loaded it"):
        tickets.set_priority(ana, ticket.id, "low", expected_version=ticket.version)
    assert tickets.get_ticket(ticket.id).priority.value == "urgent"


def test_unknown_ticket_and_agent(ana):
    with pytest.raises(NotFound, match="no ticket #999"):
        tickets.get_ticket(999)
    ticket = _new(ana)
    with pytest.raises(NotFound, match="no agent named 'ghost'"):
        tickets.assign(ana, ticket.id, "ghost")


def test_assign_queue_priority_tags_each_write_an_event(ana):
    ticket = _new(ana)
    tickets.assign(ana, ticket.id, "marko")
    tickets.set_queue(ana, ticket.id, "general")
    tickets.set_priority(ana, ticket.id, "high")
    tickets.add_tags(ana, ticket.id, ["urgent-fix"])
    tickets.remove_tags(ana, ticket.id, ["urgent-fix"])
    after = tickets.get_ticket(ticket.id)
    assert (after.assignee, after.queue, after.priority.value, after.tags) == (
        "marko",
        "general",
        "high",
        (),
    )
    changes = [(e.action, e.before, e.after) for e in audit.events_for(ticket.id)][1:]
    assert changes == [
        ("assignee", None, "marko"),
        ("queue", "billing", "general"),
        ("priority", "normal", "high"),
        ("tags", None, "urgent-fix"),
        ("tags", "urgent-fix", None),
    ]


def test_setting_the_same_value_is_not_a_change(ana):
    ticket = _new(ana)
    again = tickets.set_priority(ana, ticket.id, "normal")
    assert again.version == ticket.version
    assert len(audit.events_for(ticket.id)) == 1


def test_snooze_and_wake(ana):
    ticket = _new(ana)
    with pytest.raises(BadInput, match="in the past"):
        tickets.snooze(ana, ticket.id, clock.now() - timedelta(hours=1))
    until = clock.now() + timedelta(hours=3)
    snoozed = tickets.snooze(ana, ticket.id, until)
    assert snoozed.status is Status.POSTPONED
    assert tickets.wake_snoozed() == []
    with clock.frozen_at(until + timedelta(minutes=1)):
        assert tickets.wake_snoozed() == [ticket.id]
    assert tickets.get_ticket(ticket.id).status is Status.OPEN


def test_attachments_are_stored_with_sha256_and_size(ana):
    data = "PDF sadržaj – ćčžšđ".encode()
    ticket = _new(
        ana, attachments=[NewAttachment("../../račun studeni.pdf", "application/pdf", data)]
    )
    [att] = ticket.entries[0].attachments
    assert att.filename == "račun studeni.pdf"
    assert att.size == len(data)
    assert att.sha256 == hashlib.sha256(data).hexdigest()
    meta, content = attachments.read_bytes(att.id)
    assert content == data
    assert (attachments.storage_dir() / att.path).is_file()


def test_merge_combines_threads_in_time_order(ana):
    start = clock.now()
    with clock.frozen_at(start):
        a = _new(ana, subject="Printer", body="A1", tags=["printer"])
    with clock.frozen_at(start + timedelta(minutes=5)):
        b = _new(
            ana,
            subject="Printer again",
            body="B1",
            requester_email="kenan@example.ba",
            tags=["vip"],
        )
    with clock.frozen_at(start + timedelta(minutes=10)):
        tickets.reply(ana, a.id, "A2")
    with clock.frozen_at(start + timedelta(minutes=15)):
        merged = tickets.merge(ana, a.id, b.id, add_followers=True)
    bodies = [e.body for e in merged.entries if e.kind is not EntryKind.SYSTEM]
    assert bodies == ["A1", "B1", "A2"]
    assert merged.tags == ("printer", "vip")
    # different requesters: the source's requester follows only because it was asked
    assert "amra.hadzic@example.ba" in [f.email for f in merged.followers]
    source = tickets.get_ticket(a.id)
    assert source.status is Status.CLOSED and source.merged_into == b.id
    assert tickets.surviving_ticket(a.id) == b.id
    with pytest.raises(Refused, match="already merged"):
        tickets.merge(ana, a.id, b.id)
    with pytest.raises(BadInput):
        tickets.merge(ana, b.id, b.id)


def test_failure_inside_an_operation_leaves_nothing_half_written(ana, monkeypatch):
    ticket = _new(ana)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", boom)
    with pytest.raises(RuntimeError):
        tickets.reply(ana, ticket.id, "this must not stay")
    after = tickets.get_ticket(ticket.id)
    assert [e.kind for e in after.entries] == [EntryKind.CUSTOMER]
    assert after.version == ticket.version


def test_a_rule_acting_on_a_reply_is_not_overwritten_by_the_reply(ana, tmp_path):
    from deskterm.services.automation import rules

    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[[rule]]\nname = "Close on goodbye"\nwhen = "agent replied"\n'
        '[rule.if]\nqueue = "billing"\n[rule.then]\nclose = true\n',
        encoding="utf-8",
    )
    rules.load_rules_file(_SETUP, rules_file)
    ticket = _new(ana)
    after = tickets.reply(ana, ticket.id, "Hvala i zbogom", set_status="pending")
    assert after.status is Status.CLOSED
    last = audit.events_for(ticket.id)[-1]
    assert (last.actor, last.after) == ("rule:Close on goodbye", "closed")
