"""`deskterm db copy`: a desk moves between databases whole, verified, or not at all.

On the PostgreSQL run the source desk is PostgreSQL and the copy a SQLite file (and back
into a fresh PostgreSQL database); on the default run both ends are SQLite files.
"""

from __future__ import annotations

import json
import sqlite3

import pg_databases as pg
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import NewAttachment
from deskterm.services import attachments, directory, tickets
from deskterm.services.finding import listing
from deskterm.store.db import close_db, open_db
from deskterm.store.models import Attachment, Entry, Event, Ticket

ON_POSTGRES = pg.enabled()


def _cli(*args):
    return CliRunner().invoke(app, list(args))


def _fill():
    ana = directory.actor_for("ana")
    first = tickets.create_ticket(
        ana, subject="Ćevapi order lost", body="Naručio sam ćevape, nisu stigli.",
        requester_email="emir@example.ba",
        attachments=[NewAttachment("racun.txt", "text/plain", b"Racun 42\n")],
    )
    second = tickets.create_ticket(
        ana, subject="Printer", body="The printer jams.", requester_email="ivan@example.ru",
    )
    tickets.reply(ana, first.id, "Šaljemo nove.")
    tickets.merge(ana, second.id, first.id, add_followers=True)
    return first.id, second.id


def _other_database(tmp_path) -> str:
    """A second empty database on the same backend as the source."""
    if ON_POSTGRES:
        return pg.fresh_database("empty", lambda url: (open_db(url), close_db()))
    return str(tmp_path / "again.db")


def _schema(target) -> set[tuple]:
    """Every index, constraint and trigger of the database at `target`, as its engine
    describes them."""
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(str(target)) as conn:
            indexes = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                                   "WHERE schemaname = 'public'").fetchall()
            constraints = conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = 'public'::regnamespace").fetchall()
            triggers = conn.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                                    "WHERE NOT tgisinternal").fetchall()
        return set(indexes) | set(constraints) | set(triggers)
    with sqlite3.connect(target) as conn:
        return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                "WHERE type IN ('index', 'trigger')").fetchall())


def test_copy_there_and_back_keeps_every_row_file_and_ref(desk, tmp_path):
    first, second = _fill()
    counts = {
        "ticket": Ticket.select().count(),
        "entry": Entry.select().count(),
        "event": Event.select().count(),
    }
    assert counts["ticket"] == 2
    close_db()
    copy = tmp_path / "copy.db"
    there = _cli("db", "copy", str(desk), str(copy), "--json")
    assert there.exit_code == 0, there.output
    report = json.loads(there.stdout)
    assert report["files"] == 1
    for table, rows in counts.items():
        assert report["tables"][table]["rows"] == rows
    back_target = _other_database(tmp_path)
    back = _cli("db", "copy", str(copy), back_target, "--json")
    assert back.exit_code == 0, back.output
    returned = json.loads(back.stdout)
    # The same rows in every table, there and back: identical checksums.
    assert {t: v for t, v in returned["tables"].items()} == report["tables"]
    # every index, foreign key and trigger is there, as in a desk migrated from scratch
    fresh = _other_database(tmp_path)
    open_db(fresh)
    close_db()
    assert len(_schema(back_target)) > 50
    assert _schema(back_target) == _schema(fresh)
    open_db(back_target)
    merged = tickets.get_ticket(first)
    assert [e.body for e in merged.entries][:1] == ["Naručio sam ćevape, nisu stigli."]
    assert Ticket.get_by_id(second).merged_into_id == first
    row = Attachment.get()
    assert attachments.read_bytes(row.id)[1] == b"Racun 42\n"
    assert [t.id for t in listing.list_tickets("cevapi")] == [first]
    # Refs continue after the copied ones.
    ana = directory.actor_for("ana")
    new = tickets.create_ticket(ana, subject="Next", body="x", requester_email="a@example.com")
    assert new.id == second + 1
    if ON_POSTGRES:
        close_db()
        pg.drop_database(back_target)
        pg.drop_database(fresh)


def test_copy_keeps_text_with_a_nul_character(desk, tmp_path):
    """A NUL in a mail body (SQLite stores it) survives a copy to SQLite as it is, and
    to PostgreSQL, whose text cannot hold one, as U+FFFD: what every face shows."""
    first, _ = _fill()
    close_db()
    laptop = tmp_path / "laptop.db"
    assert _cli("db", "copy", str(desk), str(laptop)).exit_code == 0
    with sqlite3.connect(laptop) as conn:
        conn.execute("UPDATE entry SET body = ? WHERE id = (SELECT MIN(id) FROM entry)",
                     ("Račun\x00 42",))
    target = _other_database(tmp_path)
    moved = _cli("db", "copy", str(laptop), target, "--json")
    assert moved.exit_code == 0, moved.output
    open_db(target)
    body = Entry.select().order_by(Entry.id).first().body
    assert body == ("Račun\ufffd 42" if ON_POSTGRES else "Račun\x00 42")
    assert [t.id for t in listing.list_tickets("racun")] == [first]
    if ON_POSTGRES:
        close_db()
        pg.drop_database(target)


def test_copy_refuses_a_database_that_holds_a_desk_and_writes_nothing(desk, tmp_path):
    _fill()
    close_db()
    copy = tmp_path / "copy.db"
    assert _cli("db", "copy", str(desk), str(copy)).exit_code == 0
    again = _cli("db", "copy", str(desk), str(copy))
    assert again.exit_code == 1
    assert "already holds a desk" in again.output
    open_db(copy)
    assert Ticket.select().count() == 2


def test_copy_dry_run_counts_and_bad_targets(desk, tmp_path):
    _fill()
    close_db()
    target = tmp_path / "never.db"
    dry = _cli("db", "copy", str(desk), str(target), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["tables"]["ticket"] == {"rows": 2}
    assert not target.exists()
    assert _cli("db", "copy", str(desk), str(desk)).exit_code == 2
    missing = _cli("db", "copy", str(tmp_path / "nothing.db"), str(target))
    assert missing.exit_code == 1
    assert "no desk at" in missing.output


def test_a_copy_that_does_not_match_leaves_the_destination_as_it_was(desk, tmp_path,
                                                                      monkeypatch):
    """A checksum that differs (here: the destination's, forced) refuses the copy: no row
    is written and every index and foreign key the load set aside is back."""
    from deskterm.services import transfer

    _fill()
    close_db()
    target = _other_database(tmp_path)
    open_db(target)
    close_db()
    schema = _schema(target)
    read_back = transfer._summary

    def wrong(db, chosen, table):
        found = read_back(db, chosen, table)
        return {**found, "checksum": "0" * 16} if table == "entry" else found

    monkeypatch.setattr(transfer, "_summary", wrong)
    refused = _cli("db", "copy", str(desk), target)
    assert refused.exit_code == 1
    assert "copy of entry does not match" in refused.output
    assert "nothing was written" in refused.output
    assert _schema(target) == schema
    open_db(target)
    assert (Ticket.select().count(), Entry.select().count(), Event.select().count()) == (0, 0, 0)
    if ON_POSTGRES:
        close_db()
        pg.drop_database(target)
