"""Shared fixtures: every test gets a real database of its own.

By default that is a SQLite file. With `DESKTERM_TEST_BACKEND=postgresql` and
`DESKTERM_TEST_PG_DSN` (a superuser URL, see `.ci/postgres.sh`) each test gets a fresh
PostgreSQL database copied from a migrated template, and tests marked `sqlite_only` skip.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pg_databases as pg
import pytest

from deskterm import paths
from deskterm.domain import Actor
from deskterm.services import directory
from deskterm.services.trust import identity
from deskterm.store.db import close_db, db, open_db

ON_POSTGRES = pg.enabled()


def _build_each_cli_once() -> None:
    """`CliRunner().invoke(app, ...)` rebuilds the whole Click command tree from the type
    hints on every call: most of what a test's CLI call costs. Build it once per app, as the
    installed `deskterm` script does once per process (the tree holds no per-call state)."""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[object, object]] = {}

    def once(app):
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app kept alive: its id stays its own
        return built[id(app)][1]

    typer.testing._get_command = once


_build_each_cli_once()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about SQLite itself (skipped on PostgreSQL)"
    )


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="SQLite-specific (DESKTERM_TEST_BACKEND=postgresql)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    if ON_POSTGRES:
        pg.cleanup()

#: Who sets up test desks: the desk itself, as `init` and `demo` do.
SETUP = Actor.system("test")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keep every test away from the real per-user data and config directories (and
    away from another suite's run at the same time: Chromium keeps its crash database under
    XDG_CONFIG_HOME)."""
    monkeypatch.setenv("DESKTERM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("DESKTERM_CONFIG", str(tmp_path / "home" / "config.toml"))
    monkeypatch.delenv("DESKTERM_DB", raising=False)
    monkeypatch.setenv("DESKTERM_AGENT", "ana")
    from deskterm.services.messaging import notifications

    notifications.use_config(None)  # no test inherits another's mail settings
    # nor the mail log a CLI mail command set up in-process (its own file, not propagated:
    # caplog would see nothing)
    mail_log = logging.getLogger("deskterm.mail")
    for handler in list(mail_log.handlers):
        mail_log.removeHandler(handler)
        handler.close()
    mail_log.propagate = True
    mail_log.setLevel(logging.NOTSET)
    yield
    notifications.use_config(None)
    close_db()


@pytest.fixture
def db_path(tmp_path) -> Path | str:
    """A fresh, migrated, empty database: a file, or a PostgreSQL URL."""
    if ON_POSTGRES:
        url = pg.fresh_database("empty", _migrated_template)
        open_db(url)
        yield url
        close_db()
        pg.drop_database(url)
        return
    path = tmp_path / "desk.db"
    open_db(path)
    yield path


def _migrated_template(url: str) -> None:
    open_db(url)
    close_db()


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


def _sqlite_demo_template(tmp_path_factory) -> Path:
    """The seed-7 demo as a SQLite file, seeded once per session."""
    from deskterm.services import demo

    if "path" not in _DEMO_TEMPLATE:
        template = tmp_path_factory.mktemp("demo-template") / "demo.db"
        open_db(template)
        demo.seed_demo(seed=7)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_db()
        _DEMO_TEMPLATE["path"] = template
    return _DEMO_TEMPLATE["path"]


@pytest.fixture
def demo_sqlite_template(tmp_path_factory) -> Path:
    """The seed-7 demo's SQLite file (shared: copy it before changing it), on any backend.
    A fixture, since `from conftest import ...` may find tests/portal/conftest.py."""
    return _sqlite_demo_template(tmp_path_factory)


@pytest.fixture
def demo_db(tmp_path, tmp_path_factory) -> Path | str:
    """A copy of the seed-7 demo database (seeded once per test session).

    On PostgreSQL the template is the SQLite demo moved with `deskterm db copy`'s service
    (seeding through the services costs a round trip per query; the copy is verified).
    """
    if ON_POSTGRES:
        from deskterm.services import transfer

        def build(url: str) -> None:
            transfer.copy_desk(_sqlite_demo_template(tmp_path_factory), url)

        url = pg.fresh_database("demo", build)
        template_files = pg.template_files("demo")
        if template_files and template_files.exists():
            shutil.copytree(template_files, paths.attachments_dir(url))
        open_db(url)
        yield url
        close_db()
        pg.drop_database(url)
        return
    _sqlite_demo_template(tmp_path_factory)
    template = _DEMO_TEMPLATE["path"]
    target = tmp_path / "demo.db"
    shutil.copy(template, target)
    files = paths.attachments_dir(template)
    if files.exists():
        shutil.copytree(files, paths.attachments_dir(target))
    open_db(target)
    yield target


@pytest.fixture
def mail_desk(desk):
    """The `desk` fixture with a test mail config; every listener (SLA, rules, mail) is on."""
    from mail_setup import mail_config

    from deskterm.services.messaging import notifications

    config = mail_config()
    notifications.use_config(config)
    yield config
    notifications.use_config(None)
