"""Screenshots of the agent features (reports, requester panel, go to ticket, timer) from
the real console on a fresh seed-7 demo database.

.venv/bin/python docs/screenshots/make_feature_screenshots.py
"""

from __future__ import annotations

from pathlib import Path

from shots import HERE, on_demo_desk, save, settle

from deskterm.app import make_app
from deskterm.services import directory, timers
from deskterm.services.finding import listing, recent


async def shoot(path: Path, _work: Path) -> None:
    rows = listing.list_tickets("status:open", limit=4)
    for row in rows[1:]:
        recent.touch("ana", row.id)
    timers.start_timer(directory.actor_for("ana"), rows[0].id)
    app = make_app(path, "ana", watch_interval=None, open_ticket=rows[0].id)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        save(app, "requester-panel.svg")
        await pilot.press("colon")
        await settle(pilot)
        save(app, "goto.svg")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        save(app, "reports.svg")


def main() -> None:
    on_demo_desk(shoot)
    print(f"wrote reports.svg, requester-panel.svg and goto.svg in {HERE}")


if __name__ == "__main__":
    main()
