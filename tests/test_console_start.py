"""Bare `deskterm` opens the console without the CLI's start-up, and a SQLite desk never
loads a PostgreSQL driver (`deskterm.entry`, `deskterm.drivers`).

Each check runs in a fresh interpreter: what a process imports is the point.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

from deskterm.store import migrations

#: Packages the console's first screen must not need (the CLI, its validation, drivers).
NOT_FOR_THE_FIRST_ROWS = ("typer", "pydantic", "psycopg", "psycopg_binary", "pymysql")
#: Modules (and their submodules) loaded only when first used, never for the first rows:
#: the other screens, the SLA engine and dateutil's zones and rules (the SLA column needs
#: only `sla_clock`), the schema migrations of a desk that is up to date, mail and the CLI.
LAZY_MODULES = (
    "deskterm.cli",
    "deskterm.mail",
    "deskterm.portal",
    "deskterm.screens.ticket",
    "deskterm.screens.reports",
    "deskterm.screens.rules",
    "deskterm.screens.canned",
    "deskterm.screens.help",
    "deskterm.screens.goto",
    "deskterm.domain.portal",  # the customer portal's records
    "deskterm.domain.changes",  # events, bulk results, canned replies
    "deskterm.domain.threads",  # a whole ticket: its detail, entries, contacts
    "deskterm.domain.setup",  # queues and teams
    "deskterm.commands",  # the palette's entries
    "deskterm.screens.dialogs",  # the queue's dialogs load with the action that opens one
    "deskterm.widgets.composer",
    "deskterm.widgets.thread_view",
    "deskterm.services.automation.sla",
    "deskterm.services.automation.rules",
    "deskterm.services.messaging",
    "deskterm.services.reporting",
    "dateutil.tz",
    "dateutil.rrule",
    "dateutil.parser",
    "deskterm.config",  # no config file here: the console reads none
    "tomllib",
)

_FIRST_ROWS = """
import asyncio, gc, json, os, sys
from deskterm import entry

found = {}

def lazy_ones_loaded():
    return sorted(
        m for m in sys.modules if m.split(".")[0] in NOT_FOR_THE_FIRST_ROWS
        or any(m == lazy or m.startswith(lazy + ".") for lazy in LAZY_MODULES)
    )

async def until_rows(app):
    from deskterm.widgets.ticket_table import TicketTable

    found["collector_held"] = not gc.isenabled()  # the app built, nothing shown yet
    first_rows = type(app).on_ticket_table_first_rows

    def noting(self):  # what was loaded when the table said its first rows are in
        found.setdefault("modules", lazy_ones_loaded())
        first_rows(self)

    type(app).on_ticket_table_first_rows = noting
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):
            await pilot.pause(0.01)
            tables = app.screen.query(TicketTable)
            table = tables.first() if tables else None
            if table is not None and table.loaded and table.row_at(0):
                found["first"] = table.row_at(0).ref
                found["screen"] = type(app.screen).__name__
                for _ in range(500):  # the collector runs again once the rows are drawn
                    if gc.isenabled():
                        break
                    await pilot.pause(0.01)
                found["collector_back"] = gc.isenabled()
                found["start_up_frozen"] = gc.get_freeze_count() > 10_000
                return

def run(app):
    asyncio.run(until_rows(app))
    return 0

found["opened"] = entry.open_console(run=run)
print(json.dumps(found))
"""


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_bare_deskterm_shows_the_open_queue_without_the_cli_a_driver_or_the_lazy_modules(
    tmp_path, demo_sqlite_template
):
    desk = tmp_path / "desk.db"
    shutil.copy(demo_sqlite_template, desk)
    with sqlite3.connect(desk) as raw:  # the newest active ticket heads "All open"
        (newest,) = raw.execute(
            "SELECT id FROM ticket WHERE status IN ('new','open','pending','on_hold',"
            "'postponed') ORDER BY updated_at DESC, id DESC LIMIT 1"
        ).fetchone()
    schema = tuple(f"{migrations.__name__}.{name}" for name in migrations._names().values())
    code = (f"NOT_FOR_THE_FIRST_ROWS = {NOT_FOR_THE_FIRST_ROWS!r}\n"
            f"LAZY_MODULES = {LAZY_MODULES + schema!r}\n" + _FIRST_ROWS)
    result = _python(code, DESKTERM_DB=str(desk))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"opened": True, "first": f"#{newest}", "screen": "QueueScreen",
                     "modules": [], "collector_held": True, "collector_back": True,
                     "start_up_frozen": True}


def test_the_collector_runs_again_when_the_console_ends_before_its_first_rows(
    tmp_path, demo_sqlite_template
):
    desk = tmp_path / "desk.db"
    shutil.copy(demo_sqlite_template, desk)
    missing = tmp_path / "nowhere.db"
    result = _python(
        "import gc, os\n"
        "from deskterm import entry\n"
        "seen = []\n"
        "def quit_at_once(app):\n"
        "    seen.append(gc.isenabled())\n"
        "    return 0\n"
        "print(entry.open_console(run=quit_at_once), seen, gc.isenabled())\n"
        f"os.environ['DESKTERM_DB'] = {str(missing)!r}\n"
        "print(entry.open_console(run=quit_at_once), seen, gc.isenabled())\n",
        DESKTERM_DB=str(desk),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # held while the app ran, back after it; no desk: the CLI's turn, collector on
    assert result.stdout.splitlines() == ["True [False] True", "False [False] True"]


def test_bare_deskterm_without_a_desk_says_so_through_the_cli(tmp_path):
    missing = tmp_path / "nowhere.db"
    result = subprocess.run([sys.executable, "-m", "deskterm"], capture_output=True,
                            text=True, env={**os.environ, "DESKTERM_DB": str(missing)},
                            timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"deskterm: error: no desk at {missing}; create one with `deskterm init` (empty) "
        "or `deskterm demo` (sample data)"
    ]
    assert not missing.exists()


def test_peewee_gets_psycopg_only_with_the_postgresql_backend():
    result = _python(
        "import sys\n"
        "import deskterm.store.db, peewee\n"
        "before = ['psycopg' in sys.modules, 'pymysql' in sys.modules, peewee.psycopg]\n"
        "from deskterm.store.backends import postgres\n"
        "from psycopg.pq import TransactionStatus\n"
        "adapter = postgres.DeskPostgresqlDatabase('postgresql://x/y', prefer_psycopg3=True)"
        "._adapter\n"
        "print(before, peewee.psycopg is sys.modules['psycopg'], type(adapter).__name__,\n"
        "      adapter.txn_idle is TransactionStatus.IDLE,\n"
        "      adapter.txn_inerror is TransactionStatus.INERROR,\n"
        "      adapter.json_type is sys.modules['psycopg.types.json'].Json)\n"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [
        "[False,", "False,", "None]", "True", "Psycopg3Adapter", "True", "True", "True"
    ]
