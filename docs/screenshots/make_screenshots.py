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
from deskterm.services import demo, tickets
from deskterm.services.finding import listing
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


def save(app, name: str) -> None:
    """Save an SVG screenshot that a browser shows cell by cell, as the terminal draws it.

    The console already puts right-to-left text in visual order; without the override a
    browser would reorder it a second time.
    """
    app.save_screenshot(name, str(HERE))
    path = HERE / name
    svg = path.read_text(encoding="utf-8")
    path.write_text(svg.replace("<style>", f"<style>{NO_BROWSER_BIDI}", 1), encoding="utf-8")


NO_BROWSER_BIDI = "text { unicode-bidi: bidi-override; direction: ltr; }\n"


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()


async def shoot(path: Path) -> None:
    ticket_id = pick_ticket()
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        save(app, "queue.svg")
        app.screen.open_ticket(ticket_id)
        await settle(pilot)
        save(app, "ticket.svg")
        await pilot.press("question_mark")
        await settle(pilot)
        save(app, "help.svg")
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        save(app, "queue-80x24.svg")
        app.screen.open_ticket(ticket_id)
        await settle(pilot)
        save(app, "ticket-80x24.svg")


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="deskterm-shots-")) / "demo.db"
    with clock.frozen_at(FROZEN):
        open_db(path)
        demo.seed_demo(seed=7)
        asyncio.run(shoot(path))
    print(f"wrote queue, ticket, help and the 80x24 screenshots in {HERE}")


if __name__ == "__main__":
    main()
