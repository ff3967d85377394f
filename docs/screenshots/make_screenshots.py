"""Regenerate the README screenshots from the real console on a fresh demo database.

.venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from deskterm import clock
from deskterm.app import make_app
from deskterm.domain import EntryKind
from deskterm.services import demo, listing, tickets
from deskterm.store.db import open_db

HERE = Path(__file__).parent
FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def pick_ticket() -> int:
    """An open demo ticket whose thread shows every kind of entry and an attachment."""
    for row in listing.list_tickets("status:open,pending", limit=300):
        detail = tickets.get_ticket(row.id)
        kinds = {e.kind for e in detail.entries}
        if {EntryKind.NOTE, EntryKind.REPLY} <= kinds and any(
            e.attachments for e in detail.entries
        ):
            return row.id
    return listing.list_tickets("status:open", limit=1)[0].id


async def shoot(path: Path) -> None:
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        app.save_screenshot("queue.svg", str(HERE))
        app.screen.open_ticket(pick_ticket())
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        app.save_screenshot("ticket.svg", str(HERE))


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="deskterm-shots-")) / "demo.db"
    with clock.frozen_at(FROZEN):
        open_db(path)
        demo.seed_demo(seed=7)
        asyncio.run(shoot(path))
    print(f"wrote {HERE / 'queue.svg'} and {HERE / 'ticket.svg'}")


if __name__ == "__main__":
    main()
