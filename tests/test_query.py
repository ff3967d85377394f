"""The filter language, listing and full-text search (Unicode scripts, kept in sync)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm import clock
from deskterm.domain import Actor as _Actor
from deskterm.domain import BadInput
from deskterm.services import directory, tickets
from deskterm.services.finding import listing
from deskterm.services.finding.query import parse_query
from deskterm.store import search

_SETUP = _Actor.system("test")


@pytest.fixture
def sample(desk):
    ana = directory.actor_for("ana")
    start = clock.now() - timedelta(days=40)
    made = {}
    specs = [
        ("bs", "Račun za novembar", "Ne mogu platiti, ćevapi su skuplji", "billing", "high"),
        ("ru", "Проблема с принтером", "Принтер не печатает после обновления", "general", "normal"),
        ("fa", "مشکل در ورود", "رمز عبور من کار نمی‌کند", "general", "urgent"),
        ("hr", "Pisač ne radi", "Pisač javlja grešku 0x6d", "general", "low"),
    ]
    for i, (key, subject, body, queue, prio) in enumerate(specs):
        with clock.frozen_at(start + timedelta(days=i * 12)):
            made[key] = tickets.create_ticket(
                ana,
                subject=subject,
                body=body,
                requester_email=f"{key}@example.com",
                queue=queue,
                priority=prio,
                tags=["vip"] if key == "bs" else [],
            )
    tickets.assign(ana, made["ru"].id, "ana")
    tickets.set_status(ana, made["hr"].id, "pending")
    return made


def refs(text, me="ana"):
    return sorted(r.id for r in listing.list_tickets(text, me=me, limit=100))


def test_key_value_tokens(sample):
    s = sample
    assert refs("status:pending") == [s["hr"].id]
    assert refs("status:new,pending") == sorted(t.id for t in s.values())
    assert refs("queue:billing") == [s["bs"].id]
    assert refs("assignee:me") == [s["ru"].id]
    assert refs("assignee:none queue:general") == sorted([s["fa"].id, s["hr"].id])
    assert refs("priority:high,urgent") == sorted([s["bs"].id, s["fa"].id])
    assert refs("tag:vip") == [s["bs"].id]
    assert refs("-tag:vip") == sorted([s["ru"].id, s["fa"].id, s["hr"].id])
    assert refs("requester:fa@example.com") == [s["fa"].id]
    assert refs(f"#{s['fa'].id}") == [s["fa"].id]


def test_dates_and_ages(sample):
    s = sample
    # bs was created 40 days ago and never touched; fa 16 days ago; the others later.
    assert refs("older:30d") == [s["bs"].id]
    assert refs("older:10d") == sorted([s["bs"].id, s["fa"].id])
    assert s["bs"].id not in refs("newer:2h")
    assert refs("created>2000-01-01") == sorted(t.id for t in s.values())
    assert refs('created<"30 days ago"') == [s["bs"].id]


def test_sort_by_priority(sample):
    rows = listing.list_tickets("sort:-priority", limit=10)
    assert [r.priority.value for r in rows] == ["urgent", "high", "normal", "low"]


@pytest.mark.parametrize(
    "text, key",
    [
        ("ćevapi", "bs"),
        ("cevapi", "bs"),
        ("принтер", "ru"),
        ("ПРИНТЕР", "ru"),
        ("рمز", None),
        ("رمز", "fa"),
        ("pisač", "hr"),
        ("pisac", "hr"),
        ('"javlja grešku"', "hr"),
        ("print*", None),
    ],
)
def test_full_text_search_in_every_script(sample, text, key):
    expected = [sample[key].id] if key else []
    assert refs(text) == expected


def test_search_is_safe_against_fts_syntax(sample):
    for nasty in ['"', "AND OR NOT", "a:b*", "(((", "NEAR(", "*"]:
        listing.list_tickets(nasty.replace(":", " "))


def test_index_follows_replies_and_merges(sample):
    ana = directory.actor_for("ana")
    s = sample
    tickets.reply(ana, s["ru"].id, "Попробуйте переустановить драйвер")
    assert refs("драйвер") == [s["ru"].id]
    tickets.merge(ana, s["ru"].id, s["hr"].id)
    assert refs("драйвер") == [s["hr"].id]
    assert refs("принтер") == [s["hr"].id]
    rows = search.rebuild()
    assert rows > 0
    assert refs("драйвер") == [s["hr"].id]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("status:opn", "'opn' is not one of"),
        ("colour:red", "unknown filter 'colour'"),
        ("older:soon", "expected a duration"),
        ("created>someday", "bad date"),
        ("priority:", "needs a value"),
        ("sla:late", "sla:breached"),
        ("sort:colour", "sort by one of"),
        ("created:2026-01-01", "use created>DATE"),
    ],
)
def test_bad_tokens_name_the_token(text, fragment):
    with pytest.raises(BadInput, match=fragment) as info:
        parse_query(text, me="ana")
    assert text.split(":")[0].split(">")[0] in str(info.value)


def test_me_needs_an_agent():
    with pytest.raises(BadInput, match="'me' needs an agent"):
        parse_query("assignee:me", me=None)


def test_count_matches_list(sample):
    assert listing.count_tickets("queue:general") == 3
    assert listing.ticket_ids("queue:general sort:-id") == sorted(
        [sample["ru"].id, sample["fa"].id, sample["hr"].id], reverse=True
    )


def test_sla_due_follows_the_reply_owed(desk):
    from datetime import UTC, datetime

    from deskterm.domain import Actor
    from deskterm.services.automation import sla

    sla.install_default_policies(_SETUP)
    ana = directory.actor_for("ana")
    monday_9 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 in Sarajevo, a workday
    with clock.frozen_at(monday_9):
        t = tickets.create_ticket(
            ana, subject="Račun", body="…", requester_email="a@example.ba", queue="billing"
        )
    with clock.frozen_at(monday_9 + timedelta(minutes=10)):
        assert refs("sla:due<1h") == [t.id]  # first response due at 10:00 local
        assert refs("sla:due<30m") == []
        tickets.reply(ana, t.id, "Provjeravamo.")
        assert refs("sla:due<1h") == []  # answered: no reply owed
    with clock.frozen_at(monday_9 + timedelta(minutes=20)):
        tickets.add_customer_message(
            Actor("customer", "a@example.ba"), t.id, body="Hitno!", from_email="a@example.ba"
        )
        assert refs("sla:due<5h") == [t.id]  # the next-response clock runs
        assert refs("sla:due<3h") == []
