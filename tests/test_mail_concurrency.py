"""Real processes writing one desk at once: two `mail import`s over the same mailbox, and a
bulk close racing an import. Nothing is duplicated, nothing lost, nothing quarantined."""

from __future__ import annotations

import json
import mailbox as std_mailbox
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from deskterm.domain import Actor
from deskterm.services import directory
from deskterm.services.trust import identity
from deskterm.store.db import db, open_db
from deskterm.store.models import InboundMessage, Ticket

DESKTERM = [sys.executable, "-m", "deskterm"]


def _message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Kupac {n} <kupac{n}@example.ba>"
    msg["To"] = "support@desk.example"
    msg["Subject"] = f"Zahtjev broj {n}: račun"
    msg["Message-ID"] = f"<race-{n}@example.ba>"
    msg.set_content(f"Poštovani, ovo je poruka {n}.\n")
    return bytes(msg)


def _mbox(path: Path, numbers: range) -> Path:
    box = std_mailbox.mbox(str(path), create=True)
    for n in numbers:
        box.add(_message(n))
    box.close()
    return path


@pytest.fixture
def shared_desk(tmp_path):
    """A desk file and a config, closed in this process so only the children write."""
    path = tmp_path / "desk.db"
    open_db(path)
    setup = Actor.system("test")
    directory.create_team(setup, "tier1", "Tier 1")
    directory.create_queue(
        setup, "general", "General", email="support@desk.example", team="tier1"
    )
    directory.create_agent(  # the OS user running the test is ana, the admin
        setup, "ana", "Ana Anić", email="ana@desk.example", role="admin", teams=("tier1",),
        os_user=identity.os_user(),
    )
    db.close()
    config = Path(os.environ["DESKTERM_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[mail]\naddress = "support@desk.example"\nsecret = "s"\n', "utf-8")
    return path


def _start(desk: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*DESKTERM, "--db", str(desk), "--as", "ana", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))


def _finish(proc: subprocess.Popen) -> dict:
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    return json.loads(stdout)


def test_two_importers_over_the_same_300_messages_make_300_tickets(shared_desk, tmp_path):
    box = _mbox(tmp_path / "inbox.mbox", range(300))
    first = _start(shared_desk, "mail", "import", str(box), "--json")
    second = _start(shared_desk, "mail", "import", str(box), "--json")
    counts = [_finish(first)["counts"], _finish(second)["counts"]]
    assert sum(c.get("created", 0) for c in counts) == 300
    assert sum(c.get("duplicate", 0) for c in counts) == 300
    assert not any("quarantined" in c for c in counts)
    open_db(shared_desk)
    assert Ticket.select().count() == 300
    assert InboundMessage.select().where(InboundMessage.status == "imported").count() == 300
    assert InboundMessage.select().count() == 300
    # and again, one more time: every message is known
    again = _finish(_start(shared_desk, "mail", "import", str(box), "--json"))
    assert again["counts"] == {"duplicate": 300}


def test_bulk_close_racing_an_import(shared_desk, tmp_path):
    _finish(_start(shared_desk, "mail", "import", str(_mbox(tmp_path / "a.mbox", range(60))),
                   "--json"))
    later = _mbox(tmp_path / "b.mbox", range(60, 260))
    importer = _start(shared_desk, "mail", "import", str(later), "--json")
    closer = _start(shared_desk, "bulk", "close", *[str(n) for n in range(1, 61)], "--yes",
                    "--json")
    imported, closed = _finish(importer), _finish(closer)
    assert imported["counts"] == {"created": 200}
    assert closed["matched"] == 60
    open_db(shared_desk)
    assert Ticket.select().count() == 260
    statuses = {t.id: t.status for t in Ticket.select()}
    assert {statuses[n] for n in range(1, 61)} == {"closed"}
    assert {statuses[n] for n in range(61, 261)} == {"new"}
    assert InboundMessage.select().where(InboundMessage.status == "imported").count() == 260
