"""Child process for bench_scale: start the console on a desk, print when rows show.

    python bench/console_first_rows.py DESK

Starts the console as bare `deskterm` does with `DESKTERM_DB=DESK` (`deskterm.entry`: the
identity check, the background jobs), only with Textual headless (`run_test`, 120x40) so
that it can tell when the queue's first rows are in the table.

Prints one JSON line: started_at (perf_counter when this script started, for the
parent's clock), first_rows_s (from that start: the rows are in the table when the pilot
looks, after its pause), drawn_s (the first ticket row's line drawn for the screen, by
a hook on the table's render_line: no pilot pause in it), cpu_s (CPU seconds the process
used by first_rows_s, threads included), rss_mb (peak resident memory) and modules (how
many were imported by then).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402 - the clock starts before any import
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

FIRST_ROWS: list[float] = []
DRAWN: list[float] = []


def _hook_drawing() -> None:
    """Note when the table first draws a line holding a ticket row."""
    from deskterm.widgets.ticket_table import TicketTable

    draw = TicketTable.render_line

    def render_line(self, y):  # noqa: ANN001, ANN202
        strip = draw(self, y)
        if not DRAWN and self.row_at(int(self.scroll_y) + y) is not None:
            DRAWN.append(time.perf_counter() - STARTED)
        return strip

    TicketTable.render_line = render_line


async def _until_first_rows(app) -> None:  # noqa: ANN001 - a DesktermApp
    from deskterm.widgets.ticket_table import TicketTable

    _hook_drawing()

    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            await pilot.pause(0.002)
            tables = app.screen.query(TicketTable)
            table = tables.first() if tables else None
            if table is not None and table.loaded and (table.total == 0 or table.row_at(0)):
                break
        FIRST_ROWS.append(time.perf_counter() - STARTED)
        use = resource.getrusage(resource.RUSAGE_SELF)
        FIRST_ROWS.append(use.ru_utime + use.ru_stime)
        for _ in range(500):  # rows in the table are drawn by the next refresh at the latest
            if DRAWN or table.total == 0:
                break
            await pilot.pause(0.002)


def headless(app) -> int:  # noqa: ANN001 - a DesktermApp
    """How the bench runs the app: headless, until its first rows."""
    asyncio.run(_until_first_rows(app))
    return 0


def main(desk: str) -> None:
    os.environ["DESKTERM_DB"] = desk
    from deskterm import entry

    if not entry.open_console(run=headless):
        raise SystemExit(f"bare `deskterm` would not open {desk} (run it to see why)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"started_at": STARTED, "first_rows_s": FIRST_ROWS[0],
                      "drawn_s": DRAWN[0] if DRAWN else None,
                      "cpu_s": round(FIRST_ROWS[1], 3),
                      "rss_mb": round(rss, 1), "modules": len(sys.modules)}))


if __name__ == "__main__":
    main(sys.argv[1])
