"""Screenshots of the composer (attach with completion, mail preview) and the numbered,
counted views sidebar, from the real console on a fresh seed-7 demo database.

.venv/bin/python docs/screenshots/make_composer_screenshots.py
"""

from __future__ import annotations

from pathlib import Path

from shots import HERE, on_demo_desk, save, settle

from deskterm.app import make_app
from deskterm.services import directory
from deskterm.services.finding import listing, views


async def shoot(path: Path, work: Path) -> None:
    files = work / "files"
    files.mkdir()
    (files / "račun-studeni.pdf").write_bytes(b"%PDF-1.4\n")
    (files / "radni-nalog.txt").write_text("nalog\n")
    views.save_view(directory.actor_for("ana"), "Billing open", "status:open queue:billing")
    first = listing.list_tickets("status:open", limit=1)[0].id
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        save(app, "views-sidebar.svg")
        app.screen.open_ticket(first)
        await settle(pilot)
        await pilot.press("r", *"Poštovani, račun za studeni je u prilogu.")
        await pilot.press("ctrl+l")
        await settle(pilot)
        app.screen.query_one("#prompt-input").value = ""
        await pilot.press(*f"{files}/rač")
        await settle(pilot)
        save(app, "composer-attach.svg")
        await pilot.press("tab", "enter")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        save(app, "composer-preview.svg")


def main() -> None:
    on_demo_desk(shoot)
    print(f"wrote views-sidebar.svg, composer-attach.svg and composer-preview.svg in {HERE}")


if __name__ == "__main__":
    main()
