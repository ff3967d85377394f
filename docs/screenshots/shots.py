"""What the screenshot scripts share: a frozen clock, a fresh seed-7 demo desk, waiting for
the console to settle, and saving an SVG a browser shows as the terminal draws it."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from deskterm import clock
from deskterm.services import demo
from deskterm.store.db import open_db

HERE = Path(__file__).parent
FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NO_BROWSER_BIDI = "text { unicode-bidi: bidi-override; direction: ltr; }\n"


async def settle(pilot) -> None:
    """Let the screen's workers finish and the screen repaint."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def save(app, name: str) -> None:
    """Save an SVG screenshot that a browser shows cell by cell, as the terminal draws it.

    The console already puts right-to-left text in visual order; without the override a
    browser would reorder it a second time.
    """
    app.save_screenshot(name, str(HERE))
    path = HERE / name
    svg = path.read_text(encoding="utf-8")
    path.write_text(svg.replace("<style>", f"<style>{NO_BROWSER_BIDI}", 1), encoding="utf-8")


def on_demo_desk(shoot: Callable[[Path, Path], Awaitable[None]]) -> Path:
    """Seed a fresh demo desk at the frozen time in a temporary folder and run `shoot(db,
    work)` there (`work` is the folder, for any files a script needs)."""
    work = Path(tempfile.mkdtemp(prefix="deskterm-shots-"))
    with clock.frozen_at(FROZEN):
        open_db(work / "demo.db")
        demo.seed_demo(seed=7)
        asyncio.run(shoot(work / "demo.db", work))
    return work
