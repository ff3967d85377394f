"""One writer process of the concurrency test (tests/test_concurrent_writers.py).

Run as `python tests/writer_process.py DB INDEX SECONDS START_AT TICKET_IDS AGENTS`: acts as
agent `AGENTS[INDEX]`, waits until the wall-clock START_AT, then replies, notes, tags, sets
statuses and assigns on the given tickets until SECONDS have passed, and prints what it did
as JSON on stdout. Every exception is counted as an error a user would have seen.
"""

from __future__ import annotations

import json
import random
import sys
import time


def main() -> None:
    db_file, index, seconds, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(
        sys.argv[4]
    )
    ticket_ids = [int(t) for t in sys.argv[5].split(",")]
    agents = sys.argv[6].split(",")
    from deskterm.services import directory, tickets
    from deskterm.store import db as store

    store.open_db(db_file)
    me = directory.actor_for(agents[index])
    rng = random.Random(index)
    done = {"reply": [], "note": [], "tag": [], "status": 0, "assign": 0}
    errors: list[str] = []
    seen: dict[int, list[int]] = {t: [] for t in ticket_ids}
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        ticket_id = rng.choice(ticket_ids)
        kind = rng.choice(("reply", "note", "tag", "status", "assign"))
        mark = f"{me.name}-{n}"
        try:
            if kind == "reply":
                detail = tickets.reply(me, ticket_id, f"reply {mark}")
                done["reply"].append(mark)
            elif kind == "note":
                detail = tickets.add_note(me, ticket_id, f"note {mark}")
                done["note"].append(mark)
            elif kind == "tag":
                detail = tickets.add_tags(me, ticket_id, [mark])
                done["tag"].append(mark)
            elif kind == "status":
                status = rng.choice(("open", "pending", "on_hold"))
                detail = tickets.set_status(me, ticket_id, status)
                done["status"] += 1
            else:
                detail = tickets.assign(me, ticket_id, rng.choice(agents + [None]))
                done["assign"] += 1
            seen[ticket_id].append(detail.version)
        except Exception as error:  # noqa: BLE001 - every failure is what the test counts
            errors.append(f"{kind} #{ticket_id}: {type(error).__name__}: {error}")
    print(json.dumps({
        "agent": me.name, "done": done, "errors": errors, "versions": seen,
        "retries": store.busy_retries, "operations": n,
    }))


if __name__ == "__main__":
    main()
