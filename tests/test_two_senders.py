"""Two outbox senders at once, as two hosts' `mail send` run: real processes, a real SMTP
server on loopback (aiosmtpd), on whichever backend the suite runs on (PostgreSQL: the
unwritten intents are locked FOR UPDATE while one sender writes them, queued rows claimed
with SKIP LOCKED; SQLite: the single write lock). Every customer gets each of their mails
exactly once: the confirmation written at import, and the status mail a bulk close queued
as an intent that one of the two senders writes out."""

from __future__ import annotations

import asyncio
import email
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from test_outbox_intents import customer_mail

from deskterm.services import directory
from deskterm.services.finding import bulk
from deskterm.services.messaging import outbox_render
from deskterm.services.messaging.inbound import Importer
from deskterm.store.models import OutboxMessage

CUSTOMERS = 30
WORKER = Path(__file__).parent / "sender_worker.py"


class Inbox:
    """The SMTP server both senders deliver to: each mail's (Message-ID, To, Subject). A
    short pause per mail keeps both senders busy at the same time."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append((str(message["Message-ID"]), str(message["To"]),
                           str(message["Subject"])))
        await asyncio.sleep(0.01)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_senders_deliver_every_mail_exactly_once(mail_desk, desk, tmp_path):
    importer = Importer(mail_desk)
    made = {}
    for i in range(CUSTOMERS):
        result = importer.import_raw(customer_mail(f"c{i}@example.com", f"Printer {i}",
                                                   f"<m{i}@example.com>"))
        made[f"c{i}@example.com"] = (result.ticket_id, f"Printer {i}")
    closed = bulk.bulk_close(directory.actor_for("ana"), ids=[t for t, _ in made.values()])
    assert closed.changed == CUSTOMERS
    assert outbox_render.pending_count() == CUSTOMERS, "the status mails wait as intents"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    senders = [subprocess.Popen([sys.executable, str(WORKER), str(desk),
                                 str(controller.port), str(go), "4"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env) for _ in range(2)]
    try:
        for sender in senders:
            assert sender.stdout.readline().strip() == "ready", sender.stderr.read()
        go.touch()  # both start at once
        reports = []
        for sender in senders:
            out, errors = sender.communicate(timeout=60)
            assert sender.returncode == 0, errors
            reports.append(json.loads(out.strip().splitlines()[-1])["sent"])
    finally:
        for sender in senders:
            if sender.poll() is None:
                sender.kill()
        controller.stop()

    # Each customer got two mails, worked out by hand: the confirmation, the status mail.
    received = Counter((to, subject) for _, to, subject in inbox.mails)
    expected = Counter()
    for address, (ref, subject) in made.items():
        expected[(address, f"[#{ref}] {subject}")] += 1
        expected[(address, f"[#{ref}] {subject} is now closed")] += 1
    assert received == expected
    assert max(Counter(mid for mid, _, _ in inbox.mails).values()) == 1
    # The two senders shared the work and never sent the same outbox row.
    first, second = (set(r) for r in reports)
    assert first and second, f"both senders delivered: {len(first)} and {len(second)}"
    assert not first & second
    rows = {row.id: row.status for row in OutboxMessage.select()}
    assert first | second == set(rows) and set(rows.values()) == {"sent"}
    assert outbox_render.pending_count() == 0
