"""How fast the queue screen shows its first rows on a big database.

    .venv/bin/python bench/bench_queue_screen.py            # 100,000 tickets in a temp dir
    .venv/bin/python bench/bench_queue_screen.py --tickets 250000 --db /tmp/big.db --reuse

Builds the database directly with insert_many (bench code, not a face), then drives the
real console headless with Pilot and prints, for each step, the wall time until the
table shows rows: app start, a filter, full-text search, a sort, and jumping to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from deskterm import clock
from deskterm.domain import Actor as _Actor
from deskterm.store import search
from deskterm.store.db import db, open_db

SETUP = _Actor.system("test")

SUBJECTS = [
    "Printer does not print after the update",
    "Račun za novembar nije stigao",
    "Не работает VPN после обновления",
    "فاکتور این ماه اشتباه است",
    "Password reset link expired",
    "Dvostruko naplaćena pretplata",
    "Server returns 502 on login",
    "Change of billing address",
]
STATUSES = ["new", "open", "pending", "on_hold", "resolved", "closed", "closed", "closed"]
PRIORITIES = [("low", 0), ("normal", 1), ("normal", 1), ("high", 2), ("urgent", 3)]


def build(path: Path, count: int, seed: int = 1) -> None:
    """Fill `path` with `count` tickets (agents, queues, contacts, tags, FTS rows)."""
    from deskterm.services import directory
    from deskterm.services.trust import identity
    from deskterm.store.models import Contact, Ticket, TicketTag

    rng = random.Random(seed)
    open_db(path)
    directory.create_team(SETUP, "tier1", "Tier 1")
    for slug in ("general", "technical", "billing", "accounts"):
        directory.create_queue(SETUP, slug, slug.title(), team="tier1")
    agents = ["ana", "mirza", "lejla", "ivan", "sara"]
    for name in agents:
        directory.create_agent(SETUP, name, name.title(), teams=("tier1",))
    identity.map_os_user_to_admin("ana")  # whoever runs the bench is ana
    now = clock.to_db(clock.now())
    with db.atomic():
        Contact.insert_many(
            [
                {"name": f"Kupac {i}", "email": f"kupac{i}@example.com", "created_at": now}
                for i in range(5000)
            ]
        ).execute()
    queue_ids = [q.id for q in directory.list_queues()]
    agent_ids = [a.id for a in directory.list_agents()] + [None, None]
    start = clock.now() - timedelta(days=365)
    batch = []
    with db.atomic():
        for i in range(count):
            created = start + timedelta(seconds=rng.randint(0, 365 * 86400))
            priority, rank = rng.choice(PRIORITIES)
            batch.append(
                {
                    "subject": f"{rng.choice(SUBJECTS)} ({i})",
                    "status": rng.choice(STATUSES),
                    "priority": priority,
                    "priority_rank": rank,
                    "queue": rng.choice(queue_ids),
                    "requester": rng.randint(1, 5000),
                    "assignee": rng.choice(agent_ids),
                    "created_at": clock.to_db(created),
                    "updated_at": clock.to_db(created + timedelta(hours=rng.randint(0, 200))),
                }
            )
            if len(batch) == 5000:
                Ticket.insert_many(batch).execute()
                batch = []
        if batch:
            Ticket.insert_many(batch).execute()
        ids = [t for (t,) in Ticket.select(Ticket.id).tuples()]
        TicketTag.insert_many(
            [{"ticket": t, "name": "vip"} for t in rng.sample(ids, len(ids) // 20)]
        ).execute()
    search.rebuild()  # the product's `db reindex`
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()  # statistics as the product keeps them (PRAGMA optimize on close)


async def measure(path: Path) -> list[tuple[str, float, int]]:
    """Drive the console and time each step until rows are on screen."""
    from deskterm.app import make_app
    from deskterm.widgets.ticket_table import TicketTable

    results = []
    started = time.perf_counter()
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:

        async def rows_shown(label: str, since: float) -> None:
            first = None
            while True:
                await pilot.pause(0.005)
                tables = app.screen.query(TicketTable)
                table = tables.first() if tables else None
                if table is None or not table.loaded:
                    continue
                if first is None and (table.total == 0 or table.row_at(table.cursor)):
                    first = time.perf_counter() - since
                if first is not None and table.counted:
                    counted = time.perf_counter() - since
                    results.append((label, first, counted, table.total))
                    print(
                        f"{label:<44} first rows {first * 1000:6.0f} ms"
                        f"   count {counted * 1000:6.0f} ms   ({table.total:,} tickets)",
                        flush=True,
                    )
                    return

        await rows_shown("start-up (All open view)", started)

        async def step(label: str, action, *, reload: bool = True) -> None:
            since = time.perf_counter()
            table = app.screen.query_one(TicketTable)
            table.loaded = not reload  # a reload sets it again; paging alone keeps it
            table.counted = not reload
            table.pages.clear()
            await action()
            await rows_shown(label, since)

        screen = app.screen
        for label, text in (
            ("filter status:pending queue:billing", "status:pending queue:billing"),
            ("filter tag:vip older:30d", "tag:vip older:30d"),
            ("full-text search 'printer'", "printer"),
            ("sort by subject (all tickets)", "sort:subject"),
        ):

            async def apply(text=text) -> None:
                screen.apply_filter(text)

            await step(label, apply)

        async def to_end() -> None:
            await pilot.press("G")

        await step("jump to the last row (G), sorted by subject", to_end, reload=False)

        async def everything() -> None:
            screen.apply_filter("")

        await step("all tickets, newest first", everything)
        await step("jump to the last row (G), by updated", to_end, reload=False)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep an existing --db file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="deskterm-bench-"))
    path = args.db or workdir / "bench.db"
    if not (args.reuse and path.exists()):
        path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        build(path, args.tickets)
        print(f"built {args.tickets:,} tickets in {time.perf_counter() - t0:.1f}s -> {path}")
    asyncio.run(measure(path))


if __name__ == "__main__":
    main()
