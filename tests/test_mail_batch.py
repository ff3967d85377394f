"""The batched import path writes exactly what message-by-message import writes.

Two fresh desks, the same clock: one imports with `Importer(batched=False)` (every message
through `receive` and the ticket services), the other with the batched path. Every row of
every table the import touches is compared, ids included (only the random part of the
desk's own Message-IDs differs), and so are search hits. The traffic covers the sample
corpus and a second mbox with follow-ups that reopen pending, resolved and postponed
tickets, Cc'd followers, a reply to a ticket opened earlier in the same batch, a stranger
threading by Message-ID, a reused Message-ID, an exact duplicate, an auto-reply, a bounce
and a sender over the automatic-mail cap. A second desk adds event rules (routing and an
auto-reply on `created`, rules on `customer replied` and `status changed`) and an SLA
policy whose first-response clock runs out before the follow-ups arrive, so rule actions
and breach events land between the messages' own rows exactly where they land one by one.
"""

from __future__ import annotations

import logging
import mailbox as std_mailbox
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pg_databases as pg
import pytest
from mail_setup import mail_config

from deskterm import clock
from deskterm.domain import Actor
from deskterm.mail.sources import read_path
from deskterm.services import directory, tickets
from deskterm.services.automation import rules, sla
from deskterm.services.automation.rules_file import parse_rules
from deskterm.services.messaging import inbound, inbound_batch, inbound_rows, notifications
from deskterm.store import search
from deskterm.store.db import close_db, db, open_db

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"
ON_POSTGRES = pg.enabled()
SETUP = Actor.system("test")
TABLES = ("contact", "ticket", "entry", "attachment", "follower", "ticket_tag", "event",
          "outbox_message", "inbound_message", "sla_breach")
WORDS = ("račun", "printer", "Двойное", "ugovor", "toner", "follow", "lozinka", "Mail")
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_OWN_ID = re.compile(r"(dt\.\d+\.)[0-9a-f]{10}\.[0-9a-f]+@")


def _message(n: int, sender: str, subject: str, body: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<second-{n}@example.net>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def _second_mbox(path: Path) -> Path:
    """Follow-ups to the corpus, and new threads that reply to each other."""
    selma, zeljko = "<selma-0001@mail.example.ba>", "<zeljko-0002@example.hr>"
    messages = [
        _message(1, "selma.hadzic@example.ba", "Re: račun", "Još uvijek ne radi.",
                 In_Reply_To=selma, Cc="novi.kolega@example.ba"),
        _message(2, "zeljko.simic@example.hr", "Re: aplikacija", "I dalje se ruši.",
                 In_Reply_To=zeljko),
        _message(3, "nobody@stranger.example", "Re: račun", "I am not part of this.",
                 In_Reply_To=selma),
        _message(4, "lejla@example.ba", "Ugovor za 2027", "Šaljem ugovor.",
                 Cc="pravna@example.ba"),
        _message(5, "lejla@example.ba", "Re: Ugovor za 2027", "I potpis.",
                 In_Reply_To="<second-4@example.net>", Cc="pravna@example.ba"),
        _message(6, "lejla@example.ba", "Ugovor za 2027", "Drugačiji tekst, isti ID.",
                 message_id="<second-4@example.net>"),
        _message(7, "robot@example.com", "Automatic reply", "Out of office.",
                 Auto_Submitted="auto-replied"),
        _message(8, "maryam.ahmadi@example.ir", "Re: ورود", "هنوز کار نمی‌کند.",
                 In_Reply_To="<maryam-0003@example.ir>"),
        _message(9, "ivana.kovacevic@example.hr", "Re: aplikacija", "Vidim i ja.",
                 In_Reply_To=zeljko),
        _message(16, "wang.zhe@example.cn", "Re: 登录", "还是不行。",
                 In_Reply_To="<cn-0014@mail.example.cn>"),
    ]
    messages.append(messages[3])  # an exact duplicate within the same mbox
    messages += [_message(10 + n, "busy@example.org", f"Pitanje {n}", f"Pitanje broj {n}.")
                 for n in range(5)]  # over the cap of 3 confirmations
    messages.append((CORPUS / "09-bounce-delivery-status.eml").read_bytes())
    box = std_mailbox.mbox(str(path), create=True)
    for raw in messages:
        box.add(raw)
    box.flush()
    return path


def _set_up_desk() -> None:
    directory.create_team(SETUP, "tier1", "Tier 1")
    directory.create_team(SETUP, "billing-team", "Billing team")
    directory.create_queue(SETUP, "general", "General", email="support@desk.example",
                           team="tier1")
    directory.create_queue(SETUP, "billing", "Billing", email="billing@deskterm.example",
                           team="billing-team")
    directory.create_agent(SETUP, "ana", "Ana Anić", email="ana@desk.example", role="admin",
                           teams=("tier1", "billing-team"))


RULES = """
[[rule]]
name = "billing by subject"
when = "created"
[rule.if]
subject = "račun"
[rule.then]
set = { queue = "billing" }

[[rule]]
name = "russian auto-reply"
when = "created"
[rule.if]
language = "ru"
[rule.then]
reply = { body = "Здравствуйте! Мы ответим в течение рабочего дня." }

[[rule]]
name = "back after resolved"
when = "customer replied"
[rule.if]
status = "resolved"
[rule.then]
set = { priority = "high" }
add_tags = ["came-back"]

[[rule]]
name = "reopened in Bosnia"
when = "status changed"
[rule.if]
status = "open"
requester = "@example.ba"
[rule.then]
add_tags = ["reopened"]
"""


def _add_rules_and_sla() -> None:
    rules.load_rules(SETUP, parse_rules(RULES))
    sla.save_policy(SETUP, "fast", {"default": {"first_response": {"minutes": 2,
                                                                   "business": False}}})
    sla.set_queue_policy(SETUP, "general", "fast")


def _traffic(tmp: Path, *, batched: bool) -> list[tuple[str, str, int | None]]:
    config = mail_config(auto_cap=3)
    notifications.use_config(config)
    agent = Actor("agent", "ana", agent_id=directory.agent_row("ana").id)
    results = []
    with clock.frozen_at(AT):
        first = inbound.Importer(config, batched=batched).import_many(read_path(CORPUS))
        results += first.results
        tickets.set_status(agent, 1, "pending")
        tickets.set_status(agent, 2, "resolved")
        tickets.snooze(agent, 3, AT + timedelta(days=2))
    with clock.frozen_at(AT + timedelta(minutes=5)):
        folder = tmp / ("batched" if batched else "one-by-one")
        folder.mkdir(exist_ok=True)
        box = _second_mbox(folder / "second.mbox")
        results += inbound.Importer(config, batched=batched, batch_size=6).import_many(
            read_path(box)).results
    return [(r.status, r.reason, r.ticket_id) for r in results]


def _rows() -> dict[str, list[tuple]]:
    dump = {}
    for table in TABLES:
        rows = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY "id"').fetchall()
        dump[table] = [tuple(_OWN_ID.sub(r"\1N@", v) if isinstance(v, str) else v
                             for v in row) for row in rows]
    dump["search"] = [(word, sorted(search.first_hits(word, 1000))) for word in WORDS]
    for index, row in enumerate(dump["inbound_message"]):  # quarantine files live per desk
        dump["inbound_message"][index] = tuple(
            Path(v).name if isinstance(v, str) and v.startswith("/") else v for v in row)
    return dump


def _migrated(url: str) -> None:
    open_db(url)
    close_db()


def _fresh_desk(tmp: Path, name: str, with_rules: bool = False) -> str | Path:
    close_db()
    if ON_POSTGRES:
        target: str | Path = pg.fresh_database("empty", _migrated)
    else:
        target = tmp / name / "desk.db"
        target.parent.mkdir()
    open_db(target)
    with clock.frozen_at(AT - timedelta(days=1)):
        _set_up_desk()
        if with_rules:
            _add_rules_and_sla()
    return target


@pytest.fixture
def two_desks(tmp_path):
    made = []

    def make(name: str, with_rules: bool = False):
        made.append(_fresh_desk(tmp_path, name, with_rules))

    yield make
    close_db()
    for target in made:
        if ON_POSTGRES:
            pg.drop_database(str(target))


def test_batched_import_writes_exactly_what_one_by_one_import_writes(
        tmp_path, two_desks, monkeypatch, caplog):
    two_desks("one-by-one")
    expected_results = _traffic(tmp_path, batched=False)
    expected = _rows()

    two_desks("batched")
    assert inbound_batch.available()
    one_by_one = []
    receive = inbound.Importer.receive

    def counted(self, mail, *, source=""):
        one_by_one.append(source)
        return receive(self, mail, source=source)

    monkeypatch.setattr(inbound.Importer, "receive", counted)
    with caplog.at_level(logging.WARNING, "deskterm.mail"):
        results = _traffic(tmp_path, batched=True)
    assert "one by one" not in caplog.text
    assert results == expected_results
    got = _rows()
    for table in (*TABLES, "search"):
        assert got[table] == expected[table], table
    # only the bounce took the one-by-one path (it marks outbox mail failed); its copy in
    # the second mbox is a duplicate
    assert one_by_one == ["09-bounce-delivery-status.eml"]
    # and the traffic did what it is meant to exercise
    statuses = [s for s, _, _ in results]
    assert statuses.count("threaded") == 8 and statuses.count("duplicate") == 2
    events = {row[4] for row in got["event"]}
    assert {"mail_capped", "follower", "status", "linked", "customer_message"} <= events


def test_batched_import_with_event_rules_and_sla_breaches_writes_what_one_by_one_writes(
        tmp_path, two_desks, monkeypatch, caplog):
    two_desks("one-by-one", with_rules=True)
    expected_results = _traffic(tmp_path, batched=False)
    expected = _rows()

    two_desks("batched", with_rules=True)
    one_by_one, emitted = [], []
    receive, emit = inbound.Importer.receive, inbound_rows.Flush._emit

    def counted(self, mail, *, source=""):
        one_by_one.append(source)
        return receive(self, mail, source=source)

    def counted_emit(self, message):
        emitted.append(message.source)
        return emit(self, message)

    monkeypatch.setattr(inbound.Importer, "receive", counted)
    monkeypatch.setattr(inbound_rows.Flush, "_emit", counted_emit)
    with caplog.at_level(logging.WARNING, "deskterm.mail"):
        results = _traffic(tmp_path, batched=True)
    assert "one by one" not in caplog.text
    assert results == expected_results
    got = _rows()
    for table in (*TABLES, "search"):
        assert got[table] == expected[table], table
    # the rules fired where they should, and breaches were logged between the messages
    rule_events = sorted({row[2] for row in got["event"] if row[2].startswith("rule:")})
    assert rule_events == ["rule:back after resolved", "rule:billing by subject",
                           "rule:reopened in Bosnia", "rule:russian auto-reply"]
    # each breach is logged by the sync right after the customer's message (or a new
    # ticket's creation), before the reopening and the next message's rows
    events = got["event"]
    ticket_of = {email: ticket for ticket, email in db.execute_sql(
        'SELECT t."id", c."email" FROM "ticket" t JOIN "contact" c ON c."id" = t."requester_id"')}
    breaches = [n for n, row in enumerate(events) if row[4] == "sla_breach"]
    assert [(events[n][1], events[n][5]) for n in breaches] == [
        (row[1], row[2]) for row in got["sla_breach"]] == [
        (3, "first_response"), (ticket_of["wang.zhe@example.cn"], "first_response")]
    for n in breaches:
        before = next(row for row in reversed(events[:n]) if row[4] != "sla_breach")
        assert (before[1], before[4]) == (events[n][1], "customer_message")
    assert any(events[n + 1][4] == "status" for n in breaches)
    # only the replies a rule fired on (and the bounce) went one by one; the new tickets
    # a rule fired on were written in their batch, their change emitted after its rows
    assert one_by_one == ["09-bounce-delivery-status.eml", "second.mbox#1", "second.mbox#2"]
    assert emitted == [
        "01-bosnian-plain-qp.eml", "04-russian-koi8r-8bit.eml",
        "05-russian-cp1251-attachments.eml", "17-russian-cp1251-declared-koi8r.eml",
        "33-outlook-winmail-dat-files.eml", "second.mbox#3"]


def _generated_mbox(path: Path, count: int) -> Path:
    """New requests in several charsets, follow-ups to earlier ones, repeat senders."""
    box = std_mailbox.mbox(str(path), create=True)
    texts = [("utf-8", "Račun je pogrešan"), ("koi8-r", "Не приходит письмо"),
             ("windows-1250", "Aplikacija se ruši"), ("utf-8", "مشکل ورود به حساب")]
    for n in range(count):
        msg = EmailMessage()
        sender = n - 3 if n % 5 == 4 else n
        msg["From"] = f"Kupac {sender % 17} <kupac{sender % 17}@example.ba>"
        msg["To"] = "support@desk.example"
        msg["Message-ID"] = f"<gen-{n}@example.net>"
        if n % 5 == 4:
            msg["Subject"] = "Re: follow-up"
            msg["In-Reply-To"] = f"<gen-{n - 3}@example.net>"
            msg.set_content(f"Još nešto ({n}).")
        else:
            charset, text = texts[n % len(texts)]
            msg["Subject"] = f"{text} {n}"
            msg.set_content(f"{text}, broj {n}.", charset=charset)
        box.add(bytes(msg))
    box.flush()
    return path


def test_parsing_ahead_in_a_worker_changes_nothing(tmp_path, two_desks, monkeypatch):
    from deskterm.mail import parse_ahead

    pools = []
    executor = parse_ahead.ParseAhead._executor
    monkeypatch.setattr(parse_ahead.ParseAhead, "_executor",
                        lambda self: pools.append(1) or executor(self))
    box = _generated_mbox(tmp_path / "generated.mbox", 130)
    config = mail_config(auto_cap=100)
    dumps = []
    for name, options in (("one-by-one", dict(batched=False, parse_workers=0)),
                          ("ahead", dict(batched=True, parse_workers=1, batch_size=60))):
        two_desks(name)
        notifications.use_config(config)
        with clock.frozen_at(AT):
            summary = inbound.Importer(config, **options).import_many(read_path(box))
        dumps.append(([(r.status, r.reason, r.ticket_id) for r in summary.results], _rows()))
    assert pools  # the second import did parse in a worker
    assert dumps[0] == dumps[1]
    assert ("threaded", "thread into #2 (by message-id)", 2) in dumps[1][0]
    assert sum(1 for r in dumps[1][0] if r[0] == "threaded") == 26


def test_a_rule_the_batch_cannot_judge_fires_as_one_by_one(tmp_path, two_desks, monkeypatch,
                                                           caplog):
    two_desks("rules", with_rules=True)

    def broken(*args, **kwargs):
        raise ValueError("a condition the prospect does not know")

    monkeypatch.setattr(rules, "may_fire", broken)
    config = mail_config(auto_cap=3)
    notifications.use_config(config)
    with clock.frozen_at(AT), caplog.at_level(logging.ERROR, "deskterm.mail"):
        summary = inbound.Importer(config).import_many(read_path(CORPUS))
    assert "cannot tell whether rules fire" in caplog.text
    assert summary.counts == {"created": 31, "threaded": 2, "ignored": 3, "skipped": 1}
    fired = {row[0] for row in db.execute_sql(
        'SELECT "actor" FROM "event" WHERE "actor" LIKE \'rule:%\'')}
    assert fired == {"rule:billing by subject", "rule:russian auto-reply"}
