"""Screenshots of the agent features (reports, requester panel, go to ticket, timer) from
the real console on a fresh seed-7 demo database.

.venv/bin/python docs/screenshots/make_feature_screenshots.py
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from deskterm import clock
from deskterm.app import make_app
from deskterm.services import demo, directory, timers
from deskterm.services.finding import listing, recent
from deskterm.store.db import open_db

HERE = Path(__file__).parent
FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(path: Path) -> None:
    rows = listing.list_tickets("status:open", limit=4)
    for row in rows[1:]:
        recent.touch("ana", row.id)
    timers.start_timer(directory.actor_for("ana"), rows[0].id)
    app = make_app(path, "ana", watch_interval=None, open_ticket=rows[0].id)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        app.save_screenshot("requester-panel.svg", str(HERE))
        await pilot.press("colon")
        await settle(pilot)
        app.save_screenshot("goto.svg", str(HERE))
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        app.save_screenshot("reports.svg", str(HERE))


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="deskterm-shots-")) / "demo.db"
    with clock.frozen_at(FROZEN):
        open_db(path)
        demo.seed_demo(seed=7)
        asyncio.run(shoot(path))
    print(f"wrote reports.svg, requester-panel.svg and goto.svg in {HERE}")


if __name__ == "__main__":
    main()
