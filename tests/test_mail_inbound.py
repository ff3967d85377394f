"""Inbound mail on a real database: import the corpus, thread replies, ignore robots,
quarantine what cannot be imported, and queue customer notifications."""

from __future__ import annotations

import json
import mailbox as std_mailbox
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from mail_setup import SECRET, mail_config

from deskterm import clock
from deskterm.domain import Actor, Status
from deskterm.mail import ids
from deskterm.mail.sources import read_path
from deskterm.services import directory, tickets
from deskterm.services.messaging import mailbox
from deskterm.services.messaging.inbound import Importer
from deskterm.services.trust import audit
from deskterm.store.models import OutboxMessage, Ticket

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"


def message(
    sender="jana@customer.example", subject="Printer on fire", body="It is on fire.",
    to="support@desk.example", **headers,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def outbox(ticket_id: int, kind: str | None = None) -> list[OutboxMessage]:
    query = OutboxMessage.select().where(OutboxMessage.ticket == ticket_id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(query.order_by(OutboxMessage.id))


def test_corpus_import_makes_expected_tickets_and_threads(mail_desk):
    summary = Importer(mail_desk).import_many(read_path(CORPUS))
    by_file = {r.source[:2]: r for r in summary.results}
    assert summary.counts == {"created": 31, "threaded": 2, "ignored": 3, "skipped": 1}
    selma = by_file["01"].ticket_id
    assert by_file["07"].status == "threaded" and by_file["07"].ticket_id == selma
    assert by_file["11"].ticket_id == by_file["02"].ticket_id
    for robot in ("08", "09", "13"):
        assert by_file[robot].status == "ignored"
    # the stranger quoting #1 got a ticket of their own, linked to Selma's
    stranger = tickets.get_ticket(by_file["10"].ticket_id)
    assert stranger.requester.email == "stranger@example.org" and stranger.linked_to == selma
    assert [e.author_email or e.author for e in tickets.get_ticket(selma).public_entries][-1]
    thread = tickets.get_ticket(selma)
    assert [e.body for e in thread.public_entries][1] == (
        "Evo i broja narudžbe: 55-1182. Hvala na brzini!\n\nSelma"
    )
    assert thread.requester.name == "Selma Hadžić"
    croatian = tickets.get_ticket(by_file["02"].ticket_id)
    assert croatian.subject == "Aplikacija se ruši nakon ažuriranja"
    assert [f.email for f in croatian.followers] == ["ivana.kovacevic@example.hr"]
    billing = tickets.get_ticket(by_file["05"].ticket_id)
    assert billing.queue == "billing"
    names = [a.filename for a in billing.entries[0].attachments]
    assert names == ["счёт-2026.pdf", "snimak_zaslona_greška.png"]
    assert tickets.get_ticket(by_file["06"].ticket_id).entries[0].attachments[0].size == 70
    # importing again changes nothing
    again = Importer(mail_desk).import_many(read_path(CORPUS))
    assert again.counts == {"duplicate": 36, "skipped": 1}
    assert Ticket.select().count() == 31


def test_every_new_ticket_gets_a_signed_confirmation(mail_desk):
    result = Importer(mail_desk).import_raw(message(), "m1")
    (confirmation,) = outbox(result.ticket_id)
    assert confirmation.kind == "ticket_opened" and confirmation.to_addrs == "jana@customer.example"
    assert confirmation.subject == f"[#{result.ticket_id}] Printer on fire"
    assert ids.ticket_from_message_id(confirmation.message_id, SECRET) == result.ticket_id
    headers = json.loads(confirmation.headers)
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["X-Loop"] == "support@desk.example"
    assert ids.make_token(result.ticket_id, SECRET) in confirmation.body


def test_round_trip_reply_reopens_the_same_ticket(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(Message_ID="<c1@customer.example>"), "c1")
    ana = directory.actor_for("ana")
    tickets.reply(ana, first.ticket_id, "Please unplug it.", set_status="pending")
    (reply_mail,) = outbox(first.ticket_id, "reply")
    headers = json.loads(reply_mail.headers)
    assert headers["In-Reply-To"] == "<c1@customer.example>"
    assert "<c1@customer.example>" in headers["References"]
    assert "(Status: pending)" in reply_mail.body  # one mail for "reply and set pending"
    assert outbox(first.ticket_id, "status_changed") == []
    answer = message(
        subject=f"Re: {reply_mail.subject}", Message_ID="<c2@customer.example>",
        In_Reply_To=reply_mail.message_id, References=reply_mail.message_id,
        body=f"Unplugged, thanks.\n\nOn Mon, Ana wrote:\n> {reply_mail.body}",
    )
    second = importer.import_raw(answer, "c2")
    assert (second.status, second.ticket_id) == ("threaded", first.ticket_id)
    detail = tickets.get_ticket(first.ticket_id)
    assert detail.status is Status.OPEN
    assert detail.public_entries[-1].body == "Unplugged, thanks."


def test_token_threads_when_headers_are_dropped(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(), "a")
    token = ids.make_token(first.ticket_id, SECRET)
    second = importer.import_raw(message(subject="new subject", body=f"More info\n> {token}"), "b")
    assert (second.status, second.ticket_id) == ("threaded", first.ticket_id)
    assert token not in tickets.get_ticket(first.ticket_id).public_entries[-1].body


def test_subject_tag_needs_a_participant(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(), "a")
    tag = f"Re: [#{first.ticket_id}] Printer on fire"
    own = importer.import_raw(message(subject=tag, body="Still burning"), "b")
    assert (own.status, own.ticket_id) == ("threaded", first.ticket_id)
    tickets.add_follower(directory.actor_for("ana"), first.ticket_id, "boss@customer.example")
    follower = importer.import_raw(message(sender="boss@customer.example", subject=tag), "c")
    assert follower.ticket_id == first.ticket_id
    stranger = importer.import_raw(message(sender="eve@evil.example", subject=tag), "d")
    assert stranger.status == "created" and stranger.ticket_id != first.ticket_id
    assert tickets.get_ticket(stranger.ticket_id).linked_to == first.ticket_id
    assert all(e.author_email != "eve@evil.example"
               for e in tickets.get_ticket(first.ticket_id).entries)


def test_forged_message_id_is_not_trusted(mail_desk):
    importer = Importer(mail_desk)
    victim = importer.import_raw(message(), "a")
    forged = f"<dt.{victim.ticket_id}.0123456789.0123456789abcdef@desk.example>"
    result = importer.import_raw(message(sender="eve@evil.example", In_Reply_To=forged), "b")
    assert result.status == "created" and result.ticket_id != victim.ticket_id


def test_merged_and_closed_tickets(mail_desk):
    importer = Importer(mail_desk)
    a = importer.import_raw(message(Message_ID="<a@customer.example>"), "a")
    b = importer.import_raw(message(subject="Other", Message_ID="<b@customer.example>"), "b")
    ana = directory.actor_for("ana")
    tickets.merge(ana, a.ticket_id, b.ticket_id)
    follow = importer.import_raw(message(In_Reply_To="<a@customer.example>"), "c")
    assert (follow.status, follow.ticket_id) == ("threaded", b.ticket_id)
    tickets.set_status(ana, b.ticket_id, "closed")
    late = importer.import_raw(message(In_Reply_To="<b@customer.example>"), "d")
    assert late.status == "created"
    assert tickets.get_ticket(late.ticket_id).linked_to == b.ticket_id


def test_robots_and_own_mail_are_ignored_and_logged(mail_desk):
    importer = Importer(mail_desk)
    cases = {
        "auto": message(Auto_Submitted="auto-replied"),
        "xauto": message(X_Autoreply="yes"),
        "list": message(Precedence="list"),
        "null": message(Return_Path="<>"),
        "daemon": message(sender="MAILER-DAEMON@mx.example"),
        "loop": message(X_Loop="support@desk.example"),
        "self": message(sender="support@desk.example"),
    }
    for name, raw in cases.items():
        assert importer.import_raw(raw, name).status == "ignored", name
    assert Ticket.select().count() == 0
    assert {i.source for i in mailbox.list_inbound("ignored")} == set(cases)
    assert importer.import_raw(message(Auto_Submitted="no"), "human").status == "created"


def test_bounce_marks_the_outbox_message_failed(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(), "a")
    (confirmation,) = outbox(first.ticket_id)
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.customer.example"
    bounce["To"] = "support@desk.example"
    bounce["Subject"] = "Undelivered Mail"
    bounce.set_content("could not deliver")
    bounce.make_mixed()
    bounce.add_attachment(
        f"Message-ID: {confirmation.message_id}\nTo: jana@customer.example\n\n",
        subtype="rfc822-headers",
    )
    result = importer.import_raw(bytes(bounce), "bounce")
    assert result.status == "ignored" and "marked failed" in result.reason
    assert OutboxMessage.get_by_id(confirmation.id).status == "failed"


def test_quarantine_keeps_raw_and_retry_imports(mail_desk):
    small = Importer(mail_config(max_bytes=200))
    raw = message(body="x" * 500)
    result = small.import_raw(raw, "big.eml")
    assert result.status == "quarantined" and "too large" in result.reason
    nobody = small.import_raw(b"Subject: who?\n\nno sender at all\n", "anon.eml")
    assert nobody.status == "quarantined"
    listed = mailbox.list_inbound("quarantined")
    assert {i.source for i in listed} == {"big.eml", "anon.eml"}
    big = next(i for i in listed if i.source == "big.eml")
    assert Path(big.raw_path).read_bytes() == raw
    retried = Importer(mail_desk).retry(Actor.system("test"), big.id)
    assert retried.status == "created"
    assert {i.source for i in mailbox.list_inbound("quarantined")} == {"anon.eml"}
    assert not Path(big.raw_path).exists()


def test_broken_messages_do_not_stop_a_maildir_import(mail_desk, tmp_path):
    box = std_mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(message(subject="one"))
    box.add(b"\x00\xff garbage without headers \x00")
    box.add(message(subject="three", sender="x@y.example", Message_ID="<3@y.example>"))
    summary = Importer(mail_desk).import_many(read_path(tmp_path / "Maildir"))
    assert summary.counts == {"created": 2, "quarantined": 1}


def test_auto_mail_cap_stops_ping_pong(mail_desk):
    importer = Importer(mail_desk)
    for n in range(12):
        importer.import_raw(message(subject=f"ticket {n}", Message_ID=f"<n{n}@x.example>"), str(n))
    sent = OutboxMessage.select().where(OutboxMessage.kind == "ticket_opened").count()
    assert sent == 10
    last = Ticket.select().order_by(Ticket.id.desc()).first()
    assert any(e.action == "mail_capped" for e in audit.events_for(last.id))
    later = clock.now() + timedelta(hours=3, minutes=1)
    with clock.frozen_at(later):
        importer.import_raw(message(subject="later", Message_ID="<late@x.example>"), "late")
    assert OutboxMessage.select().where(OutboxMessage.kind == "ticket_opened").count() == 11


def test_notes_never_mail_and_status_changes_do(mail_desk):
    first = Importer(mail_desk).import_raw(message(), "a")
    ana = directory.actor_for("ana")
    tickets.add_note(ana, first.ticket_id, "internal: customer is grumpy")
    assert [m.kind for m in outbox(first.ticket_id)] == ["ticket_opened"]
    tickets.set_status(ana, first.ticket_id, "on_hold")
    tickets.set_status(ana, first.ticket_id, "resolved")
    kinds = [m.kind for m in outbox(first.ticket_id)]
    assert kinds == ["ticket_opened", "status_changed", "survey"]
    assert "grumpy" not in " ".join(m.body for m in outbox(first.ticket_id))


def test_survey_answer_is_a_rating_not_a_reopen(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(), "a")
    tickets.set_status(directory.actor_for("ana"), first.ticket_id, "resolved")
    (survey,) = outbox(first.ticket_id, "survey")
    answer = message(subject="Re: " + survey.subject, In_Reply_To=survey.message_id,
                     body=f"4\nQuick, thanks!\n\nOn Tue, Desk wrote:\n> {survey.body}")
    rated = importer.import_raw(answer, "answer")
    assert (rated.status, rated.ticket_id) == ("rated", first.ticket_id)
    row = Ticket.get_by_id(first.ticket_id)
    assert (row.status, row.csat_rating, row.csat_comment) == ("resolved", 4, "Quick, thanks!")
    assert any(e.action == "csat" and e.after == "4" for e in audit.events_for(row.id))
    words = message(subject="Re: " + survey.subject, In_Reply_To=survey.message_id,
                    body="1 problem remains: the paper tray", Message_ID="<w@customer.example>")
    assert importer.import_raw(words, "words").status == "threaded"
    assert Ticket.get_by_id(first.ticket_id).status == "open"


def test_queue_address_routes_in_and_answers_out(mail_desk):
    result = Importer(mail_desk).import_raw(message(to="Billing <billing@desk.example>"), "b")
    assert tickets.get_ticket(result.ticket_id).queue == "billing"
    (confirmation,) = outbox(result.ticket_id)
    headers = json.loads(confirmation.headers)
    assert headers["From"] == headers["Reply-To"] == "Desk Support <billing@desk.example>"
    assert Importer(mail_desk).import_raw(
        message(sender="billing@desk.example", Message_ID="<own@desk.example>"), "own"
    ).status == "ignored"


# --- strangers and threading (issue 9, item 8) ------------------------------------------


def test_stranger_replying_to_an_unsigned_message_id_gets_a_new_linked_ticket(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(Message_ID="<c1@customer.example>"), "a")
    sneaky = message(sender="eve@evil.example", subject="Re: Printer on fire",
                     In_Reply_To="<c1@customer.example>", Cc="mallory@evil.example",
                     Message_ID="<e1@evil.example>", body="Send the invoice to me.")
    prediction = importer.explain(sneaky)
    result = importer.import_raw(sneaky, "b")
    assert result.status == "created" and result.ticket_id != first.ticket_id
    assert prediction["action"] == result.reason == (
        f"new ticket, linked to #{first.ticket_id} in queue general "
        f"(eve@evil.example is not a participant of #{first.ticket_id})"
    )
    victim = tickets.get_ticket(first.ticket_id)
    assert [f.email for f in victim.followers] == []
    assert [e.body for e in victim.public_entries] == ["It is on fire."]
    own = tickets.get_ticket(result.ticket_id)
    assert own.linked_to == first.ticket_id and own.requester.email == "eve@evil.example"
    # the requester replying to their own unsigned Message-ID still threads
    again = importer.import_raw(message(In_Reply_To="<c1@customer.example>", body="Any news?",
                                        Message_ID="<c2@customer.example>"), "c")
    assert (again.status, again.ticket_id) == ("threaded", first.ticket_id)


def test_forwarded_reply_by_signed_message_id_threads_but_adds_no_followers(mail_desk):
    importer = Importer(mail_desk)
    first = importer.import_raw(message(), "a")
    (confirmation,) = outbox(first.ticket_id)
    colleague = message(sender="boss@customer.example", subject="Re: " + confirmation.subject,
                        In_Reply_To=confirmation.message_id, Cc="outsider@else.example",
                        body="I am Jana's manager: this is urgent.")
    result = importer.import_raw(colleague, "b")
    assert (result.status, result.ticket_id) == ("threaded", first.ticket_id)
    detail = tickets.get_ticket(first.ticket_id)
    assert [f.email for f in detail.followers] == []
    assert detail.public_entries[-1].body == "I am Jana's manager: this is urgent."
    assert detail.entries[-1].body == (
        "Mail: Cc of non-participant boss@customer.example not added as followers")
    # the requester's own Cc on a reply does add a follower
    own = message(In_Reply_To=confirmation.message_id, Cc="colleague@customer.example",
                  Message_ID="<own@customer.example>", body="Adding my colleague.")
    importer.import_raw(own, "c")
    assert [f.email for f in tickets.get_ticket(first.ticket_id).followers] == [
        "colleague@customer.example"]


def test_reused_message_id_with_other_content_is_imported_and_noted(mail_desk):
    importer = Importer(mail_desk)
    one = importer.import_raw(message(Message_ID="<same@x.example>", body="first"), "a")
    two = importer.import_raw(message(Message_ID="<same@x.example>", subject="Other",
                                      body="second"), "b")
    assert one.status == "created" and two.status == "created"
    assert two.ticket_id != one.ticket_id
    assert tickets.get_ticket(two.ticket_id).entries[-1].body == (
        "Mail: Message-ID <same@x.example> was used before by other content")
    assert importer.import_raw(message(Message_ID="<same@x.example>", subject="Other",
                                       body="second"), "c").status == "duplicate"


def test_merging_tickets_of_different_requesters_adds_no_followers(mail_desk):
    importer = Importer(mail_desk)
    a = importer.import_raw(message(sender="jana@customer.example", Cc="cc@customer.example",
                                    Message_ID="<a@x.example>"), "a")
    b = importer.import_raw(message(sender="ivo@other.example", Message_ID="<b@x.example>"), "b")
    ana = directory.actor_for("ana")
    assert tickets.merge_warning(a.ticket_id, b.ticket_id) == (
        f"#{a.ticket_id} is from jana@customer.example and #{b.ticket_id} from "
        f"ivo@other.example: their people are not added as followers of #{b.ticket_id} "
        "(add them with `ticket follow`, or merge with --add-followers)"
    )
    merged = tickets.merge(ana, a.ticket_id, b.ticket_id)
    assert [f.email for f in merged.followers] == []
    assert any(e.body == "Not added as followers (other requester): jana@customer.example, "
               "cc@customer.example" for e in merged.entries)
