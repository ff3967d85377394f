"""Snapshots of the queue, ticket and canned-replies screens at 120x40, and of the queue
and ticket screens at 80x24 and 160x45 (Persian, Russian and Bosnian text).

Deterministic: the desk is built here through the services with listeners muted (so
SLA, rules and mail changes elsewhere do not move the pixels) and the clock frozen, so
relative times and ids are the same on every run.
Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskterm import clock, paths
from deskterm.app import make_app
from deskterm.domain import Actor as _Actor
from deskterm.domain import NewAttachment
from deskterm.services import canned, directory, signals, tickets
from deskterm.services.trust import identity
from deskterm.store.db import db, open_db

SETUP = _Actor.system("test")

FROZEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SIZE = (120, 40)
_TEMPLATE: dict[str, Path] = {}

PEOPLE = [
    ("Amra Hadžić", "amra.hadzic@example.ba"),
    ("Дмитрий Иванов", "dmitrij@example.ru"),
    ("Maryam Rahimi", "maryam@example.ir"),
    ("Tomislav Novak", "tomislav@example.hr"),
    ("Edin Delić", "edin@example.com"),
]
SUBJECTS = [
    ("billing", "Račun za novembar nije stigao"),
    ("technical", "Не работает VPN после обновления"),
    ("billing", "فاکتور این ماه اشتباه است"),
    ("technical", "Printer does not print after the update"),
    ("general", "Ponuda za dodatne licence"),
    ("general", "Password reset link expired"),
]
STATES = ["new", "open", "pending", "open", "on_hold", "new", "resolved", "closed"]
PRIORITIES = ["normal", "high", "low", "urgent", "normal", "normal"]


def build_desk() -> int:
    """Fill the open database with a small desk; return the ref of the richest ticket."""
    with signals.muted():
        directory.create_team(SETUP, "tier1", "Tier 1")
        for slug, name in (
            ("general", "General"),
            ("technical", "Technical"),
            ("billing", "Billing"),
        ):
            directory.create_queue(SETUP, slug, name, team="tier1")
        for username, name in (
            ("ana", "Ana Anić"),
            ("mirza", "Mirza Hodžić"),
            ("lejla", "Lejla Begić"),
        ):
            directory.create_agent(
                SETUP, username, name, timezone="Europe/Sarajevo", teams=("tier1",)
            )
        identity.map_os_user_to_admin("ana")  # the OS user running the tests is ana
        canned.save_canned(
            SETUP,
            "Need more information",
            "Hi {requester.first_name},\n\nto move {ticket.ref} forward we need "
            "a bit more information.\n\n{agent.name}",
            set_status="pending",
            add_tags=("waiting-info",),
        )
        canned.save_canned(
            SETUP,
            "Pozdrav i potvrda",
            "Poštovani {requester.first_name},\n\nvaš zahtjev {ticket.ref} je "
            "zaprimljen.\n\n{agent.name}",
        )
        canned.save_canned(
            SETUP, "Riješeno", "Zahtjev {ticket.ref} je riješen.", set_status="resolved"
        )
        directory.update_contact(
            PEOPLE[0][1], name=PEOPLE[0][0], phone="+387 61 123 456", contract_no="UG-2026-0042"
        )
        agents = [directory.actor_for(a) for a in ("ana", "mirza", "lejla")]
        for i in range(40):
            at = FROZEN - timedelta(hours=7 * (40 - i))
            queue, subject = SUBJECTS[i % len(SUBJECTS)]
            name, email = PEOPLE[i % len(PEOPLE)]
            with clock.frozen_at(at):
                detail = tickets.create_ticket(
                    agents[0],
                    subject=subject,
                    body=f"{subject}. Molim pomoć.",
                    requester_email=email,
                    requester_name=name,
                    queue=queue,
                    priority=PRIORITIES[i % len(PRIORITIES)],
                    channel="email",
                )
            agent = agents[i % 3]
            with clock.frozen_at(at + timedelta(hours=1)):
                if i % 4:
                    tickets.assign(agent, detail.id, agent.name)
                state = STATES[i % len(STATES)]
                if state != "new":
                    tickets.set_status(agent, detail.id, state)
        with clock.frozen_at(FROZEN - timedelta(hours=5)):
            rich = tickets.create_ticket(
                agents[0],
                subject="Pisač ne ispisuje nakon ažuriranja",
                body="Nakon jučerašnjeg ažuriranja pisač u uredu ne ispisuje ništa. Greška 0x6d.",
                requester_email=PEOPLE[0][1],
                queue="technical",
                priority="high",
                channel="email",
            ).id
            tickets.assign(agents[1], rich, "mirza")
        with clock.frozen_at(FROZEN - timedelta(hours=3)):
            tickets.add_customer_message(
                agents[0],
                rich,
                body="Evo snimka ekrana s greškom.",
                from_email=PEOPLE[0][1],
                attachments=[NewAttachment("snimak-ekrana.png", "image/png", b"\x89PNG" * 600)],
            )
        with clock.frozen_at(FROZEN - timedelta(hours=2)):
            tickets.reply(agents[1], rich, "Hvala Amra, gledamo logove i javljamo se danas.")
            tickets.add_tags(agents[1], rich, ["vip", "printer"])
            tickets.add_follower(agents[1], rich, "sef@example.com", "Šef Odjela")
        with clock.frozen_at(FROZEN - timedelta(hours=1)):
            tickets.add_note(
                agents[1], rich, "Greška je na print serveru. @lejla možeš li restartati spooler?"
            )
        with clock.frozen_at(FROZEN - timedelta(minutes=40)):
            persian = tickets.create_ticket(
                agents[0],
                subject="ایمیل‌ها به صندوق ورودی نمی‌رسند",
                body=(
                    "سلام، از دیروز ایمیل‌های مشتریان به صندوق ورودی ما نمی‌رسند. "
                    "لطفاً بررسی کنید؛ خطای 550 در گزارش‌ها دیده می‌شود."
                ),
                requester_email=PEOPLE[2][1],
                requester_name=PEOPLE[2][0],
                queue="technical",
                priority="urgent",
                channel="email",
            ).id
        with clock.frozen_at(FROZEN - timedelta(minutes=20)):
            tickets.reply(agents[2], persian, "Поняли, смотрим журнал почтового сервера. Hvala!")
    _TEMPLATE["persian"] = persian
    return rich


@pytest.fixture
def desk_copy(tmp_path, tmp_path_factory) -> tuple[Path, int]:
    """A copy of the snapshot desk (built once per session)."""
    if "path" not in _TEMPLATE:
        template = tmp_path_factory.mktemp("snapshot-desk") / "desk.db"
        open_db(template)
        with clock.frozen_at(FROZEN):
            _TEMPLATE["rich"] = build_desk()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        _TEMPLATE["path"] = template
    target = tmp_path / "desk.db"
    shutil.copy(_TEMPLATE["path"], target)
    files = paths.attachments_dir(_TEMPLATE["path"])
    if files.exists():
        shutil.copytree(files, paths.attachments_dir(target))
    return target, _TEMPLATE["rich"]


@pytest.fixture
def frozen():
    with clock.frozen_at(FROZEN):
        yield


async def _settle(pilot) -> None:
    """Let workers, and the timers that start more of them, finish (a loaded CI is slow)."""
    for _ in range(5):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_queue_screen(snap_compare, desk_copy, frozen):
    app = make_app(desk_copy[0], "ana", watch_interval=None)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_queue_screen_with_selection(snap_compare, desk_copy, frozen):
    app = make_app(desk_copy[0], "ana", watch_interval=None)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("x", "j", "x")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ticket_screen(snap_compare, desk_copy, frozen):
    app = make_app(desk_copy[0], "ana", watch_interval=None)
    ticket_id = desk_copy[1]

    async def run_before(pilot) -> None:
        await _settle(pilot)
        pilot.app.screen.open_ticket(ticket_id)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_queue_screen_sizes(snap_compare, desk_copy, frozen, size):
    """Persian (with ZWNJ), Russian and Bosnian rows, columns dropped by priority at 80."""
    app = make_app(desk_copy[0], "ana", watch_interval=None)
    assert snap_compare(app, terminal_size=size, run_before=_settle)


@pytest.mark.parametrize(
    "which,size",
    [
        pytest.param("bosnian", (80, 24), id="bosnian-80x24"),
        pytest.param("bosnian", (160, 45), id="bosnian-160x45"),
        pytest.param("persian", (80, 24), id="persian-80x24"),
        pytest.param("persian", (160, 45), id="persian-160x45"),
    ],
)
def test_ticket_screen_sizes(snap_compare, desk_copy, frozen, size, which):
    app = make_app(desk_copy[0], "ana", watch_interval=None)
    ticket_id = desk_copy[1] if which == "bosnian" else _TEMPLATE["persian"]

    async def run_before(pilot) -> None:
        await _settle(pilot)
        pilot.app.screen.open_ticket(ticket_id)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_canned_replies_screen(snap_compare, desk_copy, frozen):
    app = make_app(desk_copy[0], "ana", watch_interval=None)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("C")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
