"""A database made by an older release upgrades in place and keeps its data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deskterm.services import maintenance, tickets
from deskterm.services.finding import listing
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
    later = [m.VERSION for m in migrations._migrations() if m.VERSION > 1]
    assert result["applied"] == later
    old = tickets.get_ticket(41)
    assert old.subject == "Стари тикет из верзије 1"
    assert old.version == 3
    assert [r.id for r in listing.list_tickets("штампач")] == [41]
    # New columns from later versions work on old rows, and refs continue after 41.
    from deskterm.services import directory

    ana = directory.actor_for("ana")
    new = tickets.create_ticket(ana, subject="Нови", body="…", requester_email="x@example.rs")
    assert new.id == 42


def test_every_migration_is_numbered_like_its_file():
    """Opening a desk reads the numbers from the file names (importing no migration)."""
    import importlib

    names = migrations._names()
    assert names and min(names) == 1
    for version, name in names.items():
        assert name == f"m{version:04d}_{name[6:]}"
        assert importlib.import_module(f"deskterm.store.migrations.{name}").VERSION == version
    assert migrations.latest_version() == max(m.VERSION for m in migrations._migrations())


def test_upgrade_is_idempotent_and_automatic_on_open(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    open_db(path)  # the automatic check on start
    assert maintenance.upgrade(path)["applied"] == []


@pytest.mark.sqlite_only
def test_a_missing_migration_below_the_newest_is_still_applied(db_path):
    """Numbers are handed out per feature: a desk that got v8 before v5 gets v5 too."""
    from deskterm.store.db import db

    db.execute_sql('DELETE FROM "schema_version" WHERE "version" = 5')
    db.execute_sql('DROP INDEX "mention_agent_id_seen"')
    assert migrations.upgrade(db) == [5]
    names = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "mention_agent_id_seen" in names


@pytest.mark.sqlite_only
def test_fresh_database_is_in_wal_mode_with_foreign_keys(db_path):
    from deskterm.store.db import db

    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_a_migration_released_after_a_higher_one_is_still_applied(db_path):
    """Numbers are handed out per branch: v9 may land before v6, and v6 must still run."""
    from deskterm.store.db import db

    db.execute_sql('DROP TABLE "login_failure"')
    db.execute_sql('DROP TABLE "portal_link"')
    db.execute_sql('DROP TABLE "portal_session"')
    db.execute_sql('DROP TABLE "customer_account"')
    db.execute_sql('DELETE FROM "schema_version" WHERE "version" = 9')
    assert migrations.upgrade(db) == [9]
    assert db.execute_sql('SELECT COUNT(*) FROM "customer_account"').fetchone()[0] == 0


def test_v6_keeps_old_agents_reachable_and_makes_events_append_only(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    open_db(path)
    from peewee import IntegrityError

    from deskterm.services import directory
    from deskterm.store.db import db

    ana = directory.get_agent("ana")
    assert (ana.os_user, ana.enabled) == ("ana", True)  # the old rule: OS user named like agent
    tickets.add_note(directory.actor_for("ana"), 41, "upgraded")
    with pytest.raises(IntegrityError, match="append-only"):
        db.execute_sql('DELETE FROM "event"')


def test_a_migration_numbered_below_the_newest_applied_still_runs(tmp_path):
    """Helpers land migrations out of number order: every missing one is applied."""
    path = tmp_path / "gap.db"
    handle = open_db(path)
    handle.execute_sql('DELETE FROM "schema_version" WHERE "version" = 6')
    handle.execute_sql('DROP TRIGGER "event_no_update"')
    handle.execute_sql('DROP TRIGGER "event_no_delete"')
    handle.execute_sql('ALTER TABLE "event" DROP COLUMN "via"')
    handle.execute_sql('DROP INDEX "agent_os_user"')
    handle.execute_sql('ALTER TABLE "agent" DROP COLUMN "os_user"')
    handle.execute_sql('ALTER TABLE "agent" DROP COLUMN "enabled"')
    handle.execute_sql('ALTER TABLE "queue" DROP COLUMN "outsiders"')
    handle.execute_sql('DROP INDEX "event_actor_at"')
    assert migrations.upgrade(handle) == [6]


PERSIAN_300 = ("درخواست پشتیبانی برای چاپگر طبقه دوم " * 9)[:300]
CYRILLIC_300 = ("Молимо помоћ око рачуна за интернет услуге " * 8)[:300]


def test_v19_lets_the_portal_columns_hold_long_unicode_text(db_path):
    """A desk made before v19 (m0009's VARCHAR(255) on PostgreSQL) takes 300-character
    Persian and Cyrillic values after the upgrade, exactly as typed."""
    from datetime import datetime

    from deskterm.store.db import backend, db
    from deskterm.store.migrations import m0019_portal_text
    from deskterm.store.models import Contact, CustomerAccount, LoginFailure

    if backend().name == "postgresql":
        for table, columns in m0019_portal_text.COLUMNS.items():
            for column in columns:
                db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" '
                               "TYPE VARCHAR(255)")
    db.execute_sql('DELETE FROM "schema_version" WHERE "version" = 19')
    assert migrations.upgrade(db) == [19]
    at = datetime(2026, 12, 1, 10, 0)
    LoginFailure.create(scope="account", key=PERSIAN_300, at=at)
    contact = Contact.create(name=CYRILLIC_300, email="duga@example.rs", created_at=at)
    CustomerAccount.create(contact=contact.id, language=CYRILLIC_300, timezone=PERSIAN_300,
                           created_at=at)
    assert LoginFailure.get().key == PERSIAN_300
    account = CustomerAccount.get()
    assert (account.language, account.timezone) == (CYRILLIC_300, PERSIAN_300)
    assert len(account.timezone) == 300
    if backend().name == "postgresql":
        limited = db.execute_sql(
            "SELECT table_name, column_name FROM information_schema.columns WHERE "
            "table_schema = current_schema() AND character_maximum_length IS NOT NULL"
        ).fetchall()
        assert limited == []
