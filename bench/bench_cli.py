"""How fast the batch CLI answers an admin over SSH on a 100,000-ticket database.

Runs real `deskterm` processes (start-up included) and prints wall-clock seconds:
    .venv/bin/python bench/bench_cli.py [--tickets 100000] [--db PATH --reuse]
    .venv/bin/python bench/bench_cli.py --db postgresql://user@host/desk [--reuse]
The database is built by the queue-screen benchmark's builder (on PostgreSQL: built as a
file, then moved with `deskterm db copy`'s service); bulk changes run on a copy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).parent))
from bench_queue_screen import build  # noqa: E402

from deskterm.store.backends import for_target, is_server_url  # noqa: E402

DESKTERM = [sys.executable, "-m", "deskterm"]
READS = [
    ["--version"],
    ["ticket", "list", "--limit", "20"],
    ["ticket", "list", "-q", "status:open,pending queue:billing", "--limit", "50", "--json"],
    ["search", "printer", "--limit", "20"],
    ["ticket", "list", "-q", "sla:breached", "--limit", "20"],
    ["bulk", "close", "--queue", "billing", "--older-than", "30d", "--dry-run"],
]
WRITES = [
    ["bulk", "set", "-q", "queue:billing status:open older:60d", "--add-tag", "stale", "--yes"],
    ["bulk", "close", "-q", "queue:billing status:pending older:30d", "--yes"],
]


def timed(db: Path | str, args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*DESKTERM, "--db", str(db), *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"deskterm {' '.join(args)} failed: {done.stderr.strip()}")
    last = (done.stdout.strip().splitlines() or [""])[-1 if args[0] == "bulk" else 0]
    return elapsed, last[:60]


def build_desk(db: Path | str, tickets: int) -> None:
    """A generated desk at `db` (a PostgreSQL database is filled from a generated file)."""
    if not is_server_url(db):
        build(db, tickets)
        return
    from deskterm.services import transfer

    source = Path(tempfile.mkdtemp()) / "bench.db"
    build(source, tickets)
    transfer.copy_desk(source, db)


def writable_copy(db: Path | str) -> Path | str:
    """A copy of the desk for the commands that change it (a file copy, or a PostgreSQL
    database made from the desk's database as its template)."""
    if not is_server_url(db):
        copy = Path(db).with_name("bench-writes.db")
        shutil.copy(db, copy)
        return copy
    import psycopg

    parts = urlsplit(str(db))
    name = parts.path.strip("/")
    copy = f"{name}_writes"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return urlunsplit(parts._replace(path="/" + copy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", help="a desk file or an (empty) postgresql:// database")
    parser.add_argument("--reuse", action="store_true", help="keep an existing --db desk")
    options = parser.parse_args()
    db = options.db or Path(tempfile.mkdtemp()) / "bench.db"
    if not (options.reuse and for_target(db).exists(db)):
        start = time.perf_counter()
        build_desk(db, options.tickets)
        print(f"built {options.tickets:,} tickets in {time.perf_counter() - start:.1f}s")
    for args in READS:
        seconds, line = timed(db, args)
        print(f"{seconds:6.2f} s  deskterm {' '.join(args):70} {line}")
    copy = writable_copy(db)
    for args in WRITES:
        seconds, line = timed(copy, args)
        print(f"{seconds:6.2f} s  deskterm {' '.join(args):70} {line}")


if __name__ == "__main__":
    main()
