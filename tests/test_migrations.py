"""A database made by an older release upgrades in place and keeps its data."""

from __future__ import annotations

import shutil
from pathlib import Path

from deskterm.services import listing, maintenance, tickets
from deskterm.store import migrations
from deskterm.store.db import open_db

FIXTURE = Path(__file__).parent / "fixtures" / "deskterm-v1.db"


def test_v1_database_upgrades_and_keeps_tickets(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    handle = open_db(path, upgrade=False)
    assert migrations.current_version(handle) == 1
    result = maintenance.upgrade(path)
    assert result["from"] == 1 and result["to"] == migrations.latest_version()
    assert result["applied"] == list(range(2, migrations.latest_version() + 1))
    old = tickets.get_ticket(41)
    assert old.subject == "Стари тикет из верзије 1"
    assert old.version == 3
    assert [r.id for r in listing.list_tickets("штампач")] == [41]
    # New columns from later versions work on old rows, and refs continue after 41.
    from deskterm.services import directory

    ana = directory.actor_for("ana")
    new = tickets.create_ticket(ana, subject="Нови", body="…", requester_email="x@example.rs")
    assert new.id == 42


def test_upgrade_is_idempotent_and_automatic_on_open(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    open_db(path)  # the automatic check on start
    assert maintenance.upgrade(path)["applied"] == []


def test_fresh_database_is_in_wal_mode_with_foreign_keys(db_path):
    from deskterm.store.db import db

    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
