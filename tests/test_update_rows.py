"""`db.update_rows`: many rows updated by key from their own values, as each backend does it
best (SQLite: one prepared UPDATE a row; PostgreSQL: one UPDATE ... FROM a JSON parameter)."""

from __future__ import annotations

import pg_databases as pg

from deskterm.services import directory, tickets
from deskterm.store.db import db, update_rows, write_transaction

ON_POSTGRES = pg.enabled()


def _rows(*ids: int) -> dict[int, tuple]:
    found = db.execute_sql(
        'SELECT id, subject, priority_rank, version FROM "ticket" WHERE id IN (?, ?, ?)', ids)
    return {row[0]: row[1:] for row in found}


def test_each_row_gets_its_own_values_where_the_condition_holds(desk):
    ana = directory.actor_for("ana")
    a, b, c = (tickets.create_ticket(ana, subject=s, body="x", requester_email="e@example.com").id
               for s in ("one", "two", "three"))
    db.execute_sql("UPDATE \"ticket\" SET status = 'pending' WHERE id = ?", (c,))
    before = _rows(a, b, c)
    with write_transaction():
        update_rows("ticket", {"subject": "text", "priority_rank": "integer"}, "id",
                    [("uno", 7, a), ("tre", 9, c), ("d\x00ue", 8, b)],
                    also='"version" = "version" + 10', where="\"status\" = 'new'")
    after = _rows(a, b, c)
    assert after[a] == ("uno", 7, before[a][2] + 10)
    # PostgreSQL text cannot hold a NUL: U+FFFD stands in, as for every other write there
    assert after[b] == ("d\ufffdue" if ON_POSTGRES else "d\x00ue", 8, before[b][2] + 10)
    assert after[c] == before[c]  # pending: the condition does not hold
    with write_transaction():
        update_rows("ticket", {"subject": "text"}, "id", [])
    assert _rows(a, b, c) == after
