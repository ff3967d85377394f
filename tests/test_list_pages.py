"""Queue pages as the console and `ticket list` read them: the same rows in the same order
whatever the sort, the direction or how the page is reached (first, keyset, last), with
many tickets tied on their sort value; rows built by the fast path equal the ORM's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sort_orders import SORTS, by_hand

from deskterm import clock
from deskterm.domain import Actor, TicketRow
from deskterm.services import directory, tickets
from deskterm.services.finding import list_rows, listing, ticket_view
from deskterm.services.finding.query import parse_query
from deskterm.store.db import close_db, open_db
from deskterm.store.models import Ticket

ACTIVE = "status:new,open,pending,on_hold,postponed"
START = datetime(2026, 3, 2, 9, 30, 15, 250000, tzinfo=UTC)


@pytest.fixture
def tied(desk):
    """30 tickets made at three instants (ten share each created and updated time), with
    four priorities, five active statuses (seven closed or resolved), repeated subjects and tags."""
    ana = directory.actor_for("ana")
    statuses = ["new", "open", "pending", "on_hold", "closed", "open", "resolved", "postponed"]
    made = []
    for n in range(30):
        with clock.frozen_at(START + timedelta(minutes=n // 10)):
            made.append(tickets.create_ticket(
                ana, subject=f"Printer {n % 4}", body="It jams.",
                requester_email=f"c{n % 5}@example.com", queue=("general", "billing")[n % 2],
                priority=("low", "normal", "high", "urgent")[n % 4],
                tags=(["vip", "eu"] if n % 3 == 0 else []),
            ).id)
    with clock.frozen_at(START + timedelta(hours=1)):
        for n, tid in enumerate(made):
            if statuses[n % 8] == "postponed":
                tickets.snooze(ana, tid, START + timedelta(days=30))
            elif statuses[n % 8] != "new":
                tickets.set_status(ana, tid, statuses[n % 8])
        tickets.assign(ana, made[1], "mirza")
    return made


ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold', 'postponed')"


@pytest.mark.parametrize("sort", SORTS + ["-" + s for s in SORTS])
def test_every_sort_pages_the_open_queue_in_order_across_ties(tied, sort):
    order = by_hand(sort, ACTIVE_SQL)
    assert len(order) == 23  # 30 tickets less 4 closed (n % 8 == 4) and 3 resolved
    pager = listing.Pager(f"{ACTIVE} sort:{sort}")
    assert pager.count() == 23
    seen = []
    while len(seen) < 23:
        page = pager.page(len(seen), 4)  # pages end inside runs of tied values
        assert page
        seen += [r.id for r in page]
    assert seen == order
    # the last page (`G`) walks the order backwards and returns it forwards
    assert [r.id for r in listing.list_tickets(f"{ACTIVE} sort:{sort}", limit=5,
                                               from_end=True)] == order[-5:]
    # the first page again, and a keyset page from a cursor: the same statement, new values
    assert [r.id for r in listing.list_tickets(f"{ACTIVE} sort:{sort}", limit=6)] == order[:6]
    rows = listing.list_tickets(f"{ACTIVE} sort:{sort}", limit=9)
    after = listing.cursor_of(rows[8], sort)
    assert [r.id for r in listing.list_tickets(f"{ACTIVE} sort:{sort}", limit=6,
                                               after=after)] == order[9:15]


def test_filters_with_names_and_an_actor_page_the_same_rows(tied):
    mirza = directory.actor_for("mirza")
    assert [r.id for r in listing.list_tickets(f"assignee:mirza {ACTIVE}")] == [tied[1]]
    unassigned = by_hand("-updated", f"{ACTIVE_SQL} AND assignee_id IS NULL")
    assert [r.id for r in listing.list_tickets(f"assignee:none {ACTIVE}")] == unassigned
    billing = by_hand("-priority", f"{ACTIVE_SQL} AND queue_id = "
                      "(SELECT id FROM queue WHERE slug = 'billing')")
    assert [r.id for r in listing.list_tickets(f"queue:billing {ACTIVE} sort:-priority",
                                               actor=mirza)] == billing
    assert [r.id for r in listing.list_tickets(f"-queue:billing {ACTIVE} sort:id",
                                               actor=mirza)] == sorted(
        set(by_hand("id", ACTIVE_SQL)) - set(billing))


def test_fast_rows_equal_the_orm_rows_field_for_field(tied):
    ids = list(reversed(tied))
    fast = list_rows.rows_for(ids)
    orm = ticket_view.rows(ticket_view.row_select().where(Ticket.id.in_(ids)))
    assert fast == sorted(orm, key=lambda r: ids.index(r.id))
    assert [r.id for r in fast] == ids
    first = fast[-1]  # tied[0]: made at START, tags vip and eu, status new
    assert first.created_at == START and first.created_at.tzinfo is UTC
    assert first.updated_at == START + timedelta(minutes=0)
    assert first.tags == ("eu", "vip")
    assert (first.status.value, first.priority.value, first.queue) == ("new", "low", "general")
    assert fast[-2].assignee == "mirza" and fast[-2].status.value == "open"
    assert all(len(vars(r)) == len(list_rows.FIELDS) for r in fast)


def test_stored_instants_read_back_as_utc():
    assert list_rows.at("2026-12-01 09:15:34.769428") == datetime(
        2026, 12, 1, 9, 15, 34, 769428, tzinfo=UTC)
    assert list_rows.at("2026-12-01 09:15:34") == datetime(2026, 12, 1, 9, 15, 34, tzinfo=UTC)
    assert list_rows.at("2026-12-01T11:15:34+02:00") == datetime(
        2026, 12, 1, 9, 15, 34, tzinfo=UTC)
    assert list_rows.at(datetime(2026, 12, 1, 9, 15)) == datetime(2026, 12, 1, 9, 15,
                                                                   tzinfo=UTC)
    assert list_rows.at(None) is None
    assert TicketRow.__dataclass_fields__.keys() == set(list_rows.FIELDS)


def test_an_agents_name_is_looked_up_on_each_desk(tmp_path):
    """Two desks in one process (the console opening another desk): `assignee:mirza`
    means each desk's own mirza, though the page statement is kept between calls."""
    found = []
    for name, agents in (("a", ["mirza", "ana"]), ("b", ["ana", "mirza"])):
        open_db(tmp_path / f"{name}.db")
        system = Actor.system("test")
        directory.create_team(system, "tier1", "Tier 1")
        directory.create_queue(system, "general", "General", email="s@x.example", team="tier1")
        for agent in agents:
            directory.create_agent(system, agent, agent.title(), role="admin", teams=("tier1",))
        ana = directory.actor_for("ana")
        made = [tickets.create_ticket(ana, subject=f"t{n}", body="b", requester_email=
                                      "c@example.com", queue="general").id for n in range(3)]
        tickets.assign(ana, made[-1 if name == "a" else 0], "mirza")
        found.append(([r.id for r in listing.list_tickets(f"assignee:mirza {ACTIVE}")],
                      made[-1 if name == "a" else 0]))
        close_db()
    assert [page for page, _ in found] == [[expected] for _, expected in found]


def test_status_conditions_are_spelled_one_way():
    """`status:active`, and the active statuses in any order, give one SQL text (the
    spelling the m0025 partial indexes hold)."""
    texts = set()
    for text in (ACTIVE, "status:active", "status:postponed,on_hold,pending,open,new"):
        query = parse_query(text, None)
        texts.add(listing._narrow(query).sql()[0])
    assert texts == {'SELECT "t1"."id" FROM "ticket" AS "t1" WHERE ("t1"."status" IN '
                     "('new', 'open', 'pending', 'on_hold', 'postponed'))"}
