"""Regenerate the README screenshots from the real console on a fresh demo database.

.venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

from pathlib import Path

from shots import HERE, on_demo_desk, save, settle

from deskterm.app import make_app
from deskterm.domain import EntryKind
from deskterm.services import tickets
from deskterm.services.finding import listing


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


async def shoot(path: Path, _work: Path) -> None:
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
    on_demo_desk(shoot)
    print(f"wrote queue, ticket, help and the 80x24 screenshots in {HERE}")


if __name__ == "__main__":
    main()
