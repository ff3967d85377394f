"""Screenshots of the composer (attach with completion, mail preview) and the numbered,
counted views sidebar, from the real console on a fresh seed-7 demo database.

.venv/bin/python docs/screenshots/make_composer_screenshots.py
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from deskterm import clock
from deskterm.app import make_app
from deskterm.services import demo, directory
from deskterm.services.finding import listing, views
from deskterm.store.db import open_db

HERE = Path(__file__).parent
FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(path: Path, files: Path) -> None:
    views.save_view(directory.actor_for("ana"), "Billing open", "status:open queue:billing")
    first = listing.list_tickets("status:open", limit=1)[0].id
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.save_screenshot("views-sidebar.svg", str(HERE))
        app.screen.open_ticket(first)
        await settle(pilot)
        await pilot.press("r", *"Poštovani, račun za studeni je u prilogu.")
        await pilot.press("ctrl+l")
        await settle(pilot)
        app.screen.query_one("#prompt-input").value = ""
        await pilot.press(*f"{files}/rač")
        await settle(pilot)
        app.save_screenshot("composer-attach.svg", str(HERE))
        await pilot.press("tab", "enter")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        app.save_screenshot("composer-preview.svg", str(HERE))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="deskterm-shots-"))
    files = work / "files"
    files.mkdir()
    (files / "račun-studeni.pdf").write_bytes(b"%PDF-1.4\n")
    (files / "radni-nalog.txt").write_text("nalog\n")
    with clock.frozen_at(FROZEN):
        open_db(work / "demo.db")
        demo.seed_demo(seed=7)
        asyncio.run(shoot(work / "demo.db", files))
    print(f"wrote views-sidebar.svg, composer-attach.svg and composer-preview.svg in {HERE}")


if __name__ == "__main__":
    main()
