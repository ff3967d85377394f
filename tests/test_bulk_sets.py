"""The set-based bulk path leaves exactly the database the per-ticket path leaves.

Both run on copies of the same demo desk (SLA clocks, overdue tickets, breach log, mail
notifications, caps) at the same frozen instant; then every row of every table is
compared. Before the copies are made the desk's requesters are given every case the
customer mail has (`prepare_mail_cases`: languages incl. fa and ru, SMS opt-in, one
address at the automatic-mail cap and one just below it, a portal URL for the follow
link). Surrogate ids of audit events and outbox messages are left out (the set path
writes a batch's events field by field, the per-ticket path ticket by ticket) and so are
the random nonces in Message-IDs; everything else must match to the byte. The set path
queues its customer mail as intents that the sender writes out (`outbox_render`): the
test writes them out (`render_pending`) at the same instant before it compares. The same
runs on PostgreSQL, with database copies instead of file copies.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pg_databases as pg
import pytest
from mail_setup import mail_config

from deskterm import clock
from deskterm.domain import Actor
from deskterm.services import directory, tickets
from deskterm.services.finding import bulk
from deskterm.services.messaging import notifications, outbox_render
from deskterm.services.portal import tracking
from deskterm.store.db import db, open_db

#: Columns that are assigned in write order, not by what was written.
SURROGATE = {"event": {"id"}, "outbox_message": {"id"}, "sla_breach": {"id"}}
_NONCE = re.compile(r"(dt|sms)\.(\d+)\.[0-9a-f]+(\.[0-9a-f]+)?@")
LANGUAGES = ("fa", "ru", "bs", "hr", "sr", "en", None)
PHONE = "+387 61 234 567"

ON_POSTGRES = pg.enabled()
SETUP = Actor.system("test")
if ON_POSTGRES:  # a firing rolled back there still used up its id (sequences never go back)
    SURROGATE["rule_hit"] = {"id"}


def snapshot() -> dict[str, list[tuple]]:
    out = {}
    for table in sorted(db.get_tables()):
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n not in SURROGATE.get(table, set())]
        rows = []
        for row in cursor.fetchall():
            values = tuple(
                _NONCE.sub(r"\1.\2.N@", v) if isinstance(v, str) else v
                for v in (row[i] for i in keep)
            )
            rows.append(values)
        out[table] = sorted(rows, key=repr)
    return out


def mail_settings():
    """The test mail settings with a portal URL: every mail carries a tracking link."""
    return dataclasses.replace(mail_config(), raw={"portal": {"url": "https://help.desk.example"}})


def prepare_mail_cases(at: datetime) -> dict[str, list[str]]:
    """Give the requesters of the desk's unclosed tickets every case the customer mail
    has, for changes made at `at`: a language each (fa, ru, bs, hr, sr, en, none in turn),
    every third one SMS with a phone, the one with the most tickets at the automatic-mail
    cap and the next one just below it (so the cap falls in the middle of a batch).
    Returns the addresses of each case."""
    notifications.use_config(mail_settings())
    tracking.keys()  # the portal's signing key, made once and copied with the desk
    requesters = [r[0] for r in db.execute_sql(
        "SELECT c.email FROM ticket t JOIN contact c ON c.id = t.requester_id WHERE t.status "
        "!= 'closed' GROUP BY c.email ORDER BY COUNT(*) DESC, c.email")]
    cases: dict[str, list[str]] = {"sms": [], "capped": requesters[:1], "below": requesters[1:2]}
    for n, email in enumerate(requesters):
        language = LANGUAGES[n % len(LANGUAGES)]
        cases.setdefault(language or "none", []).append(email)
        if language:
            directory.set_contact_language(SETUP, email, language)
        if n % 3 == 1:
            directory.set_sms(SETUP, email, opt_in=True, phone=PHONE)
            cases["sms"].append(email)
    cap = mail_settings().mail.auto_cap
    sent = clock.to_db(at - timedelta(minutes=30))
    for email, count in ((requesters[0], cap), (requesters[1], cap - 1)):
        for i in range(count):
            db.execute_sql(
                'INSERT INTO "outbox_message" ("kind", "to_addrs", "cc_addrs", "subject", "body", '
                '"message_id", "headers", "status", "created_at", "attempts", "channel") VALUES '
                "('status_changed', ?, '', 'earlier', 'earlier', ?, '{}', 'sent', ?, 1, 'email')",
                (email, f"<earlier.{i}.{email}>", sent))
    return cases


def desk_copies(desk: Path | str, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """("per_ticket" | "set_based", open it): two copies of the open desk `desk`, taken
    now (file copies on SQLite, template copies on PostgreSQL); the caller closes each."""
    if ON_POSTGRES:
        db.close()
        urls = [pg.copy_database(desk) for _ in range(2)]
        try:
            for kind, url in zip(("per_ticket", "set_based"), urls, strict=True):
                yield kind, lambda url=url: open_db(url)
        finally:
            for url in urls:
                pg.drop_database(url)
        return
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for kind in ("per_ticket", "set_based"):
        path = tmp_path / f"{kind}.db"
        shutil.copy(desk, path)
        yield kind, lambda path=path: open_db(path)


def outbox_of(emails: list[str], after_id: int) -> list[tuple]:
    """(kind, channel, to, subject, body) of the outbox rows for these addresses' tickets
    queued after message `after_id`."""
    marks = ",".join("?" * len(emails))
    return [tuple(r) for r in db.execute_sql(
        'SELECT o."kind", o."channel", o."to_addrs", o."subject", o."body" FROM "outbox_message" '
        f'o JOIN "ticket" t ON t."id" = o."ticket_id" JOIN "contact" c ON c."id" = '
        f't."requester_id" WHERE c."email" IN ({marks}) AND o."id" > ?', (*emails, after_id))]


def reply_moments_before(query: str) -> list[int]:
    """Ana replies to three of the tickets the change will match (call it moments before
    the change): a status change then tells the customer inside that reply's mail."""
    ana = directory.actor_for("ana")
    chosen = bulk.select_ids(query, me="ana", actor=ana)[:3]
    for ticket_id in chosen:
        tickets.reply(ana, ticket_id, "We are looking into it.")
    return chosen


def mails_of(ticket_ids: list[int], after_id: int) -> list[tuple]:
    """(ticket, kind, channel, body) of the customer mail queued after `after_id` to these
    tickets, in queue order."""
    marks = ",".join("?" * len(ticket_ids))
    return [tuple(r) for r in db.execute_sql(
        'SELECT "ticket_id", "kind", "channel", "body" FROM "outbox_message" WHERE '
        f'"ticket_id" IN ({marks}) AND "id" > ? ORDER BY "id"', (*ticket_ids, after_id))]


def last_outbox_id() -> int:
    return db.execute_sql('SELECT COALESCE(MAX("id"), 0) FROM "outbox_message"').fetchone()[0]


CHANGES = [
    ("close", dict(status="closed"), "status:new,open,pending,on_hold"),
    ("resolve", dict(status="resolved"), "status:open,pending queue:technical"),
    ("priority+assign", dict(priority="urgent", assignee="lejla"), "status:new,open"),
    ("unassign+pending", dict(unassign=True, status="pending"), "status:open"),
]


@pytest.mark.parametrize("days_later", [0, 3], ids=["now", "3-days-later"])
@pytest.mark.parametrize("name,change,query", CHANGES, ids=[c[0] for c in CHANGES])
def test_set_based_bulk_equals_per_ticket(demo_db, tmp_path, name, change, query, days_later):
    """`3-days-later`: many clocks ran out unnoticed, so the close has breaches to record."""
    at = clock.now() + timedelta(days=days_later)
    with clock.frozen_at(at - timedelta(hours=1)):
        cases = prepare_mail_cases(at)
    breaches_before = db.execute_sql("SELECT COUNT(*) FROM sla_breach").fetchone()[0]
    replied_before = last_outbox_id()
    with clock.frozen_at(at - timedelta(seconds=2)):
        answered = reply_moments_before(query)
    queued_before = last_outbox_id()
    copies = {}
    answered_mail: dict[str, list[tuple]] = {}
    written: dict[str, int] = {}
    demo_unwritten = outbox_render.pending_count()  # the demo's own rules run left some
    for path_kind, open_copy in desk_copies(demo_db, tmp_path):
        open_copy()
        actor = directory.actor_for("ana")
        with clock.frozen_at(at):
            result = bulk.bulk_set(
                actor, query, me="ana", per_ticket=path_kind == "per_ticket", **change
            )
            # the set path queues its mail as intents the sender writes out: write them
            # here, as the sender would, so every column can be compared
            written[path_kind] = outbox_render.render_pending()
        assert result.changed > 5, f"{name}: the demo has tickets for this change"
        copies[path_kind] = (result, snapshot(), _mail_cases(cases, queued_before))
        answered_mail[path_kind] = mails_of(answered, replied_before)
        db.close()
    (a, rows_a, mail_a), (b, rows_b, mail_b) = copies["per_ticket"], copies["set_based"]
    assert (a.matched, a.changed, sorted(a.ticket_ids)) == (
        b.matched, b.changed, sorted(b.ticket_ids)
    )
    assert rows_a.keys() == rows_b.keys()
    for table in rows_a:
        assert rows_a[table] == rows_b[table], f"{name}: table {table} differs"
    assert mail_a == mail_b
    assert written["per_ticket"] == demo_unwritten, "one change leaves its mail written"
    if "status" in change:
        assert written["set_based"] > demo_unwritten + 5, "the set path left it to the sender"
    if name == "close":
        _check_mail_cases(mail_a)
        # each customer answered moments before reads the close in that reply's mail
        # (an SMS of the reply too where they opted in)
        for path_kind, mails in answered_mail.items():
            emails = [m for m in mails if m[2] == "email"]
            assert [(t, k) for t, k, _, _ in emails] == [(t, "reply") for t in answered]
            assert all("We are looking into it." in m[3] and
                       m[3].endswith("]\n\n(Status: closed)\n") for m in emails), (
                path_kind, emails[0][3])
    if days_later and name == "close":
        assert len(rows_a["sla_breach"]) > breaches_before, "breaches recorded at the close"


def _mail_cases(cases: dict[str, list[str]], after_id: int) -> dict[str, list[tuple]]:
    return {case: sorted(outbox_of(emails, after_id), key=repr) for case, emails in cases.items()}


def _check_mail_cases(mail: dict[str, list[tuple]]) -> None:
    """What a customer reads after the close: in their language, by SMS, held by the cap."""
    for language, word in {"fa": "«بسته»", "ru": "«закрыта»", "en": "closed"}.items():
        mails = [m for m in mail[language] if m[:2] == ("status_changed", "email")]
        assert mails, f"{language}: a status mail"
        assert all(word in body for *_, body in mails), (language, mails[0][4])
    assert all("https://help.desk.example/t/" in m[4] for m in mails)
    sms = [m for m in mail["sms"] if m[1] == "sms"]
    assert sms and all(m[2] == PHONE and m[0] == "status_changed" for m in sms)
    assert not [m for m in mail["capped"] if m[:2] == ("status_changed", "email")], "at the cap"
    below = [m for m in mail["below"] if m[:2] == ("status_changed", "email")]
    assert len(below) == 1, "one more automatic mail, then the cap"
