"""Child process for bench_scale: start the console on a desk, print when rows show.

Prints one JSON line: started_at (perf_counter at interpreter start, for the parent's
clock), first_rows_s (from that start), rss_mb (peak resident memory).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

STARTED = time.perf_counter()


async def main(path: str) -> None:
    from deskterm.app import make_app
    from deskterm.store.db import open_db
    from deskterm.widgets.ticket_table import TicketTable

    open_db(path)
    from deskterm.services import directory

    agent = next(a.username for a in directory.list_agents() if a.role == "admin")
    app = make_app(path, agent, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            await pilot.pause(0.002)
            tables = app.screen.query(TicketTable)
            table = tables.first() if tables else None
            if table is not None and table.loaded and (table.total == 0 or table.row_at(0)):
                break
        first = time.perf_counter() - STARTED
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"started_at": STARTED, "first_rows_s": first, "rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
