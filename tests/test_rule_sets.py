"""Time rules fired as sets leave exactly the database that firing them ticket by ticket
leaves (`rules.run_time_rules(per_ticket=True)`, the reference).

Both paths run on copies of the same demo desk at the same frozen instant, days later, so
rules have work: the example rules (close resolved tickets, reply to and close stale
pending ones, escalate breaches, warn before due) plus rules that tag, re-prioritise,
assign, note and notify, with conditions on tags, queues and assignees. Then every row of
every table is compared (surrogate ids of events, outbox mail and breaches and the nonces
in Message-IDs aside, as in test_bulk_sets), on SQLite and on PostgreSQL, after the mail
the set path queued as intents is written out as the sender would (`render_pending`). The requesters
carry every case of the customer mail (`test_bulk_sets.prepare_mail_cases`: languages,
SMS, the automatic-mail cap), so the rules' replies and status mails are compared with
them. The search index's pages depend on the order it was written in, so it is compared
by what it finds: every word of every note and reply.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_bulk_sets import desk_copies, prepare_mail_cases, snapshot

from deskterm import clock
from deskterm.domain import Actor
from deskterm.services.automation import rule_sets, rules
from deskterm.services.automation.rules_file import parse_rules
from deskterm.services.messaging import outbox_render
from deskterm.store import search
from deskterm.store.db import db

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

[[rule]]
name = "Remind waiting customers"
description = "A reply whose status the tickets have already: only the reply changes them."
when = "pending for 4d"
[rule.then]
reply = { body = "Dear {requester.first_name}, {ticket.ref} waits for you.", status = "pending" }
add_tags = ["reminded"]

[[rule]]
name = "Ask about new tickets"
when = "new for 2d"
[rule.then]
reply = { body = "Hello {requester.first_name}, tell us more?", status = "pending" }
add_tags = ["asked"]

[[rule]]
name = "Greet organisations"
description = "Empty for requesters without one: those replies fail, one by one."
when = "open for 6d"
[rule.then]
reply = { body = "{requester.organisation}" }
add_tags = ["greeted"]
'''


def _load_rules() -> None:
    rules.load_rules(SETUP, parse_rules(rules.export_rules()) + parse_rules(EXTRA))


@pytest.mark.parametrize("days_later", [3, 16])
def test_set_based_time_rules_equal_per_ticket(demo_db, tmp_path, days_later):
    loaded = clock.now()
    at = loaded + timedelta(days=days_later)
    with clock.frozen_at(loaded):  # the rules' audit events carry the same time
        _load_rules()
        prepare_mail_cases(at)
    results = {}
    written: dict[str, int] = {}
    demo_unwritten = outbox_render.pending_count()  # the demo's own rules run left some
    for path_kind, open_copy in desk_copies(demo_db, tmp_path):
        open_copy()
        result = rules.run_time_rules(at, per_ticket=path_kind == "per_ticket")
        with clock.frozen_at(at):  # the set path's mail is queued as intents: write them out
            written[path_kind] = outbox_render.render_pending()  # as the sender would
        tables = {k: v for k, v in snapshot().items() if not k.startswith("search_index")}
        results[path_kind] = (result, tables, _found(), _rule_mail(at))
        db.close()
    (a, rows_a, found_a, mail_a), (b, rows_b, found_b, mail_b) = (
        results["per_ticket"], results["set_based"])
    assert found_a == found_b, "the search index finds the same tickets"
    assert found_a["stale"] and found_a["resolving"], "notes and replies were indexed"
    assert a.fired == b.fired and a.errors == b.errors and a.breaches == b.breaches
    assert a.fired["Ask about new tickets"] > 5 and a.fired["Greet organisations"] > 5
    assert a.errors["Greet organisations"].endswith(": reply is empty"), "some fail, in turn"
    assert a.total > 20, f"the demo gives the rules work {days_later} days later: {a.fired}"
    assert sum(1 for n in a.fired.values() if n) >= 4, a.fired
    assert written["per_ticket"] == demo_unwritten, "ticket by ticket, mail is written at once"
    assert written["set_based"] > demo_unwritten, "the set path left its mail to the sender"
    for table in rows_a:
        assert rows_a[table] == rows_b[table], f"table {table} differs"
    # the set path queues one action's mail for every ticket, then the next action's: so
    # only the order within each kind of message is that of firing ticket by ticket
    assert sorted(mail_a) == sorted(mail_b)
    for kind in {m[:2] for m in mail_a}:
        assert [m for m in mail_a if m[:2] == kind] == [m for m in mail_b if m[:2] == kind]
    if days_later == 3:  # 16 days later the close of pending tickets came first
        assert a.fired["Remind waiting customers"] > 0, "a reply to tickets already pending"
    if days_later == 16:  # the pending and on-hold tickets got the rules' replies
        kinds = {(kind, channel) for kind, channel, _ in mail_a}
        assert {("reply", "email"), ("reply", "sms"), ("status_changed", "sms")} <= kinds
        assert any("(Status: closed)" in body for kind, _, body in mail_a if kind == "reply")


def _rule_mail(at) -> list[tuple]:
    """(kind, channel, body) of the mail the run queued, in queue order."""
    return [tuple(r) for r in db.execute_sql(
        'SELECT "kind", "channel", "body" FROM "outbox_message" WHERE "created_at" = ? '
        'ORDER BY "id"', (clock.to_db(at),))]


def _found() -> dict[str, list[int]]:
    """Tickets the search index finds for each word of the notes and replies."""
    words = set()
    for (body,) in db.execute_sql("SELECT body FROM entry WHERE kind IN ('note', 'reply')"):
        words.update(w for w in re.findall(r"\w+", body.lower()) if len(w) > 2)
    words |= {"stale"}
    found = {}
    for word in sorted(words):
        sql, params = search.matching_ticket_ids(word)
        found[word] = sorted(r[0] for r in db.execute_sql(sql, params))
    return found


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
