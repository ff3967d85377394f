"""Time rules fired as sets leave exactly the database that firing them ticket by ticket
leaves (`rules.run_time_rules(per_ticket=True)`, the reference).

Both paths run on copies of the same demo desk at the same frozen instant, days later, so
rules have work: the example rules (close resolved tickets, reply to and close stale
pending ones, escalate breaches, warn before due) plus rules that tag, re-prioritise,
assign, note and notify, with conditions on tags, queues and assignees. Then every row of
every table is compared (surrogate ids of events, outbox mail and breaches and the nonces
in Message-IDs aside, as in test_bulk_sets). The search index's pages depend on the order
it was written in, so it is compared by what it finds: every word of every note and reply.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
from test_bulk_sets import snapshot

from deskterm import clock
from deskterm.domain import Actor
from deskterm.services.automation import rule_sets, rules
from deskterm.services.automation.rules_file import parse_rules
from deskterm.store.db import db, open_db

SETUP = Actor.system("test")
EXTRA = '''
[[rule]]
name = "Tag stale open tickets"
when = "open for 2d"
[rule.if]
priority = ["normal", "high"]
tag = { not = "vip" }
[rule.then]
add_tags = ["stale"]
set = { priority = "high" }
note = "Open for two days without a change, stale now. @lejla"

[[rule]]
name = "Nudge the lead about waiting tickets"
when = "pending for 3d"
[rule.if]
queue = { not = "billing" }
[rule.then]
remove_tags = ["waiting"]
notify = ["lead", "assignee"]

[[rule]]
name = "Give breached unassigned tickets to Lejla"
when = "sla breached"
match = "any"
[rule.if]
assignee = "none"
tag = "vip"
[rule.then]
assign = "lejla"

[[rule]]
name = "Resolve forgotten on-hold tickets"
when = "on hold for 10d"
[rule.then]
reply = { body = "Dear {requester.first_name}, we are resolving {ticket.ref} for now." }
set = { status = "resolved" }
'''


def _load_rules() -> None:
    rules.load_rules(SETUP, parse_rules(rules.export_rules()) + parse_rules(EXTRA))


@pytest.mark.sqlite_only  # file copies of the SQLite demo; PostgreSQL runs the same SQL below
@pytest.mark.parametrize("days_later", [3, 16])
def test_set_based_time_rules_equal_per_ticket(demo_db, tmp_path, days_later):
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    loaded = clock.now()
    at = loaded + timedelta(days=days_later)
    results = {}
    for path_kind in ("per_ticket", "set_based"):
        path = tmp_path / f"{path_kind}.db"
        shutil.copy(demo_db, path)
        open_db(path)
        with clock.frozen_at(loaded):  # the rules' audit events carry the same time
            _load_rules()
        result = rules.run_time_rules(at, per_ticket=path_kind == "per_ticket")
        tables = {k: v for k, v in snapshot().items() if not k.startswith("search_index")}
        results[path_kind] = (result, tables, _found())
        db.close()
    (a, rows_a, found_a), (b, rows_b, found_b) = results["per_ticket"], results["set_based"]
    assert found_a == found_b, "the search index finds the same tickets"
    assert found_a["stale"] and found_a["resolving"], "notes and replies were indexed"
    assert a.fired == b.fired and a.errors == b.errors and a.breaches == b.breaches
    assert a.total > 20, f"the demo gives the rules work {days_later} days later: {a.fired}"
    assert sum(1 for n in a.fired.values() if n) >= 4, a.fired
    for table in rows_a:
        assert rows_a[table] == rows_b[table], f"table {table} differs"


def _found() -> dict[str, list[int]]:
    """Tickets the search index finds for each word of the notes and replies."""
    words = set()
    for (body,) in db.execute_sql("SELECT body FROM entry WHERE kind IN ('note', 'reply')"):
        words.update(w for w in re.findall(r"\w+", body.lower()) if len(w) > 2)
    words |= {"stale"}
    return {w: [r[0] for r in db.execute_sql(
        "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rowid", (f'"{w}"',))]
        for w in sorted(words)}


def test_set_plan_falls_back_where_it_cannot_match(desk):
    """Rules the set path leaves to the per-ticket one, and how it splits the others."""
    specs = {s.name: s for s in parse_rules(EXTRA)}
    stale = rule_sets.plan(specs["Tag stale open tickets"])
    assert stale is not None and not stale.per_ticket and stale.batch_conditions
    resolve = rule_sets.plan(specs["Resolve forgotten on-hold tickets"])
    assert [a.kind for a in resolve.per_ticket] == ["reply"]
    assert [a.kind for a in resolve.as_set] == ["set"]
    two_notes = parse_rules('[[rule]]\nname = "x"\nwhen = "open for 1d"\n[rule.then]\n'
                            'note = "a"\nnotify = ["lead"]\n')[0]
    assert rule_sets.plan(two_notes) is None
    rules.load_rules(SETUP, parse_rules('[[rule]]\nname = "on status"\nwhen = "status changed"\n'
                                 '[rule.then]\nadd_tags = ["seen"]\n'))
    assert rule_sets.plan(specs["Resolve forgotten on-hold tickets"]) is None, (
        "an event rule listens to status changes: the per-ticket path runs it"
    )
