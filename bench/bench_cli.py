"""How fast the batch CLI answers an admin over SSH on a 100,000-ticket database.

Runs real `deskterm` processes (start-up included) and prints wall-clock seconds:
    .venv/bin/python bench/bench_cli.py [--tickets 100000] [--db PATH --reuse]
The database is built by the queue-screen benchmark's builder; bulk changes run on a copy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_queue_screen import build  # noqa: E402

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


def timed(db: Path, args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*DESKTERM, "--db", str(db), *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"deskterm {' '.join(args)} failed: {done.stderr.strip()}")
    last = (done.stdout.strip().splitlines() or [""])[-1 if args[0] == "bulk" else 0]
    return elapsed, last[:60]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep an existing --db file")
    options = parser.parse_args()
    db = options.db or Path(tempfile.mkdtemp()) / "bench.db"
    if not (options.reuse and db.exists()):
        start = time.perf_counter()
        build(db, options.tickets)
        print(f"built {options.tickets:,} tickets in {time.perf_counter() - start:.1f}s")
    for args in READS:
        seconds, line = timed(db, args)
        print(f"{seconds:6.2f} s  deskterm {' '.join(args):70} {line}")
    copy = db.with_name("bench-writes.db")
    shutil.copy(db, copy)
    for args in WRITES:
        seconds, line = timed(copy, args)
        print(f"{seconds:6.2f} s  deskterm {' '.join(args):70} {line}")


if __name__ == "__main__":
    main()
