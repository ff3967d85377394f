"""Benchmark: `rules run` (SLA sweep + time rules) over many open tickets.

    .venv/bin/python bench/bench_rules.py --tickets 100000

Builds a desk with the example rules and the default SLA policy, bulk-inserts open
tickets (80% already answered, 20% pending, a few hundred of them stale), recomputes
every clock once (`sla.backfill`), then times `rules.run_time_rules` twice: the first
run does the day's real work (breaches to log, stale tickets to close), the second is
what cron pays when nothing new happened.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from deskterm import clock
from deskterm.domain import Actor as _Actor
from deskterm.services import directory, signals
from deskterm.services.automation import rules, sla
from deskterm.store.db import db, open_db
from deskterm.store.models import Contact, Entry, RuleHit, SlaBreach, Ticket

_SETUP = _Actor.system("test")

SETUP = _Actor.system("test")

ROOT = Path(__file__).resolve().parents[1]


def seed(count: int, rng: random.Random) -> None:
    directory.create_team(SETUP, "tier1", "Tier 1")
    directory.create_queue(SETUP, "general", "General", team="tier1")
    for name in ("ana", "mirza", "sara"):
        directory.create_agent(SETUP, name, name.title(), teams=("tier1",))
    sla.install_default_policies(_SETUP)
    rules.load_rules_file(_SETUP, ROOT / "data" / "rules.example.toml")
    now = clock.to_db(clock.now())
    contact = Contact.create(name="Kupac", email="kupac@example.ba", created_at=now)
    statuses = ["open"] * 6 + ["pending"] * 2 + ["new", "on_hold"]
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
    with signals.muted(), db.atomic():
        tickets, entries = [], []
        for i in range(count):
            created = now - timedelta(minutes=rng.randint(10, 30 * 24 * 60))
            status = rng.choice(statuses)
            changed = created + (now - created) * rng.random()
            if status == "pending" and i % 40 == 0:
                changed = min(changed, now - timedelta(days=15))
                created = min(created, changed)
            prio = rng.choice(priorities)
            tickets.append(
                dict(
                    subject=f"Ticket {i}",
                    status=status,
                    priority=prio,
                    priority_rank=priorities.index(prio),
                    queue=1,
                    requester=contact.id,
                    team=1,
                    channel="email",
                    created_at=created,
                    updated_at=changed,
                    status_changed_at=changed,
                )
            )
        for start in range(0, count, 5000):
            Ticket.insert_many(tickets[start : start + 5000]).execute()
        for ticket_id, created, status in Ticket.select(
            Ticket.id, Ticket.created_at, Ticket.status
        ).tuples():
            entries.append(dict(ticket=ticket_id, kind="customer", body="?", created_at=created))
            if status != "new":
                replied = created + timedelta(minutes=rng.randint(5, 90))
                entries.append(dict(ticket=ticket_id, kind="reply", body="!", created_at=replied))
        for start in range(0, len(entries), 5000):
            Entry.insert_many(entries[start : start + 5000]).execute()


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {elapsed:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        open_db(Path(tmp) / "bench.db")
        timed(
            f"seed {args.tickets:,} open tickets",
            lambda: seed(args.tickets, random.Random(args.seed)),
        )
        timed("sla.backfill (recompute every clock)", sla.backfill)
        breached = Ticket.select().where(Ticket.sla_breached).count()
        print(f"  tickets with a breach: {breached:,}, breach rows: {SlaBreach.select().count():,}")
        later = clock.now() + timedelta(hours=1)
        result = timed(
            "rules run #1 (+1h: new breaches, stale tickets)", lambda: rules.run_time_rules(later)
        )
        print(f"  breaches recorded: {result.breaches:,}, firings: {result.fired}")
        result = timed("rules run #2 (same time, nothing new)", lambda: rules.run_time_rules(later))
        print(f"  breaches recorded: {result.breaches:,}, firings: {result.total}")
        result = timed(
            "rules run #3 (+5 min)", lambda: rules.run_time_rules(later + timedelta(minutes=5))
        )
        print(f"  breaches recorded: {result.breaches:,}, firings: {result.total}")
        print(f"  rule_hit rows: {RuleHit.select().count():,}")
        db.close()


if __name__ == "__main__":
    main()
