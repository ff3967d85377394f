"""Writers wait, never fail: separate processes writing the same tickets at once.

8 writer processes (DESKTERM_LOAD_WRITERS; real OS processes, each its own SQLite
connection) reply, note, tag, set statuses and assign on the same 5 tickets for
DESKTERM_LOAD_SECONDS (10 s by default; the issue's full run is
`DESKTERM_LOAD_SECONDS=60 DESKTERM_LOAD_WRITERS=4 pytest tests/test_concurrent_writers.py -s`,
then 8). Every operation must succeed, and the database must show
every one of them afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from deskterm.domain import Actor
from deskterm.services import directory, tickets
from deskterm.services.trust import identity
from deskterm.store.db import db, open_db
from deskterm.store.models import Entry, Event, Ticket, TicketTag

WRITERS = int(os.environ.get("DESKTERM_LOAD_WRITERS", "8"))
SECONDS = float(os.environ.get("DESKTERM_LOAD_SECONDS", "10"))
WORKER = Path(__file__).with_name("writer_process.py")
AGENTS = [f"w{i}" for i in range(WRITERS)]
SETUP = Actor.system("test")


def _desk(path: Path) -> list[int]:
    open_db(path)
    directory.create_team(SETUP, "crew", "Crew")
    directory.create_queue(SETUP, "general", "General", team="crew")
    for name in AGENTS:
        directory.create_agent(SETUP, name, name.upper(), teams=("crew",))
    # The OS user running the test is the desk's admin, acting `--as` each writer.
    directory.create_agent(SETUP, "boss", "Boss", role="admin", os_user=identity.os_user())
    boss = Actor.system("test")
    ids = [
        tickets.create_ticket(
            boss, subject=f"load {n}", body="hello", requester_email=f"c{n}@example.com",
            status="open",
        ).id
        for n in range(5)
    ]
    db.close()
    return ids


def _run_writers(path: Path, ids: list[int]) -> list[dict]:
    start_at = time.time() + 2.0  # every process is connected before the first write
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(path), str(i), str(SECONDS), str(start_at),
             ",".join(map(str, ids)), ",".join(AGENTS)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(WRITERS)
    ]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=SECONDS + 120)
        assert proc.returncode == 0, stderr
        results.append(json.loads(stdout))
    return results


def test_eight_writer_processes_on_five_tickets_lose_nothing(tmp_path):
    path = tmp_path / "desk.db"
    ids = _desk(path)
    open_db(path)
    events_before = Event.select().count()
    versions_before = {t.id: t.version for t in Ticket.select()}
    db.close()

    results = _run_writers(path, ids)

    open_db(path)
    operations = sum(r["operations"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    retries = sum(r["retries"] for r in results)
    print(f"\nload: {WRITERS} processes, {SECONDS:g} s, {operations} operations, "
          f"{len(errors)} errors, {retries} retries")
    assert errors == []
    assert operations >= WRITERS * 5  # the run really overlapped writers

    by_actor = Counter(
        (e.actor, e.action) for e in Event.select().where(Event.actor.startswith("agent:w"))
    )
    for r in results:
        who, done = r["agent"], r["done"]
        # Each call that succeeded wrote exactly its event and its entry or tag.
        assert by_actor[(f"agent:{who}", "reply")] == len(done["reply"])
        assert by_actor[(f"agent:{who}", "note")] == len(done["note"])
        assert by_actor[(f"agent:{who}", "tags")] == len(done["tag"])
        assert by_actor[(f"agent:{who}", "status")] <= done["status"]
        assert by_actor[(f"agent:{who}", "assignee")] <= done["assign"]
        bodies = {
            e.body for e in Entry.select(Entry.body).where(Entry.body.contains(f" {who}-"))
        }
        expected = {f"reply {m}" for m in done["reply"]} | {f"note {m}" for m in done["note"]}
        assert bodies == expected
        tags = {t.name for t in TicketTag.select().where(TicketTag.name.startswith(f"{who}-"))}
        assert tags == set(done["tag"])
        # What one process saw of a ticket's version never went backwards.
        for seen in r["versions"].values():
            assert seen == sorted(seen)

    events_after = Event.select().count()
    written = sum(by_actor.values())
    succeeded = sum(
        len(r["done"]["reply"]) + len(r["done"]["note"]) + len(r["done"]["tag"])
        + r["done"]["status"] + r["done"]["assign"]
        for r in results
    )
    print(f"counts: {succeeded} operations succeeded; events {events_before} before, "
          f"{events_after} after (+{written} by the writers); entries "
          f"{Entry.select().count()}, tags {TicketTag.select().count()}")
    assert events_after == events_before + written  # nothing lost, nothing extra
    for ticket in Ticket.select():
        # Every change bumped the version once and wrote one event: no update overwrote another.
        changes = (
            Event.select()
            .where((Event.ticket == ticket.id) & Event.actor.startswith("agent:w"))
            .count()
        )
        assert ticket.version == versions_before[ticket.id] + changes


def test_cli_calls_at_once_all_succeed(tmp_path):
    """16 `deskterm` commands started together on two tickets: every one exits 0."""
    path = tmp_path / "desk.db"
    ids = _desk(path)
    exe = [sys.executable, "-m", "deskterm", "--db", str(path)]
    calls = []
    for n in range(16):
        who, ref = AGENTS[n % WRITERS], str(ids[n % 2])
        step = n % 4
        if step == 0:
            calls.append(["--as", who, "ticket", "note", ref, f"cli note {n}"])
        elif step == 1:
            calls.append(["--as", who, "ticket", "reply", ref, f"cli reply {n}"])
        elif step == 2:
            calls.append(["--as", who, "ticket", "tag", ref, f"cli-{n}"])
        else:
            calls.append(["--as", who, "ticket", "assign", ref, who])
    procs = [
        subprocess.Popen(exe + c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in calls
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert outcomes == [(0, "")] * len(calls)
    open_db(path)
    notes = Entry.select().where(Entry.body.startswith("cli note")).count()
    replies = Entry.select().where(Entry.body.startswith("cli reply")).count()
    tags = TicketTag.select().where(TicketTag.name.startswith("cli-")).count()
    assert (notes, replies, tags) == (4, 4, 4)


@pytest.mark.sqlite_only  # holds SQLite's write lock from a second connection
def test_a_busy_database_runs_the_whole_operation_again(db_path, monkeypatch):
    """Past busy_timeout the operation is retried as a whole: one note, one event, no error."""
    import sqlite3
    import threading

    from deskterm.store import db as store

    directory.create_team(SETUP, "crew", "Crew")
    directory.create_queue(SETUP, "general", "General", team="crew")
    ticket = tickets.create_ticket(
        Actor.system("test"), subject="s", body="b", requester_email="c@example.com"
    )
    db.execute_sql("PRAGMA busy_timeout = 20")
    blocker = sqlite3.connect(db_path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, blocker.commit).start()
    before = store.busy_retries
    tickets.add_note(Actor.system("test"), ticket.id, "after the wait")
    assert store.busy_retries > before
    assert Entry.select().where(Entry.body == "after the wait").count() == 1
    assert Event.select().where(Event.action == "note").count() == 1


@pytest.mark.sqlite_only  # holds SQLite's write lock from a second connection
def test_inside_an_open_transaction_busy_goes_up_instead_of_half_a_retry(db_path):
    """A nested operation never retries alone: the error reaches the outermost one."""
    import sqlite3

    import pytest
    from peewee import OperationalError

    from deskterm.store import db as store

    directory.create_team(SETUP, "crew", "Crew")
    directory.create_queue(SETUP, "general", "General", team="crew")
    ticket = tickets.create_ticket(
        Actor.system("test"), subject="s", body="b", requester_email="c@example.com"
    )
    db.execute_sql("PRAGMA busy_timeout = 20")
    blocker = sqlite3.connect(db_path)
    before = store.busy_retries
    with pytest.raises(OperationalError, match="locked"):
        with db.atomic():  # a deferred outer transaction that has read the ticket
            Ticket.get_by_id(ticket.id)
            blocker.execute("BEGIN IMMEDIATE")
            tickets.add_note(Actor.system("test"), ticket.id, "never")
    blocker.rollback()
    assert store.busy_retries == before
    assert Entry.select().where(Entry.body == "never").count() == 0
