"""Customer mail a bulk change queues as intents, written out by the sender.

A bulk close queues its status mails as rows with no subject, body or Message-ID yet
(`notification_sets` by one INSERT ... SELECT); the sender writes them (`outbox_render`)
and sends them. What the customer gets is checked as they would read it (decoded subject,
body, threading headers worked out by hand from the mail the ticket had), and so is what
the automatic-mail cap holds, against closing the same tickets one by one.
"""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from mail_setup import SECRET, mail_config
from test_bulk_sets import desk_copies

from deskterm import clock
from deskterm.domain import Actor, Status
from deskterm.mail import ids
from deskterm.mail.outbound import local_outbox_dir, send_due
from deskterm.services import directory, tickets
from deskterm.services.automation import rules
from deskterm.services.automation.rules_file import parse_rules
from deskterm.services.finding import bulk, bulk_sets
from deskterm.services.messaging import mail_text, mailbox, notifications, outbox_render
from deskterm.services.messaging.inbound import Importer
from deskterm.store.db import db, write_transaction

SETUP = Actor.system("test")


def customer_mail(sender: str, subject: str, message_id: str, reply_to: str | None = None):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@desk.example", subject
    msg["Message-ID"] = message_id
    if reply_to:
        msg["In-Reply-To"] = msg["References"] = reply_to
    msg.set_content("Hello, the printer on the second floor prints blank pages since Monday.")
    return bytes(msg)


def sent_mail(config) -> dict[str, list]:
    """Deliver what is due (to the local maildir); every mail sent so far, by recipient."""
    send_due(config)
    folder = local_outbox_dir(config) / "new"
    out: dict[str, list] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        out.setdefault(str(msg["To"]), []).append(msg)
    return out


def text_of(msg) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content()


def test_bulk_close_mail_is_written_by_the_sender_threaded_on_the_ticket(mail_desk):
    importer = Importer(mail_desk)
    opened = importer.import_raw(customer_mail("ivo@example.com", "Printer prints blank pages",
                                               "<c1@example.com>"))
    other = importer.import_raw(customer_mail("eva@example.com", "VPN", "<e1@example.com>"))
    (confirmation,) = sent_mail(mail_desk)["ivo@example.com"]
    assert confirmation["Subject"] == f"[#{opened.ticket_id}] Printer prints blank pages"

    result = bulk.bulk_close(directory.actor_for("ana"), ids=[opened.ticket_id, other.ticket_id])
    assert result.changed == 2
    queued = db.execute_sql(
        'SELECT "ticket_id", "kind", "to_addrs", "subject", "body", "message_id" FROM '
        '"outbox_message" WHERE "render" IS NOT NULL ORDER BY "id"').fetchall()
    assert sorted(tuple(r) for r in queued) == [
        (opened.ticket_id, "status_changed", "ivo@example.com", "", "", ""),
        (other.ticket_id, "status_changed", "eva@example.com", "", "", ""),
    ], "queued as intents: address and kind now, the text when it is sent"

    inbox = sent_mail(mail_desk)
    assert outbox_render.pending_count() == 0
    first, status = inbox["ivo@example.com"]
    assert first["Message-ID"] == confirmation["Message-ID"]
    assert status["Subject"] == f"[#{opened.ticket_id}] Printer prints blank pages is now closed"
    body = text_of(status)
    assert "Hello ivo," in body
    assert f'your ticket #{opened.ticket_id} "Printer prints blank pages" changed from\nnew ' \
           "to closed." in body
    assert ids.make_token(opened.ticket_id, SECRET) in body
    # the ticket had the customer's mail and the confirmation, in that order
    assert status["In-Reply-To"] == confirmation["Message-ID"]
    assert status["References"] == f"<c1@example.com> {confirmation['Message-ID']}"
    assert ids.ticket_from_message_id(status["Message-ID"], SECRET) == opened.ticket_id
    assert status["Auto-Submitted"] == "auto-generated"
    (_, eva_status) = inbox["eva@example.com"]
    assert eva_status["Subject"] == f"[#{other.ticket_id}] VPN is now closed"


def test_mail_arriving_after_the_intent_does_not_change_its_threading(mail_desk):
    importer = Importer(mail_desk)
    opened = importer.import_raw(customer_mail("ivo@example.com", "Printer", "<c1@example.com>"))
    (confirmation,) = sent_mail(mail_desk)["ivo@example.com"]
    bulk.bulk_set(directory.actor_for("ana"), None, ids=[opened.ticket_id], status="pending")
    assert outbox_render.pending_count() == 1
    # the customer answers the confirmation before the status mail is written
    again = importer.import_raw(customer_mail("ivo@example.com", "Re: Printer",
                                              "<c2@example.com>", confirmation["Message-ID"]))
    assert again.ticket_id == opened.ticket_id
    _, status = sent_mail(mail_desk)["ivo@example.com"]
    assert status["Subject"] == f"[#{opened.ticket_id}] Printer is now pending"
    assert status["In-Reply-To"] == confirmation["Message-ID"]
    assert status["References"] == f"<c1@example.com> {confirmation['Message-ID']}"


def test_a_later_reply_is_threaded_on_the_intent_written_first(mail_desk):
    importer = Importer(mail_desk)
    opened = importer.import_raw(customer_mail("ivo@example.com", "Printer", "<c1@example.com>"))
    ana = directory.actor_for("ana")
    bulk.bulk_set(ana, None, ids=[opened.ticket_id], status="on_hold")
    tickets.reply(ana, opened.ticket_id, "A technician comes tomorrow at nine.")
    assert outbox_render.pending_count() == 0, "the reply wrote its ticket's intent first"
    _, status, reply = sent_mail(mail_desk)["ivo@example.com"]
    assert status["Subject"] == f"[#{opened.ticket_id}] Printer is now on hold"
    assert "A technician comes tomorrow at nine." in text_of(reply)
    assert status["Message-ID"] in reply["References"].split()


def test_outbox_listing_shows_an_intent_written(mail_desk):
    opened = tickets.create_ticket(SETUP, subject="Laptop", body="It does not start.",
                                   requester_email="lea@example.com", requester_name="Lea")
    bulk.bulk_close(directory.actor_for("ana"), ids=[opened.id])
    (item, confirmation) = mailbox.list_outbox(ticket_id=opened.id)
    assert (item.kind, item.subject) == ("status_changed", f"[#{opened.id}] Laptop is now closed")
    assert item.headers["In-Reply-To"] == confirmation.message_id
    assert "Hello Lea," in item.body and outbox_render.pending_count() == 0


RULE = '''
[[rule]]
name = "Ask about new tickets"
when = "new for 2d"
[rule.then]
reply = { body = "Hello {requester.first_name}, which printer is it?", status = "pending" }
add_tags = ["asked"]
'''


def test_a_rule_reply_is_queued_as_an_intent_and_sent_to_requester_and_follower(mail_desk):
    importer = Importer(mail_desk)
    raw = customer_mail("ivo@example.com", "Printer", "<c1@example.com>")
    raw = raw.replace(b"Subject:", b"Cc: boss@example.com\nSubject:", 1)
    opened = importer.import_raw(raw)
    (confirmation,) = sent_mail(mail_desk)["ivo@example.com"]
    rules.load_rules(SETUP, parse_rules(RULE))
    result = rules.run_time_rules(clock.now() + timedelta(days=3))
    assert result.fired["Ask about new tickets"] == 1
    assert outbox_render.pending_count() == 1, "the reply, its status folded into it"
    _, reply = sent_mail(mail_desk)["ivo@example.com"]
    assert reply["Subject"] == f"Re: [#{opened.ticket_id}] Printer"
    assert reply["Cc"] == "boss@example.com"
    body = text_of(reply)
    assert body.startswith(mail_text.MARKERS["en"] + "\n\nHello ivo, which printer is it?\n")
    assert body.endswith("\n\n(Status: pending)\n")
    assert reply["In-Reply-To"] == "<c1@example.com>", "it answers the customer's mail"
    assert reply["References"] == f"<c1@example.com> {confirmation['Message-ID']}"
    assert tickets.get_ticket(opened.ticket_id).status.value == "pending"


def test_a_mail_that_cannot_be_written_fails_alone_and_is_sent_after_a_retry(mail_desk,
                                                                             monkeypatch):
    made = [tickets.create_ticket(SETUP, subject=subject, body="It does not start.",
                                  requester_email=email).id
            for subject, email in (("Laptop", "lea@example.com"), ("Phone", "ivo@example.com"))]
    sent_mail(mail_desk)  # the confirmations
    bulk.bulk_close(directory.actor_for("ana"), ids=made)
    real = notifications._outbox_row

    def broken_for_lea(ticket, *args, **kwargs):
        if ticket.requester_email == "lea@example.com":
            raise KeyError("status.after")
        return real(ticket, *args, **kwargs)

    monkeypatch.setattr(notifications, "_outbox_row", broken_for_lea)
    inbox = sent_mail(mail_desk)
    assert inbox["ivo@example.com"][-1]["Subject"] == f"[#{made[1]}] Phone is now closed"
    assert len(inbox["lea@example.com"]) == 1, "only the confirmation"
    (failed,) = mailbox.list_outbox(status="failed")
    assert (failed.ticket_id, failed.subject) == (made[0], "")
    assert failed.last_error == "cannot write the message: KeyError('status.after')"
    monkeypatch.setattr(notifications, "_outbox_row", real)
    mailbox.retry_outbox(directory.actor_for("ana"), failed.id)
    lea = sent_mail(mail_desk)["lea@example.com"]
    assert [m["Subject"] for m in lea] == [f"[#{made[0]}] Laptop",
                                           f"[#{made[0]}] Laptop is now closed"]


def test_statuses_folded_into_a_reply_not_written_yet_read_as_one_by_one(mail_desk):
    """A rule's reply, then two status changes moments later: one mail with both, as when
    an agent does the same ticket by ticket."""
    made = [tickets.create_ticket(SETUP, subject="Laptop", body="It does not start.",
                                  requester_email=f"{who}@example.com").id
            for who in ("set", "one")]
    rule = Actor("rule", "Follow-up")
    with write_transaction():  # the set path, as `rules run` takes it
        bulk_sets.add_replies(rule, [(made[0], "Did the update help?")])
        for status in (Status.PENDING, Status.ON_HOLD):
            bulk_sets.apply(rule, [made[0]], status=status, keep=tickets.KEEP,
                            assignee=tickets.KEEP)
    assert outbox_render.pending_count() == 1
    ana = directory.actor_for("ana")
    tickets.reply(ana, made[1], "Did the update help?")
    for status in (Status.PENDING, Status.ON_HOLD):
        tickets.update_fields(ana, made[1], status=status)
    inbox = sent_mail(mail_desk)
    (_, by_rule), (_, by_agent) = inbox["set@example.com"], inbox["one@example.com"]
    tail = "\n\n(Status: pending)\n\n(Status: on_hold)\n"
    assert text_of(by_rule).endswith(tail) and text_of(by_agent).endswith(tail)


#: Requesters in the order their tickets are made (and closed): X has 5, Y has 2.
ORDER = ["x", "y", "x", "x", "y", "x", "x"]


@pytest.fixture
def capped_desk(desk):
    """The cap at 7 automatic mails: X's 5 confirmations leave room for 2 status mails."""
    config = mail_config(auto_cap=7)
    notifications.use_config(config)
    made = [tickets.create_ticket(SETUP, subject=f"Ticket {n}", body="Help, please.",
                                  requester_email=f"{who}@example.com").id
            for n, who in enumerate(ORDER)]
    yield desk, made
    notifications.use_config(None)


def test_the_cap_holds_the_same_mails_as_closing_one_by_one(capped_desk, tmp_path):
    desk, made = capped_desk
    # the order a bulk change takes the tickets in (the queue's), one by one as well
    order = list(bulk.bulk_close(directory.actor_for("ana"), ids=made, dry_run=True).ticket_ids)
    assert sorted(order) == made
    outcomes = {}
    for kind, open_copy in desk_copies(desk, tmp_path):
        open_copy()
        ana = directory.actor_for("ana")
        if kind == "per_ticket":  # each close a change of its own, its mail written at once
            for ticket_id in order:
                bulk.bulk_set(ana, None, ids=[ticket_id], status="closed", per_ticket=True)
            assert outbox_render.pending_count() == 0
        else:
            bulk.bulk_close(ana, ids=made)
            assert outbox_render.render_pending() == 4
        mails = db.execute_sql(
            'SELECT "ticket_id", "to_addrs", "subject" FROM "outbox_message" '
            'WHERE "kind" = \'status_changed\' ORDER BY "id"').fetchall()
        capped = db.execute_sql(
            'SELECT "ticket_id", "after" FROM "event" WHERE "action" = \'mail_capped\' '
            'ORDER BY "id"').fetchall()
        outcomes[kind] = ([tuple(r) for r in mails], [tuple(r) for r in capped])
        db.close()
    owner = dict(zip(made, ORDER, strict=True))
    x = [t for t in order if owner[t] == "x"]  # X's tickets in the order they were closed
    expected_mails = [(t, f"{owner[t]}@example.com", f"[#{t}] Ticket {made.index(t)} is now "
                       "closed") for t in order if owner[t] == "y" or t in x[:2]]
    note = "status_changed to x@example.com not sent: 7 automatic mails in 3h"
    assert outcomes["set_based"] == (expected_mails, [(t, note) for t in x[2:]])
    assert outcomes["per_ticket"] == outcomes["set_based"]


@pytest.mark.sqlite_only
def test_a_read_only_desk_lists_an_intent_as_queued_without_writing_it(mail_desk, db_path):
    from deskterm.store.db import open_db

    opened = tickets.create_ticket(SETUP, subject="Laptop", body="It does not start.",
                                   requester_email="lea@example.com")
    bulk.bulk_close(directory.actor_for("ana"), ids=[opened.id])
    open_db(db_path, read_only=True)
    intent, confirmation = mailbox.list_outbox(ticket_id=opened.id)
    assert (intent.kind, intent.subject, intent.status.value) == ("status_changed", "", "queued")
    assert confirmation.subject == f"[#{opened.id}] Laptop"
    open_db(db_path)
    assert mailbox.list_outbox(ticket_id=opened.id)[0].subject.endswith("Laptop is now closed")
