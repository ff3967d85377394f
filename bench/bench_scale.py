"""The issue-13 figures on a generated desk, each beside its raw-SQL bound in the same run.

    python -m bench.generate --tickets 100000 --db /tmp/desk-100k.db
    python -m bench.bench_scale --db /tmp/desk-100k.db            # writes bench/results/
    python -m bench.bench_scale --markdown                         # bench/RESULTS.md
    python -m bench.bench_scale --smoke [--db postgresql://...]    # 2,000 tickets, seconds
    deskterm db copy /tmp/desk-100k.db postgresql://user@host/desk100k
    python -m bench.bench_scale --db postgresql://user@host/desk100k   # the same on PostgreSQL

Read-only figures run first (median and p95 of repeated runs); the bulk figures change
the desk (they close tickets) and run last. The bound is the same work as plain SQL on a
plain driver connection to the same desk (`sqlite3`, or `psycopg` for a PostgreSQL URL;
see `bench.raw_sql`). The benchmark never runs ANALYZE before the
figures: statistics are whatever the product keeps (see `deskterm.store.stats`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.raw_sql import Raw

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ACTIVE = ("new", "open", "pending", "on_hold", "postponed")
ACTIVE_FILTER = "status:" + ",".join(ACTIVE)
IN_ACTIVE = "status IN ('new','open','pending','on_hold','postponed')"
ROW_SQL = (
    "SELECT t.*, q.slug, c.name, c.email, a.username, tm.slug FROM ticket t "
    "JOIN queue q ON q.id = t.queue_id JOIN contact c ON c.id = t.requester_id "
    "LEFT JOIN agent a ON a.id = t.assignee_id LEFT JOIN team tm ON tm.id = t.team_id "
)
SEARCH_WORDS = {"common": "racun", "cyrillic": "договору", "bosnian": "ispisuje",
                "middling": "printer"}


def timed(fn, runs: int) -> dict:
    """Median and p95 in milliseconds of `runs` calls (one warm-up call first)."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(statistics.median(samples), 3), "p95_ms": round(p95, 3),
            "runs": runs}


def once(fn) -> dict:
    started = time.perf_counter()
    fn()
    ms = (time.perf_counter() - started) * 1000
    return {"median_ms": round(ms, 1), "p95_ms": round(ms, 1), "runs": 1}


class Bench:
    def __init__(self, path: Path | str, runs: int) -> None:
        from deskterm.store.db import open_db

        self.path, self.runs = path, runs
        self.figures: list[dict] = []
        open_db(path)
        self.raw = Raw(path)

    def add(self, key: str, label: str, product: dict, bound: dict | None, note: str = ""):
        ratio = None
        if bound and bound["median_ms"] > 0:
            ratio = round(product["median_ms"] / bound["median_ms"], 3)
        row = {"key": key, "figure": label, "product": product, "bound": bound,
               "ratio": ratio, "note": note}
        self.figures.append(row)
        shown = f"{product['median_ms']:>10.2f} ms (p95 {product['p95_ms']:.2f})"
        bound_shown = f"bound {bound['median_ms']:.2f} ms" if bound else "no bound"
        print(f"{label:<58} {shown}  {bound_shown}  ratio {ratio}", flush=True)

    def rawq(self, sql: str, params=()):
        return lambda: self.raw.execute(sql, params).fetchall()

    # --- read-only figures ----------------------------------------------------------

    def queues(self) -> None:
        from deskterm.services.finding import listing

        runs = self.runs
        first = timed(lambda: listing.list_tickets(ACTIVE_FILTER, limit=50), runs)
        self.add("queue_first_page", "open queue, first page by updated", first,
                 timed(self.rawq(f"{ROW_SQL} WHERE t.{IN_ACTIVE} "
                                 "ORDER BY t.updated_at DESC, t.id DESC LIMIT 50"), runs))
        prio = timed(lambda: listing.list_tickets(f"{ACTIVE_FILTER} sort:-priority"), runs)
        self.add("queue_priority", "first page sorted by priority", prio,
                 timed(self.rawq(f"{ROW_SQL} WHERE t.{IN_ACTIVE} "
                                 "ORDER BY t.priority_rank DESC, t.id DESC LIMIT 50"), runs))
        # page 1,000: the console reaches it page by page, so it holds the 999th page's last row
        pager = listing.Pager(ACTIVE_FILTER)
        total = pager.count()
        deep = min(999, max(0, total // 50 - 1))
        edge = self.raw.execute(
            f"SELECT updated_at, id FROM ticket WHERE {IN_ACTIVE} "
            "ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET ?", (deep * 50 - 1,)
        ).fetchone()
        cursor = listing.Cursor(edge[0], edge[1])
        page = timed(lambda: listing.list_tickets(ACTIVE_FILTER, after=cursor), runs)
        self.add("queue_page_1000", f"page {deep + 1:,} deep (keyset)", page,
                 timed(self.rawq(f"{ROW_SQL} WHERE t.{IN_ACTIVE} AND (t.updated_at, t.id) < "
                                 "(?, ?) ORDER BY t.updated_at DESC, t.id DESC LIMIT 50",
                                 edge), runs))
        offset = timed(lambda: listing.list_tickets(ACTIVE_FILTER, offset=deep * 50), 3)
        self.add("queue_page_1000_offset", f"page {deep + 1:,} deep (OFFSET, for comparison)",
                 offset, None)
        last = timed(lambda: listing.list_tickets(ACTIVE_FILTER, limit=50, from_end=True), runs)
        self.add("queue_last_page", "last page (G)", last,
                 timed(self.rawq(f"{ROW_SQL} WHERE t.{IN_ACTIVE} "
                                 "ORDER BY t.updated_at ASC, t.id ASC LIMIT 50"), runs))

        def uncached_count():
            listing._counts.clear()
            return listing.count_tickets(ACTIVE_FILTER)

        self.add("queue_count", "queue total count (narrowest query, uncached)",
                 timed(uncached_count, runs),
                 timed(self.rawq(f"SELECT COUNT(*) FROM ticket WHERE {IN_ACTIVE}"), runs))
        self.add("queue_count_cached", "queue total count, cached (same data version)",
                 timed(lambda: listing.count_tickets(ACTIVE_FILTER), runs), None)
        for view in ("assignee:none " + ACTIVE_FILTER, "sla:breached " + ACTIVE_FILTER,
                     "status:pending"):
            self.add(f"view_{view.split()[0]}", f"view first page: {view.split()[0]} ...",
                     timed(lambda v=view: listing.list_tickets(v), runs), None)

    def search(self) -> None:
        from deskterm.services.finding import listing

        rare = self.raw.execute(
            "SELECT body FROM entry WHERE body LIKE '%N-00%' LIMIT 1"
        ).fetchone()
        words = dict(SEARCH_WORDS)
        if rare:
            words["rare"] = next(w for w in rare[0].split() if w.startswith("N-00")).strip(".?,")
        for kind, word in words.items():
            expression = self.raw.search_term(word)
            hits = self.raw.execute(
                f"SELECT COUNT(*) FROM ({self.raw.search_ids()}) hits", (expression,)
            ).fetchone()[0]
            product = timed(lambda w=word: listing.list_tickets(w), self.runs)
            bound = timed(self.rawq(
                f"{ROW_SQL} WHERE t.id IN ({self.raw.search_ids()}) "
                "ORDER BY t.updated_at DESC, t.id DESC LIMIT 50", (expression,)
            ), max(3, self.runs // 4))
            self.add(f"search_{kind}", f"full-text search, {kind} word {word!r} ({hits:,} hits)",
                     product, bound, note="bound: collect all hits, sort, 50")

    def report(self) -> None:
        from deskterm import clock
        from deskterm.services.reporting import reports

        end = clock.now()
        start = end - timedelta(days=30)
        lo, hi = clock.to_db(start).isoformat(" "), clock.to_db(end).isoformat(" ")
        product = timed(lambda: reports.build_report(start, end), 3)

        def bound():
            self.raw.execute("SELECT queue_id, channel, priority, COUNT(*) FROM ticket WHERE "
                             "created_at >= ? AND created_at < ? GROUP BY 1, 2, 3",
                             (lo, hi)).fetchall()
            days = self.raw.days_between("created_at", "resolved_at")
            self.raw.execute(f"SELECT COUNT(*), AVG({days}) FROM ticket WHERE "
                             "resolved_at >= ? AND resolved_at < ?", (lo, hi)).fetchall()
            self.raw.execute(f"SELECT status, COUNT(*) FROM ticket WHERE {IN_ACTIVE} "
                             "GROUP BY status").fetchall()

        self.add("report", "deskterm report, default period (30 days)", product, timed(bound, 3))

    @staticmethod
    def _starts(*args: str) -> tuple[list[float], list[float], list[float], list[float]]:
        """Wall seconds from process start (to the pilot's look, and to the first line
        drawn), CPU seconds and RSS (MB) of five warm starts of a child script
        (bench/console_first_rows.py, bench/textual_first_paint.py)."""
        # A warm start, as every start after the first: bytecode may be cached (a shell
        # with PYTHONDONTWRITEBYTECODE would compile deskterm's modules on every start).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(ROOT)
        samples, drawn, rss, cpu = [], [], [], []
        for run in range(6):
            started = time.perf_counter()
            out = subprocess.run([sys.executable, *args], env=env,
                                 capture_output=True, text=True, check=True).stdout
            data = json.loads(out.strip().splitlines()[-1])
            if run == 0:
                continue  # the warm-up start
            samples.append(data["first_rows_s"] + (data["started_at"] - started))
            drawn.append((data["drawn_s"] or data["first_rows_s"]) + (data["started_at"] - started))
            rss.append(data["rss_mb"])
            cpu.append(data["cpu_s"])
        return samples, drawn, cpu, rss

    @staticmethod
    def _ms(values: list[float], scale: float = 1000) -> dict:
        return {"median_ms": round(statistics.median(values) * scale, 1),
                "p95_ms": round(max(values) * scale, 1), "runs": len(values)}

    def console(self) -> None:
        # The floor first, then the console, back to back: the same load for both.
        floor, floor_drawn, floor_cpu, _ = self._starts(
            str(ROOT / "bench" / "textual_first_paint.py"))
        samples, drawn, cpu, rss = self._starts(
            str(ROOT / "bench" / "console_first_rows.py"), str(self.path))
        product = self._ms(samples)
        sql = (f"{ROW_SQL} WHERE t.{IN_ACTIVE} ORDER BY t.updated_at DESC, t.id DESC LIMIT 50;")
        bound_samples = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(self.raw.client_command(sql), capture_output=True, check=True)
            bound_samples.append(time.perf_counter() - started)
        bound = {"median_ms": round(statistics.median(bound_samples) * 1000, 1),
                 "p95_ms": round(max(bound_samples) * 1000, 1), "runs": 3}
        self.add("console_first_rows", "console, process start to first rows", product, bound,
                 note="bound: the engine's CLI (sqlite3, psql) running the first-page query")
        self.add("console_first_drawn", "console, process start to the first row drawn",
                 self._ms(drawn), bound,
                 note="a hook on the table's render_line (the figure above adds the pilot's "
                      "pause: the queued footer and sidebar work)")
        self.add("console_cpu", "console CPU time to first rows (ms, all threads)",
                 self._ms(cpu), None,
                 note="CPU seconds of the console process, start to first rows")
        self.add("textual_first_paint", "trivial Textual app, start to first paint",
                 self._ms(floor), None,
                 note="the floor: Header, Static, Footer, headless 120x40 like the console")
        self.add("textual_first_drawn", "trivial Textual app, start to its first line drawn",
                 self._ms(floor_drawn), None, note="the floor of the figure above")
        self.add("textual_cpu", "trivial Textual app CPU time to first paint (ms)",
                 self._ms(floor_cpu), None, note="CPU seconds of the trivial app's process")
        self.add("console_rss", "console RSS after first rows (MB)",
                 {"median_ms": statistics.median(rss), "p95_ms": max(rss), "runs": len(rss)},
                 None, note="value in MB, not ms")

    # --- figures that change the desk ------------------------------------------------

    def _active_ids(self, count: int, skip: int = 0) -> list[int]:
        return [r[0] for r in self.raw.execute(
            f"SELECT id FROM ticket WHERE {IN_ACTIVE} ORDER BY id LIMIT ? OFFSET ?",
            (count, skip))]

    def _raw_close(self, ids: list[int]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        marks = ",".join("?" * len(ids))
        self.raw.set_change_cache()
        with self.raw.transaction():
            # the customer status mails as intents (what the product queues; the sender
            # writes them out later): one INSERT ... SELECT, before the status changes
            self.raw.execute(
                "INSERT INTO outbox_message (ticket_id, kind, to_addrs, cc_addrs, subject, "
                "body, message_id, headers, status, created_at, channel, attempts, render) "
                "SELECT t.id, 'status_changed', c.email, '', '', '', '', '{}', 'queued', ?, "
                "'email', 0, '{\"before\":\"' || t.status || '\",\"after\":\"closed\",\"upto\":' "
                "|| (SELECT COALESCE(MAX(id), 0) FROM entry) || '}' FROM ticket t JOIN contact c "
                f"ON c.id = t.requester_id WHERE t.id IN ({marks}) ORDER BY t.id", (now, *ids))
            self.raw.execute(
                "INSERT INTO event (ticket_id, actor, at, action, field, before, after) "
                f"SELECT id, 'agent:bench', ?, 'status', 'status', status, 'closed' "
                f"FROM ticket WHERE id IN ({marks})", (now, *ids))
            self.raw.execute(
                f"UPDATE ticket SET status = 'closed', closed_at = ?, resolved_at = "
                "COALESCE(resolved_at, ?), updated_at = ?, status_changed_at = ?, "
                "version = version + 1, first_response_due = NULL, next_response_due = NULL, "
                f"resolution_due = NULL WHERE id IN ({marks})", (now, now, now, now, *ids))

    def bulk(self, sizes: list[int], per_ticket: int) -> None:
        from deskterm.services import directory
        from deskterm.services.finding import bulk
        from deskterm.services.messaging import outbox_render

        admin = directory.actor_for(
            next(a.username for a in directory.list_agents() if a.role == "admin")
        )
        for size in sizes:
            chosen = self._active_ids(size)
            other = self._active_ids(size, skip=size)
            if len(other) < size:
                print(f"not enough open tickets for a {size:,} close", flush=True)
                continue
            product = once(lambda ids=chosen: bulk.bulk_close(admin, ids=ids))
            bound = once(lambda ids=other: self._raw_close(ids))
            queued = outbox_render.pending_count()  # the product's intents and the bound's
            written = once(outbox_render.render_pending)
            self.add(f"bulk_close_{size}", f"bulk close {size:,} tickets with events", product,
                     bound, note="bound: one UPDATE + one INSERT ... SELECT of events + one "
                     "INSERT ... SELECT of the status mails as intents (as the product queues "
                     "them; the sender writes them out)")
            rate = queued / (written["median_ms"] / 1000) if written["median_ms"] else 0
            self.add(f"render_{size}", f"write out {queued:,} queued status mails",
                     written, None, note=f"outbox_render.render_pending: {rate:,.0f} mails/s "
                     "(template, Message-ID, threading, headers, follow link)")
        if per_ticket:
            chosen = self._active_ids(per_ticket)
            product = once(lambda: bulk.bulk_set(admin, ids=chosen, status="closed",
                                                 per_ticket=True))
            self.add(f"bulk_close_{per_ticket}_per_ticket",
                     f"bulk close {per_ticket:,} tickets, the old per-ticket path", product, None)

    def _raw_rules(self) -> None:
        """The bound: the work of the example rules' closes as plain SQL, rolled back so
        the product then does it: the stale tickets picked, a firing record each; the
        pending rule's reply (the rule's own text) as an entry, its event, the ticket's
        search document with it (`Raw.reindex`) and the reply mail as an intent; then
        every stale ticket closed with its status event and status mail intent. What it
        leaves out: the SLA clocks' recomputation, the commit (it is rolled back)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        text = now.isoformat(" ")
        resolved = (f"SELECT id FROM ticket WHERE status = 'resolved' AND status_changed_at <= "
                    f"'{(now - timedelta(days=5)).isoformat(' ')}'")
        pending = (f"SELECT id FROM ticket WHERE status = 'pending' AND status_changed_at <= "
                   f"'{(now - timedelta(days=14)).isoformat(' ')}'")
        stale = f"{resolved} UNION ALL {pending}"
        rules = dict(self.raw.execute("SELECT name, id FROM rule").fetchall())
        body = next((a["params"]["body"] for (d,) in self.raw.execute(
            "SELECT definition FROM rule WHERE name LIKE 'Close pending%'")
            for a in json.loads(d)["actions"] if a["kind"] == "reply"), "closing")
        upto = "(SELECT COALESCE(MAX(id), 0) FROM entry)"
        last_entry = "(SELECT MAX(e.id) FROM entry e WHERE e.ticket_id = t.id)"
        before, after = self.raw.reindex(pending)
        self.raw.set_change_cache()
        self.raw.execute("BEGIN")
        try:
            for name, picked in (("Close resolved tickets after 5 days", resolved),
                                 ("Close pending tickets after 14 days without a reply", pending)):
                self.raw.execute(
                    "INSERT INTO rule_hit (rule_id, ticket_id, anchor, at) SELECT ?, id, "
                    f"CAST(status_changed_at AS TEXT), ? FROM ticket WHERE id IN ({picked})",
                    (rules.get(name), text))
            for statement in before:
                self.raw.execute(statement)
            self.raw.execute(
                "INSERT INTO entry (ticket_id, kind, author, body, created_at) SELECT id, "
                f"'reply', 'rule', ?, ? FROM ticket WHERE id IN ({pending}) ORDER BY id",
                (body, text))
            for statement in after:
                self.raw.execute(statement)
            self.raw.execute(
                "INSERT INTO event (ticket_id, actor, at, action, field, before, after) "
                f"SELECT t.id, 'rule:x', ?, 'reply', NULL, NULL, CAST({last_entry} AS TEXT) "
                f"FROM ticket t WHERE t.id IN ({pending})", (text,))
            self.raw.execute(
                "INSERT INTO outbox_message (ticket_id, entry_id, kind, to_addrs, cc_addrs, "
                "subject, body, message_id, headers, status, created_at, channel, attempts, "
                f"render) SELECT t.id, {last_entry}, 'reply', c.email, '', '', '', '', '{{}}', "
                "'queued', ?, 'email', 0, '{\"upto\":' || " + upto + " || ',\"status\":\"' "
                "|| t.status || '\"}' FROM ticket t JOIN contact c ON c.id = t.requester_id "
                f"WHERE t.id IN ({pending}) ORDER BY t.id", (text,))
            self.raw.execute(
                "INSERT INTO outbox_message (ticket_id, kind, to_addrs, cc_addrs, subject, "
                "body, message_id, headers, status, created_at, channel, attempts, render) "
                "SELECT t.id, 'status_changed', c.email, '', '', '', '', '{}', 'queued', ?, "
                "'email', 0, '{\"before\":\"' || t.status || '\",\"after\":\"closed\",'"
                "'\"upto\":' || " + upto + " || '}' FROM ticket t JOIN contact c "
                f"ON c.id = t.requester_id WHERE t.id IN ({stale}) ORDER BY t.id", (text,))
            self.raw.execute(
                "INSERT INTO event (ticket_id, actor, at, action, field, before, after) "
                f"SELECT id, 'rule:x', ?, 'status', 'status', status, 'closed' FROM ticket "
                f"WHERE id IN ({stale})", (text,))
            self.raw.execute(
                "UPDATE ticket SET status = 'closed', closed_at = ?, resolved_at = "
                "COALESCE(resolved_at, ?), updated_at = ?, status_changed_at = ?, "
                "first_response_at = COALESCE(first_response_at, ?), version = version + 1, "
                "first_response_due = NULL, next_response_due = NULL, resolution_due = NULL "
                f"WHERE id IN ({stale})", (text, text, text, text, text))
        finally:
            self.raw.execute("ROLLBACK")

    def rules(self) -> None:
        from deskterm.services.automation import rules

        bound = once(self._raw_rules)
        self.add("rules_run", "`rules run`, first run (set-based)", once(rules.run_time_rules),
                 bound, note="bound: the firings, replies (entry, event, search document, "
                 "mail intent) and closes (event, status mail intent) as plain SQL, rolled back")


GROUPS = ("queues", "search", "report", "console", "rules", "bulk")
#: bench/results/*.md appended to RESULTS.md in this order (kept by hand).
HAND_KEPT = ("this-round.md", "before-after.md", "mail-import.md", "concurrent-writers.md")


def run(path: Path | str, runs: int, *, bulk_sizes: list[int], per_ticket: int, rules: bool,
        only: tuple[str, ...] = GROUPS) -> dict:
    bench = Bench(path, runs)
    tickets = bench.raw.execute("SELECT COUNT(*) FROM ticket").fetchone()[0]
    entries = bench.raw.execute("SELECT COUNT(*) FROM entry").fetchone()[0]
    print(f"{path}: {tickets:,} tickets, {entries:,} entries, {bench.raw.engine}", flush=True)
    for group in ("queues", "search", "report", "console"):
        if group in only:
            getattr(bench, group)()
    if rules and "rules" in only:
        bench.rules()
    if "bulk" in only:
        bench.bulk(bulk_sizes, per_ticket)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "backend": "postgresql" if bench.raw.postgres else "sqlite",
        "engine": bench.raw.engine,
        "python": platform.python_version(),
        "tickets": tickets,
        "entries": entries,
        "figures": bench.figures,
    }


def column_name(result: dict) -> str:
    """A results file's column: desk size, then the engine and tag when not plain SQLite."""
    name = f"{result['tickets'] // 1000}k"
    if result.get("backend", "sqlite") != "sqlite":
        name += " PostgreSQL"
    return f"{name} {result['tag']}" if result.get("tag") else name


def results_file(result: dict) -> Path:
    name = column_name(result).lower().replace(" ", "-")
    return RESULTS / f"scale-{name}.json"


def markdown(results: list[dict]) -> str:
    """bench/RESULTS.md from the JSON results (one column triple per desk and engine)."""
    lines = ["# Benchmark results (issues 13 and 12)", ""]
    for r in results:
        engine = r.get("engine") or f"SQLite {r['sqlite']}"
        lines.append(f"- {column_name(r)}: {r['tickets']:,} tickets / {r['entries']:,} entries, "
                     f"{r['date']}, {r['cores']} cores, load average "
                     f"{r['load_average'][0]:.1f}, {engine}, Python {r['python']}")
    lines += ["", "Median (p95) in ms; bound = the same work as plain SQL on the same file in "
              "the same run; ratio = product median / bound median.", ""]
    header = "| figure | " + " | ".join(
        f"{column_name(r)} | bound | ratio" for r in results) + " |"
    lines += [header, "|---|" + "---|---|---|" * len(results)]
    keys = []
    for r in results:
        for f in r["figures"]:
            if f["key"] not in keys:
                keys.append(f["key"])
    for key in keys:
        cells, label = [], key
        for r in results:
            f = next((x for x in r["figures"] if x["key"] == key), None)
            if f is None:
                cells += ["-", "-", "-"]
                continue
            label = f["figure"] if r is results[-1] or label == key else label
            p, b = f["product"], f["bound"]
            cells.append(f"{p['median_ms']:g} ({p['p95_ms']:g})")
            cells.append(f"{b['median_ms']:g}" if b else "-")
            ratio = p["median_ms"] / b["median_ms"] if b and b["median_ms"] else None
            cells.append(f"{ratio:.2g}" if ratio is not None else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n" + NOTES + POSTGRES_NOTES


NOTES = """
## Reading the figures

- Every column ran on a nearly quiet machine (load average above; "This round" below has
  the commands); p95 values still carry other processes' bursts, so medians are the
  figures to compare, and a wall-clock figure of a whole process (console, bulk, rules)
  includes waiting for a core and the disk. The benchmark ran at normal priority. This
  machine's speed drifts: in repeats minutes apart on the idle machine a trivial Textual
  app took 258-429 ms to start (last round), and this round the same 100,000-ticket close
  took 8.4-15.1 s while its raw-SQL bound took 5.8-11.0 s ("This round").
- Each column comes from one run of every group on a fresh copy of its desk, opened once
  by the product first (its migrations applied) and then measured.
- Statistics: the generated desks got theirs from the product's own `PRAGMA optimize`
  when the generator closed the file (`deskterm.store.stats`); the benchmark runs no
  `ANALYZE`, so "first page, no ANALYZE" and "after ANALYZE" are the same figure here.
- Search bound: the shape the issue measured (collect every hit, sort, return 50).
  Three plans: a rare term's hits collected and sorted; a middling one's hits collected
  into a set while the sort index is walked in growing chunks; a common one probed
  ticket by ticket along the sort index. The middle/probe choice follows a cost model
  (about 1 us to collect a hit, ~45 us a probe; `listing.PROBE_COST`).
- Count: the uncached count of the open tickets reads that many index entries (at the
  bound); it is shown after the first rows and cached until the data changes.
- Reports: GROUP BY over covering indexes (m0018, m0021); durations are one integer per
  ticket computed in SQL, their median and p90 taken in Python; SLA compliance from the
  breach log and due columns (equal to recomputing every clock: a test).
- Console: a warm start (bytecode cached; one start before the five timed is not
  counted) of the real start-up (`deskterm.entry`, as bare `deskterm` runs it with
  `DESKTERM_DB`), Textual headless at 120x40: "first row drawn" is when the table renders
  the line of its first ticket row for the screen (what an agent sees); "first rows" is
  when the test pilot, looking after each pause, finds them in the table, which is after
  every message queued at start-up (footer keys, sidebar counts) has been handled. The
  bound is the engine's own CLI (`sqlite3`) running the first-page query as a process.
  The CPU row is the console process's CPU seconds by the pilot's look (all threads).
- Bulk and `rules run`: rows, events, SLA clocks, tags, notes, replies and the customer
  mail they cause change as sets. The mail is queued as intents by one INSERT ... SELECT
  (`notification_sets`, m0024) and written out in outbox order by the sender
  (`outbox_render`); "write out N queued status mails" times that write-out of every
  intent on the desk after the close. The bulk-close bound queues the same intents.
- A row's label comes from the last column's desk (search hit counts, the page number):
  the 100k desk has about a tenth of the 1M desk's hits, and its deepest page is 624.
"""


POSTGRES_NOTES = """
## PostgreSQL beside SQLite

- "100k PostgreSQL" is the 100k desk of the SQLite column (the same pristine file, before
  its own bulk and rules figures) moved with `deskterm db copy` (1,383,384 rows, 69.8 s,
  32.9 s of client CPU: COPY, indexes and keys built after the rows) into PostgreSQL 15
  from Debian on loopback with the CI cluster's settings (`.ci/postgres.sh`: fsync off,
  128 MB shared buffers), then measured straight away, 8 minutes after the SQLite column,
  on the nearly quiet machine:
  `python -m bench.bench_scale --db postgresql://.../desk100k --runs 10 --bulk 10000 --rules`.
- The bound there is psycopg on its own connection, so both pay a round trip per
  statement; SQLite's bound is in-process. Search counts agree on both engines.
- The previous round's PostgreSQL column (load 10, before the set-based mail intents,
  m0024-m0026 and the COPY load) had bulk close 10,000 at 366 s against 3.6 s (100x),
  `report` at 2.44 s against 22.7 ms (110x) and the copy at 19.5 min.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a desk file or a postgresql:// URL")
    parser.add_argument("--tag", default="", help="a word for the results column and file "
                        "(a second run of the same size and engine)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--bulk", default="10000,100000", help="bulk close sizes")
    parser.add_argument("--per-ticket", type=int, default=0,
                        help="also time the per-ticket path on this many tickets")
    parser.add_argument("--rules", action="store_true", help="also time `rules run`")
    parser.add_argument("--smoke", action="store_true", help="2,000 generated tickets")
    parser.add_argument("--markdown", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help="figure groups to run; others are kept from the results file")
    args = parser.parse_args()
    if args.markdown:
        found = sorted((json.loads(p.read_text()) for p in RESULTS.glob("scale-*.json")),
                       key=lambda r: (r["tickets"], r.get("backend", "sqlite") != "sqlite",
                                      r.get("tag", "")))
        text = markdown(found)
        for extra in HAND_KEPT:  # sections written by hand beside the measured tables
            if (RESULTS / extra).exists():
                text += "\n" + (RESULTS / extra).read_text(encoding="utf-8")
        (ROOT / "bench" / "RESULTS.md").write_text(text, encoding="utf-8")
        return
    if args.smoke:
        from bench import generate

        path = Path(tempfile.mkdtemp()) / "smoke.db"
        generate.generate(path, 2000, 5)
        if args.db:  # an empty PostgreSQL database: the same desk copied there
            from deskterm.services import transfer

            transfer.copy_desk(path, args.db)
            path = args.db
        result = run(path, 3, bulk_sizes=[200], per_ticket=100, rules=True)
        print(json.dumps({"smoke": "ok", "figures": len(result["figures"])}))
        return
    if args.db is None:
        parser.error("--db PATH (or --smoke / --markdown)")
    sizes = [int(s) for s in args.bulk.split(",") if s]
    only = tuple(g for g in args.only.split(",") if g)
    result = run(args.db, args.runs, bulk_sizes=sizes, per_ticket=args.per_ticket,
                 rules=args.rules, only=only)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result["tag"] = args.tag
    out = results_file(result)
    if out.exists() and set(only) != set(GROUPS):  # keep the figures not re-measured
        measured = {f["key"] for f in result["figures"]}
        kept = [f for f in json.loads(out.read_text())["figures"] if f["key"] not in measured]
        result["figures"] = kept + result["figures"]
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
