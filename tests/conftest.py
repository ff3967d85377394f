"""Shared fixtures: every test gets a real SQLite file of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deskterm import paths
from deskterm.domain import Actor
from deskterm.services import directory, identity
from deskterm.store.db import db, open_db

#: Who sets up test desks: the desk itself, as `init` and `demo` do.
SETUP = Actor.system("test")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keep every test away from the real per-user data and config directories."""
    monkeypatch.setenv("DESKTERM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DESKTERM_CONFIG", str(tmp_path / "home" / "config.toml"))
    monkeypatch.delenv("DESKTERM_DB", raising=False)
    monkeypatch.setenv("DESKTERM_AGENT", "ana")
    from deskterm.services import notifications

    notifications.use_config(None)  # no test inherits another's mail settings
    yield
    notifications.use_config(None)
    if not db.is_closed():
        db.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A fresh, migrated, empty database file."""
    path = tmp_path / "desk.db"
    open_db(path)
    return path


@pytest.fixture
def desk(db_path) -> Path:
    """A small desk: two teams, two queues, three agents; the OS user running the tests is
    ana, its admin (as `deskterm init` makes whoever runs it)."""
    directory.create_team(SETUP, "tier1", "Tier 1")
    directory.create_team(SETUP, "billing-team", "Billing team")
    directory.create_queue(
        SETUP, "general", "General", email="support@desk.example", team="tier1"
    )
    directory.create_queue(
        SETUP, "billing", "Billing", email="billing@desk.example", team="billing-team"
    )
    directory.create_agent(
        SETUP,
        "ana",
        "Ana Anić",
        email="ana@desk.example",
        role="admin",
        teams=("tier1",),
        os_user=identity.os_user(),
    )
    directory.create_agent(SETUP, "mirza", "Mirza Hodžić", teams=("tier1",))
    directory.create_agent(SETUP, "marko", "Marko Horvat", teams=("billing-team",))
    return db_path


_DEMO_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def demo_db(tmp_path, tmp_path_factory) -> Path:
    """A copy of the seed-7 demo database (seeded once per test session)."""
    from deskterm.services import demo

    if "path" not in _DEMO_TEMPLATE:
        template = tmp_path_factory.mktemp("demo-template") / "demo.db"
        open_db(template)
        demo.seed_demo(seed=7)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        _DEMO_TEMPLATE["path"] = template
    template = _DEMO_TEMPLATE["path"]
    target = tmp_path / "demo.db"
    shutil.copy(template, target)
    files = paths.attachments_dir(template)
    if files.exists():
        shutil.copytree(files, paths.attachments_dir(target))
    open_db(target)
    return target


@pytest.fixture
def mail_desk(desk):
    """The `desk` fixture with a test mail config; every listener (SLA, rules, mail) is on."""
    from mail_setup import mail_config

    from deskterm.services import notifications

    config = mail_config()
    notifications.use_config(config)
    yield config
    notifications.use_config(None)
