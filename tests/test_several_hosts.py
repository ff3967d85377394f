"""Two hosts' worth of background workers on one desk: two processes each of `mail send`,
`rules run` and `mail import`, while new work keeps arriving. Nothing is sent twice, no
rule fires twice on a ticket, no message is imported twice.

Runs on whichever backend the suite runs on (PostgreSQL: FOR UPDATE SKIP LOCKED, advisory
lock; SQLite: the single-writer lock). `DESKTERM_HOSTS_SECONDS` makes the run longer
(the closing figures were taken with 60).
"""

from __future__ import annotations

import email
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller

from deskterm import clock
from deskterm.services import directory, tickets
from deskterm.services.automation import rules
from deskterm.store.models import Entry, InboundMessage, OutboxMessage, RuleHit, Ticket

SECONDS = float(os.environ.get("DESKTERM_HOSTS_SECONDS", "8"))
WORKER = Path(__file__).parent / "host_worker.py"
RULE = """
[[rule]]
name = "Nudge stale pending"
when = "pending for 14d"
[rule.then]
note = "stale: nudged once"
add_tags = ["nudged"]
"""


class Inbox:
    """The SMTP server every sender delivers to: keeps each Message-ID it accepts."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.ids.append(str(message["Message-ID"]))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _queue_mail(n: int) -> None:
    for i in range(n):
        OutboxMessage.create(
            kind="reply", to_addrs=f"c{i}@example.com", subject=f"Reply {i}", body="Hello",
            message_id=f"<out.{time.monotonic_ns()}.{i}@desk.example>",
            created_at=clock.to_db(clock.now()),
        )


def _stale_ticket(actor, i: int) -> None:
    made = tickets.create_ticket(
        actor, subject=f"Waiting {i}", body="Any news?", requester_email=f"w{i}@example.com"
    )
    tickets.set_status(actor, made.id, "pending")
    old = clock.to_db(clock.now() - timedelta(days=20))
    Ticket.update(status_changed_at=old).where(Ticket.id == made.id).execute()


def _incoming(folder: Path, n: int, start: int) -> None:
    """Deliver n messages into the folder (each written aside, then moved in whole)."""
    for i in range(start, start + n):
        aside = folder.parent / f"m{i}.eml"
        aside.write_bytes(
            f"From: Customer {i} <cust{i}@example.org>\r\nTo: support@desk.example\r\n"
            f"Subject: Question {i}\r\nMessage-ID: <in.{i}@example.org>\r\n"
            f"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n\r\nQuestion number {i}.\r\n".encode()
        )
        os.replace(aside, folder / aside.name)


def test_two_hosts_of_workers_never_do_anything_twice(desk, tmp_path):
    ana = directory.actor_for("ana")
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(RULE, encoding="utf-8")
    rules.load_rules_file(ana, rules_file)
    folder = tmp_path / "incoming"
    folder.mkdir()
    _queue_mail(40)
    for i in range(15):
        _stale_ticket(ana, i)
    _incoming(folder, 40, 0)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    roles = [("send", str(controller.port)), ("rules", ""), ("import", str(folder))] * 2
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), role, str(desk), str(SECONDS), arg],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for role, arg in roles
    ]
    # New work keeps arriving while the workers run.
    made_stale, made_in = 15, 40
    deadline = time.monotonic() + SECONDS * 0.6
    while time.monotonic() < deadline:
        _queue_mail(3)
        _stale_ticket(ana, made_stale)
        _incoming(folder, 3, made_in)
        made_stale, made_in = made_stale + 1, made_in + 3
        time.sleep(0.3)
    reports = []
    for worker in workers:
        out, errors = worker.communicate(timeout=SECONDS + 120)
        assert worker.returncode == 0, errors
        reports.append(json.loads(out.strip().splitlines()[-1]))
    # Let one last round (in this process) finish what arrived at the very end.
    rules.run_time_rules()
    controller.stop()

    queued = OutboxMessage.select().count()
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    twice = [mid for mid, n in Counter(inbox.ids).items() if n > 1]
    assert twice == []
    assert sent == len(inbox.ids) == sum(r["count"] for r in reports if r["role"] == "send")
    assert sent >= 40  # at least everything queued before the workers started

    hits = Counter(RuleHit.select(RuleHit.ticket).tuples())
    assert max(hits.values()) == 1 and len(hits) == made_stale
    notes = Counter(
        e.ticket_id for e in Entry.select().where(Entry.body == "stale: nudged once")
    )
    assert set(notes.values()) == {1} and len(notes) == made_stale

    imported = InboundMessage.select().where(InboundMessage.status == "imported").count()
    created = Ticket.select().where(Ticket.subject.startswith("Question ")).count()
    assert created == imported == sum(r["count"] for r in reports if r["role"] == "import")
    assert created >= 40
    subjects = Counter(t.subject for t in Ticket.select(Ticket.subject))
    assert max(subjects.values()) == 1
    print(
        f"\nseveral hosts, {SECONDS:.0f} s: sent {sent} of {queued} queued "
        f"(Message-IDs received {len(inbox.ids)}, twice {len(twice)}); "
        f"rule firings {len(hits)} on {made_stale} stale tickets; "
        f"imported {created} of {made_in} messages; "
        f"rounds {[r['rounds'] for r in reports]}"
    )
