"""Snapshots of the queue, ticket and canned-replies screens at 120x40.

Deterministic: the demo is seeded (seed 7) and the app runs with the clock frozen at
one instant, so relative times, SLA clocks and ids are the same on every run.
Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskterm import clock, paths
from deskterm.app import make_app
from deskterm.domain import EntryKind
from deskterm.store.db import db, open_db

FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SIZE = (120, 40)
_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def frozen_demo(tmp_path, tmp_path_factory) -> Path:
    """A copy of a demo database seeded at a frozen instant (seeded once per session)."""
    from deskterm.services.demo import seed_demo

    if "path" not in _TEMPLATE:
        template = tmp_path_factory.mktemp("frozen-demo") / "demo.db"
        open_db(template)
        with clock.frozen_at(FROZEN):
            seed_demo(seed=7, tickets=300)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        _TEMPLATE["path"] = template
    target = tmp_path / "demo.db"
    shutil.copy(_TEMPLATE["path"], target)
    files = paths.attachments_dir(_TEMPLATE["path"])
    if files.exists():
        shutil.copytree(files, paths.attachments_dir(target))
    return target


@pytest.fixture
def frozen():
    with clock.frozen_at(FROZEN):
        yield


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _ticket_with_note_and_attachment() -> int:
    """The newest open ticket whose thread has a note, an attachment and a reply (demo data)."""
    from deskterm.services import listing, tickets

    best = None
    for row in listing.list_tickets("status:new,open,pending", limit=300):
        detail = tickets.get_ticket(row.id)
        kinds = {e.kind for e in detail.entries}
        has_file = any(e.attachments for e in detail.entries)
        if EntryKind.NOTE in kinds and EntryKind.REPLY in kinds and has_file:
            return row.id
        if best is None and EntryKind.NOTE in kinds:
            best = row.id
    assert best is not None, "the demo should have a ticket with an internal note"
    return best


def test_queue_screen(snap_compare, frozen_demo, frozen):
    app = make_app(frozen_demo, "ana", watch_interval=None)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_queue_screen_with_selection(snap_compare, frozen_demo, frozen):
    app = make_app(frozen_demo, "ana", watch_interval=None)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("x", "j", "x")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ticket_screen(snap_compare, frozen_demo, frozen):
    app = make_app(frozen_demo, "ana", watch_interval=None)
    ticket_id = _ticket_with_note_and_attachment()

    async def run_before(pilot) -> None:
        await _settle(pilot)
        pilot.app.screen.open_ticket(ticket_id)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_canned_replies_screen(snap_compare, frozen_demo, frozen):
    app = make_app(frozen_demo, "ana", watch_interval=None)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("C")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
