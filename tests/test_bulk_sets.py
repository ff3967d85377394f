"""The set-based bulk path leaves exactly the database the per-ticket path leaves.

Both run on copies of the same demo desk (SLA clocks, overdue tickets, breach log, mail
notifications, caps) at the same frozen instant; then every row of every table is
compared. Surrogate ids of audit events and outbox messages are left out (the set path
writes a batch's events field by field, the per-ticket path ticket by ticket) and so are
the random nonces in Message-IDs; everything else must match to the byte.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest

from deskterm import clock
from deskterm.services import directory
from deskterm.services.finding import bulk
from deskterm.store.db import db, open_db

#: Columns that are assigned in write order, not by what was written.
SURROGATE = {"event": {"id"}, "outbox_message": {"id"}, "sla_breach": {"id"}}
_NONCE = re.compile(r"dt\.(\d+)\.[0-9a-f]+\.[0-9a-f]+@")


def snapshot() -> dict[str, list[tuple]]:
    tables = [
        r[0]
        for r in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    out = {}
    for table in tables:
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n not in SURROGATE.get(table, set())]
        rows = []
        for row in cursor.fetchall():
            values = tuple(
                _NONCE.sub(r"dt.\1.N@", v) if isinstance(v, str) else v
                for v in (row[i] for i in keep)
            )
            rows.append(values)
        out[table] = sorted(rows, key=repr)
    return out


CHANGES = [
    ("close", dict(status="closed"), "status:new,open,pending,on_hold"),
    ("resolve", dict(status="resolved"), "status:open,pending queue:technical"),
    ("priority+assign", dict(priority="urgent", assignee="lejla"), "status:new,open"),
    ("unassign+pending", dict(unassign=True, status="pending"), "status:open"),
]


#: The two paths run on file copies of the SQLite demo desk (PRAGMA checkpoint, shutil.copy);
#: on PostgreSQL the same SQL runs through the rest of the suite.
@pytest.mark.sqlite_only
@pytest.mark.parametrize("days_later", [0, 3], ids=["now", "3-days-later"])
@pytest.mark.parametrize("name,change,query", CHANGES, ids=[c[0] for c in CHANGES])
def test_set_based_bulk_equals_per_ticket(demo_db, tmp_path, name, change, query, days_later):
    """`3-days-later`: many clocks ran out unnoticed, so the close has breaches to record."""
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    copies = {}
    at = clock.now() + timedelta(days=days_later)
    for path_kind in ("per_ticket", "set_based"):
        path = tmp_path / f"{path_kind}.db"
        shutil.copy(demo_db, path)
        open_db(path)
        breaches_before = db.execute_sql("SELECT COUNT(*) FROM sla_breach").fetchone()[0]
        actor = directory.actor_for("ana")
        with clock.frozen_at(at):
            result = bulk.bulk_set(
                actor, query, me="ana", per_ticket=path_kind == "per_ticket", **change
            )
        assert result.changed > 5, f"{name}: the demo has tickets for this change"
        copies[path_kind] = (result, snapshot())
        db.close()
    (a, rows_a), (b, rows_b) = copies["per_ticket"], copies["set_based"]
    assert (a.matched, a.changed, sorted(a.ticket_ids)) == (
        b.matched, b.changed, sorted(b.ticket_ids)
    )
    assert rows_a.keys() == rows_b.keys()
    for table in rows_a:
        assert rows_a[table] == rows_b[table], f"{name}: table {table} differs"
    assert any(r for r in rows_a["outbox_message"]), "notifications were part of the check"
    if days_later and name == "close":
        assert len(rows_a["sla_breach"]) > breaches_before, "breaches recorded at the close"
