"""Child process for bench_scale: a trivial Textual app, process start to first paint.

    python bench/textual_first_paint.py

The floor under the console's start (bench/console_first_rows.py): the same clock and the
same headless run (`run_test`, 120x40), only the app is Textual's least: a Header, a
Static of 40 lines and a Footer, no database, no CSS file. What the console takes beyond
this is deskterm's share (its modules, the desk opened, the queue screen and its rows).

Prints one JSON line like console_first_rows.py: started_at, first_rows_s (here: the body
laid out when the pilot looks, after its pause), drawn_s (the body's first line drawn),
cpu_s, rss_mb and modules.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402 - the clock starts before any import
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Footer, Header, Static  # noqa: E402

LINES = "\n".join(f"line {n}: the quick brown fox jumps over the lazy dog" for n in range(40))


DRAWN: list[float] = []


class Body(Static):
    """The Static of 40 lines, noting when its first line is drawn."""

    def render_line(self, y: int):  # noqa: ANN201 - a Strip
        strip = super().render_line(y)
        if not DRAWN:
            DRAWN.append(time.perf_counter() - STARTED)
        return strip


class Trivial(App[None]):
    """Header, 40 lines of text, Footer; one binding so the footer has a key to show."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Body(LINES, id="body")
        yield Footer()


async def _until_first_paint(app: Trivial) -> tuple[float, float]:
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            await pilot.pause(0.002)
            body = app.screen.query("#body")
            if body and body.first().region.height:  # laid out and painted
                break
        at = time.perf_counter() - STARTED
        use = resource.getrusage(resource.RUSAGE_SELF)
        return at, use.ru_utime + use.ru_stime


def main() -> None:
    at, cpu = asyncio.run(_until_first_paint(Trivial()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"started_at": STARTED, "first_rows_s": at,
                      "drawn_s": DRAWN[0] if DRAWN else None, "cpu_s": round(cpu, 3),
                      "rss_mb": round(rss, 1), "modules": len(sys.modules)}))


if __name__ == "__main__":
    main()
