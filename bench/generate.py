"""Generate a realistic desk of any size through the product's schema and migrations.

    python -m bench.generate --tickets 1000000 --entries-per-ticket 5 --db /tmp/desk-1m.db

Teams, queues, agents, SLA policy and rules are made by the services (as an admin would);
contacts, tickets, threads, events, tags, followers and SLA columns are written in large
batches of prepared INSERTs (the services' per-ticket path would take hours), then the
search index is built with the product's own `db reindex` code. Three years of history
in Bosnian, Croatian, English, Russian and Persian; about 30% of tickets still open.
The OS user who runs it becomes an admin, as with `deskterm init`. Statistics are left
to the product (`PRAGMA optimize` on close), never a benchmark's own `ANALYZE`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import queue
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import corpus
from deskterm import clock
from deskterm.domain import Actor
from deskterm.services import directory
from deskterm.services.automation import rules, sla
from deskterm.services.trust import identity
from deskterm.store import search
from deskterm.store.db import db, open_db

ROOT = Path(__file__).resolve().parents[1]
SETUP = Actor.system("generate")
TEAMS = [("tier1", "Tier 1"), ("tier2", "Tier 2"), ("billing-team", "Billing team")]
QUEUES = [
    ("general", "General questions", "tier1"),
    ("technical", "Technical problems", "tier2"),
    ("billing", "Billing and contracts", "billing-team"),
    ("accounts", "Accounts and access", "tier1"),
    ("network", "Network and VPN", "tier2"),
    ("orders", "Orders and delivery", "billing-team"),
]
AGENTS_PER_TEAM = 8
PRIORITIES = (("low", 0), ("normal", 1), ("high", 2), ("urgent", 3))
PRIORITY_WEIGHTS = (15, 60, 20, 5)
OLD_STATUSES = ("closed", "resolved", "open", "pending", "on_hold")
OLD_WEIGHTS = (60, 10, 15, 10, 5)
NEW_STATUSES = ("new", "open", "pending", "on_hold", "postponed", "resolved", "closed")
NEW_WEIGHTS = (15, 35, 15, 5, 5, 15, 10)
ACTIVE = {"new", "open", "pending", "on_hold", "postponed"}
PAUSED = {"pending", "on_hold", "postponed"}
CHANNELS = ("email", "web", "phone", "agent")
CHANNEL_WEIGHTS = (70, 15, 8, 7)
BATCH = 20_000
#: The tables written in bulk (their indexes are built after the rows).
BULK_TABLES = ("organisation", "contact", "ticket", "entry", "event", "ticket_tag", "follower",
               "sla_breach")

_TICKET_SQL = (
    'INSERT INTO "ticket" (id, subject, status, priority, priority_rank, queue_id, '
    "requester_id, assignee_id, team_id, channel, language, created_at, updated_at, "
    "first_response_at, resolved_at, closed_at, snoozed_until, first_response_due, "
    "resolution_due, next_response_due, sla_breached, status_changed_at, csat_rating, "
    "version) VALUES (" + ",".join("?" * 24) + ")"
)
_ENTRY_SQL = (
    'INSERT INTO "entry" (id, ticket_id, kind, agent_id, contact_id, author, body, '
    "created_at, message_id) VALUES (?,?,?,?,?,?,?,?,?)"
)
_EVENT_SQL = (
    'INSERT INTO "event" (ticket_id, actor, at, action, field, before, after) '
    "VALUES (?,?,?,?,?,?,?)"
)
_TAG_SQL = 'INSERT INTO "ticket_tag" (ticket_id, name) VALUES (?, ?)'
_FOLLOWER_SQL = 'INSERT INTO "follower" (ticket_id, contact_id) VALUES (?, ?)'
_BREACH_SQL = 'INSERT INTO "sla_breach" (ticket_id, target, due_at, recorded_at) VALUES (?,?,?,?)'
_CONTACT_SQL = (
    'INSERT INTO "contact" (id, name, email, organisation_id, created_at) VALUES (?,?,?,?,?)'
)


def _text(moment) -> str:
    """A naive UTC instant as the database stores it (`clock.to_db(...).isoformat(" ")`):
    the desk's times are computed from a naive UTC `now`, so this is `str` alone."""
    return str(moment)


def _weights(weights: tuple[int, ...]) -> list[int]:
    """Cumulative weights for `rng.choices` (the same picks as `weights=`, computed once)."""
    return list(itertools.accumulate(weights))


OLD_CUM, NEW_CUM = _weights(OLD_WEIGHTS), _weights(NEW_WEIGHTS)
PRIORITY_CUM, CHANNEL_CUM = _weights(PRIORITY_WEIGHTS), _weights(CHANNEL_WEIGHTS)


def setup(rng: random.Random) -> dict:
    """Teams, queues, agents (the OS user an admin), SLA policy and rules, via services."""
    for slug, name in TEAMS:
        directory.create_team(SETUP, slug, name)
    for slug, name, team in QUEUES:
        directory.create_queue(SETUP, slug, name, email=f"{slug}@desk.example", team=team)
    me = identity.os_user()  # like `deskterm init`: the OS user running it is the admin
    directory.create_agent(SETUP, me, me, role="admin", teams=tuple(t for t, _ in TEAMS),
                           os_user=me)
    by_team: dict[int, list[tuple[int, str]]] = {}
    for team_slug, _ in TEAMS:
        for i in range(AGENTS_PER_TEAM):
            name = f"{rng.choice(corpus.FIRST)} {rng.choice(corpus.LAST)}"
            directory.create_agent(SETUP, f"{team_slug}-{i + 1}", name, teams=(team_slug,))
    for team in directory.list_teams():
        by_team[team.id] = [
            (a.id, a.name) for a in directory.team_members(team.slug) if a.username != me
        ]
    sla.install_default_policies(SETUP)
    rules.load_rules_file(SETUP, ROOT / "data" / "rules.example.toml")
    queues = [(q.id, next(t.id for t in directory.list_teams() if t.slug == q.team))
              for q in directory.list_queues()]
    return {"queues": queues, "agents": by_team}


def contact_rows(rng: random.Random, count: int, now) -> list[tuple]:
    rows = []
    for i in range(1, count + 1):
        name = f"{rng.choice(corpus.FIRST)} {rng.choice(corpus.LAST)}"
        org = rng.randint(1, len(corpus.ORGS)) if rng.random() < 0.6 else None
        rows.append((i, name, f"customer{i}@mail{i % 97}.example", org, _text(now)))
    return rows


#: A batch's rows, table by table, in the order they are written.
TABLES = (("tickets", _TICKET_SQL), ("entries", _ENTRY_SQL), ("events", _EVENT_SQL),
          ("tags", _TAG_SQL), ("followers", _FOLLOWER_SQL), ("breaches", _BREACH_SQL))


class Desk:
    """Makes tickets' rows in batches; ids for tickets and entries are assigned here."""

    def __init__(self, rng, setup_info, contact_count, per_ticket, now, years=3.0):
        self.rng, self.now = rng, now
        self.queues, self.agents = setup_info["queues"], setup_info["agents"]
        self.contact_count, self.per_ticket = contact_count, per_ticket
        self.span = timedelta(days=365 * years)
        self.entry_id = 0
        self._clear()

    def _clear(self) -> None:
        self.t, self.e, self.ev, self.tg, self.f, self.b = [], [], [], [], [], []

    def take(self) -> tuple[list[tuple], ...]:
        """The rows made since the last take (one list per table of `TABLES`)."""
        batch = (self.t, self.e, self.ev, self.tg, self.f, self.b)
        self._clear()
        return batch

    def ticket(self, tid: int, total: int) -> None:
        rng, now = self.rng, self.now
        created = now - self.span + self.span * ((tid - 0.5) / total)
        created += timedelta(seconds=rng.randint(-600, 600))
        created = min(created, now - timedelta(minutes=5))
        age = now - created
        if age > timedelta(days=30):
            status = rng.choices(OLD_STATUSES, cum_weights=OLD_CUM)[0]
        else:
            status = rng.choices(NEW_STATUSES, cum_weights=NEW_CUM)[0]
        lang = corpus.language(rng)
        queue_id, team_id = rng.choice(self.queues)
        agent_id, agent_name = rng.choice(self.agents[team_id])
        assigned = rng.random() < (0.95 if status not in ACTIVE else 0.7)
        requester = rng.randint(1, self.contact_count)
        priority, rank = rng.choices(PRIORITIES, cum_weights=PRIORITY_CUM)[0]
        actor = f"agent:{agent_name}"
        n = self.per_ticket + (1 if rng.random() < 0.02 else 0)
        window = min(age, timedelta(days=10)) * 0.9
        moments = sorted(created + window * rng.random() for _ in range(n - 1))
        at = created
        kinds = ["customer"]
        for _ in range(1, n):
            if status == "new":
                kinds.append("customer")
            elif rng.random() < 0.15:
                kinds.append("note")
            else:
                kinds.append("reply" if kinds[-1] != "reply" else "customer")
        first_reply = None
        last_customer = created
        for kind, moment in zip(kinds, [created, *moments], strict=True):
            self.entry_id += 1
            at = moment
            if kind == "customer":
                body, author, agent, contact = corpus.customer_text(rng, lang), "", None, requester
                last_customer = moment
                action = "customer_message"
            elif kind == "reply":
                body, author, agent, contact = (
                    corpus.agent_text(rng, lang, agent_name), agent_name, agent_id, None
                )
                first_reply = first_reply or moment
                action = "reply"
            else:
                body, author, agent, contact = corpus.note_text(rng), agent_name, agent_id, None
                action = "note"
            msg_id = f"<g{self.entry_id}@mail.example>" if kind == "customer" else None
            self.e.append((self.entry_id, tid, kind, agent, contact, author, body,
                           _text(moment), msg_id))
            if moment != created:
                who = actor if kind != "customer" else "mail:inbound"
                self.ev.append((tid, who, _text(moment), action, None, None, str(self.entry_id)))
        subject = corpus.subject(rng, lang)
        self.ev.append((tid, "mail:inbound", _text(created), "created", None, None, subject))
        updated = at
        resolved_at = closed_at = snoozed = None
        if first_reply is not None:
            self.ev.append((tid, actor, _text(first_reply), "status", "status", "new", "open"))
        if status not in ("new", "open"):
            updated = at + timedelta(minutes=rng.randint(1, 600))
            updated = min(updated, now - timedelta(minutes=1))
            before = "open" if first_reply else "new"
            self.ev.append((tid, actor, _text(updated), "status", "status", before, status))
            if status in ("resolved", "closed"):
                resolved_at = _text(updated)
            if status == "closed":
                closed_at = _text(updated)
            if status == "postponed":
                snoozed = _text(now + timedelta(days=rng.randint(1, 20)))
        first_due = res_due = next_due = None
        breached = rng.random() < 0.1 and status not in ACTIVE
        if status in ACTIVE:
            if first_reply is None:
                first_due = created + timedelta(hours=1 if rank >= 1 else 8)
            elif kinds[-1] == "customer" and status not in PAUSED:
                first_due = next_due = last_customer + timedelta(hours=4)
            if status not in PAUSED:
                res_due = created + timedelta(days=3 if rank <= 1 else 1)
            for target, due in (("first_response" if next_due is None else "next_response",
                                 first_due), ("resolution", res_due)):
                if due is not None and due < now:
                    breached = True
                    self.b.append((tid, target, _text(due), _text(due + timedelta(minutes=5))))
        csat = rng.randint(1, 5) if status == "closed" and rng.random() < 0.15 else None
        self.t.append((
            tid, subject, status, priority, rank, queue_id, requester,
            agent_id if assigned else None, team_id,
            rng.choices(CHANNELS, cum_weights=CHANNEL_CUM)[0],
            lang, _text(created), _text(updated),
            _text(first_reply) if first_reply else None, resolved_at, closed_at, snoozed,
            _text(first_due) if first_due else None, _text(res_due) if res_due else None,
            _text(next_due) if next_due else None, int(breached), _text(updated), csat,
            len(kinds) + 1,
        ))
        if rng.random() < 0.35:
            for name in rng.sample(corpus.TAGS, rng.randint(1, 2)):
                self.tg.append((tid, name))
        if rng.random() < 0.05:
            follower = rng.randint(1, self.contact_count)
            if follower != requester:
                self.f.append((tid, follower))


def _make_rows(out, rng_state, info, contact_count, per_ticket, now, tickets) -> None:
    """The row maker (a child process): contacts, then tickets in batches, then None.

    One random stream in one process, as if it all ran in the parent: the same seed
    gives the same desk, while the parent writes the previous batch on the other core."""
    rng = random.Random()
    rng.setstate(rng_state)
    out.put(contact_rows(rng, contact_count, now))
    desk = Desk(rng, info, contact_count, per_ticket, now)
    for tid in range(1, tickets + 1):
        desk.ticket(tid, tickets)
        if tid % BATCH == 0:
            out.put(desk.take())
    out.put(desk.take())
    out.put(None)


def _batches(maker, out):
    """What the row maker sends, until its end; a maker that died is an error, not a hang."""
    while True:
        try:
            item = out.get(timeout=5)
        except queue.Empty:
            if not maker.is_alive():
                raise SystemExit(f"the row maker stopped (exit {maker.exitcode})") from None
            continue
        if item is None:
            return
        yield item


def generate(path: Path, tickets: int, per_ticket: int, seed: int = 13) -> dict:
    """Write the desk at `path` (which must not exist); return counts and timings."""
    if path.exists():
        raise SystemExit(f"{path} exists; give a new path")
    rng = random.Random(seed)
    started = time.perf_counter()
    open_db(path)
    info = setup(rng)
    now = clock.to_db(clock.now())  # naive UTC, as stored (see `_text`)
    conn = db.connection()
    conn.execute("PRAGMA journal_mode = OFF")  # a throw-away file until it is complete
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    contact_count = max(50, tickets // 8)
    counts = {name: 0 for name, _ in TABLES}
    timings = {}
    # Indexes are built once the rows are in (a sort each), not row by row: the same
    # schema, written faster (the migrations' own CREATE INDEX statements, run again).
    deferred = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({','.join('?' * len(BULK_TABLES))})", BULK_TABLES
    ).fetchall()
    for name, _ in deferred:
        conn.execute(f'DROP INDEX "{name}"')
    context = multiprocessing.get_context("fork")
    out = context.Queue(maxsize=2)
    maker = context.Process(target=_make_rows, daemon=True, args=(
        out, rng.getstate(), info, contact_count, per_ticket, now, tickets))
    maker.start()
    batches = _batches(maker, out)
    with db.atomic():
        conn.executemany('INSERT INTO "organisation" (id, name) VALUES (?, ?)',
                         list(enumerate(corpus.ORGS, 1)))
        conn.executemany(_CONTACT_SQL, next(batches))
        for batch in batches:
            for (name, sql), rows in zip(TABLES, batch, strict=True):
                conn.executemany(sql, rows)
                counts[name] += len(rows)
            print(f"\r{counts['tickets']:,} tickets", end="", file=sys.stderr, flush=True)
        maker.join()
        timings["rows_s"] = round(time.perf_counter() - started, 1)
        print(f"\rrows written in {timings['rows_s']} s; indexes", file=sys.stderr)
        for _, sql in deferred:
            conn.execute(sql)
    timings["indexes_s"] = round(time.perf_counter() - started - timings["rows_s"], 1)
    print("indexing text", file=sys.stderr)
    search.rebuild()
    timings["search_index_s"] = round(
        time.perf_counter() - started - timings["rows_s"] - timings["indexes_s"], 1)
    conn.execute("PRAGMA journal_mode = WAL")
    db.close()  # the product's close: PRAGMA optimize, as on any desk
    timings["total_s"] = round(time.perf_counter() - started, 1)
    return {"path": str(path), "contacts": contact_count, **counts, **timings}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--entries-per-ticket", type=int, default=5)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.entries_per_ticket < 1:
        parser.error("--tickets and --entries-per-ticket must be positive")
    print(json.dumps(generate(args.db, args.tickets, args.entries_per_ticket, args.seed)))


if __name__ == "__main__":
    main()
