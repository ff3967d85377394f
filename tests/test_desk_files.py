"""Nothing destroyed, nothing silently created: demo, --db and read-only desks."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.store.db import db


def _cli(*args):
    result = CliRunner().invoke(app, list(args))
    if not db.is_closed():
        db.close()
    return result


def test_demo_refuses_a_fresh_init_desk_and_keeps_it(tmp_path):
    path = tmp_path / "desk.db"
    assert _cli("--db", str(path), "init").exit_code == 0
    files = tmp_path / "desk-files"
    files.mkdir()
    (files / "keep").write_text("x")
    result = _cli("--db", str(path), "demo", "--tickets", "5")
    assert result.exit_code == 1
    assert "is a desk that is not a demo; refusing to replace it" in result.stderr
    assert (files / "keep").exists() and path.exists()
    assert "database ready" not in _cli("--db", str(path), "init").stdout  # still the same desk


def test_demo_refuses_another_programs_sqlite_file_untouched(tmp_path):
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    before = path.read_bytes()
    result = _cli("--db", str(path), "demo", "--tickets", "5")
    assert result.exit_code == 1
    assert "another program's SQLite database; refusing to replace it" in result.stderr
    listing = _cli("--db", str(path), "ticket", "list")
    assert listing.exit_code == 1
    assert listing.stderr.strip() == (
        f"deskterm: error: {path} is another program's SQLite database, not a deskterm desk; "
        "refusing to touch it"
    )
    assert path.read_bytes() == before  # not migrated: no deskterm tables were added
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    assert "not a database" in _cli("--db", str(text), "ticket", "list").stderr


def test_demo_replaces_a_demo_or_empty_file_and_force_replaces_anything(tmp_path):
    path = tmp_path / "desk.db"
    path.write_bytes(b"")
    assert _cli("--db", str(path), "demo", "--tickets", "3").exit_code == 0
    assert _cli("--db", str(path), "demo", "--tickets", "3").exit_code == 0  # a demo again
    other = tmp_path / "other.db"
    assert _cli("--db", str(other), "init").exit_code == 0
    assert _cli("--db", str(other), "demo", "--tickets", "3", "--force").exit_code == 0


def test_a_mistyped_db_path_is_an_error_not_a_new_desk(tmp_path):
    missing = tmp_path / "typo.db"
    result = _cli("--db", str(missing), "bulk", "close", "--queue", "general", "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"deskterm: error: no desk at {missing}; create one with `deskterm init` (empty) "
        "or `deskterm demo` (sample data)"
    )
    assert not missing.exists()
    assert _cli("--db", str(missing), "init").exit_code == 0 and missing.exists()


def test_init_on_an_existing_desk_says_so(tmp_path):
    path = tmp_path / "desk.db"
    assert _cli("--db", str(path), "init").stdout.startswith("database ready")
    again = _cli("--db", str(path), "init")
    assert again.exit_code == 0
    assert again.stdout.strip() == f"a desk already exists at {path}; nothing to do"


def test_a_read_only_desk_can_be_listed_but_not_changed(tmp_path):
    import os

    path = tmp_path / "desk.db"
    assert _cli("--db", str(path), "init").exit_code == 0
    assert _cli("--db", str(path), "ticket", "new", "--subject", "Printer", "--requester",
                "a@example.com", "--body", "jam").exit_code == 0
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"desk.db{suffix}").unlink(missing_ok=True)
    path.chmod(0o444)
    try:
        if os.access(path, os.W_OK):  # root ignores file modes: say so instead of passing
            import pytest

            pytest.skip("running as root: file permissions do not make the file read-only")
        listed = _cli("--db", str(path), "ticket", "list", "--ids")
        assert listed.exit_code == 0, listed.output
        assert listed.stdout.split() == ["#1"]
        changed = _cli("--db", str(path), "ticket", "note", "1", "hello")
        assert changed.exit_code == 1
        assert "readonly" in changed.stderr or "read-only" in changed.stderr
    finally:
        path.chmod(0o644)


def test_read_only_mode_opens_with_a_ro_uri(tmp_path):
    """The read-only path itself, independent of who runs the tests (root can write all)."""
    from peewee import OperationalError

    from deskterm.store.db import db_path, is_read_only, open_db
    from deskterm.store.models import Ticket

    path = tmp_path / "desk.db"
    assert _cli("--db", str(path), "init").exit_code == 0
    open_db(path, read_only=True)
    assert is_read_only() and db_path() == path
    assert Ticket.select().count() == 0
    try:
        Ticket.update(subject="x").execute()
        raise AssertionError("a read-only handle wrote")
    except OperationalError as error:
        assert "readonly" in str(error)
    db.close()
