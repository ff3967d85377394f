"""The running timer: one per agent, persisted, and stopping it logs `ticket time` minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.domain import BadInput, NotFound
from deskterm.services import directory, tickets, timers
from deskterm.store.db import open_db
from deskterm.store.models import Event, TimeEntry

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def two(desk):
    ana = directory.actor_for("ana")
    a = tickets.create_ticket(ana, subject="Printer", body="jammed", requester_email="i@x.hr")
    b = tickets.create_ticket(ana, subject="VPN", body="down", requester_email="j@x.hr")
    return ana, a.id, b.id


def test_start_stop_logs_rounded_up_minutes(two):
    ana, a, _ = two
    with clock.frozen_at(T0):
        timer, stopped = timers.start_timer(ana, a)
    assert (timer.ticket_id, timer.subject, timer.started_at, stopped) == (a, "Printer", T0, None)
    with clock.frozen_at(T0 + timedelta(minutes=12, seconds=1)):
        result = timers.stop_timer(ana, "diagnosis")
    assert result.minutes == 13
    assert tickets.time_spent(a) == 13
    entry = TimeEntry.get()
    assert (entry.minutes, entry.note, entry.agent.username) == (13, "diagnosis", "ana")
    assert timers.running_timer("ana") is None
    actions = [e.action for e in Event.select().where(Event.ticket == a).order_by(Event.id)]
    assert actions[-2:] == ["timer_started", "time"]


def test_one_timer_per_agent_start_elsewhere_stops_the_first(two):
    ana, a, b = two
    with clock.frozen_at(T0):
        timers.start_timer(ana, a)
    with clock.frozen_at(T0 + timedelta(minutes=5)):
        timer, stopped = timers.start_timer(ana, b)
    assert timer.ticket_id == b
    assert (stopped.timer.ticket_id, stopped.minutes) == (a, 5)
    assert tickets.time_spent(a) == 5 and tickets.time_spent(b) == 0
    with pytest.raises(BadInput, match="already running on #"):
        timers.start_timer(ana, b)
    # another agent has their own timer
    mirza = directory.actor_for("mirza")
    timers.start_timer(mirza, b)
    assert timers.running_timer("ana").ticket_id == b
    assert timers.running_timer("mirza").ticket_id == b


def test_timer_survives_reopening_the_database(two, desk):
    ana, a, _ = two
    with clock.frozen_at(T0):
        timers.start_timer(ana, a)
    open_db(desk)  # a restart: a new connection to the same file
    assert timers.running_timer("ana").started_at == T0


def test_toggle_discard_and_errors(two):
    ana, a, _ = two
    running, stopped = timers.toggle_timer(ana, a)
    assert running.ticket_id == a and stopped is None
    running, stopped = timers.toggle_timer(ana, a)
    assert running is None and stopped.minutes == 1  # a started minute counts
    timers.start_timer(ana, a)
    assert timers.discard_timer(ana).ticket_id == a
    assert tickets.time_spent(a) == 1
    with pytest.raises(NotFound, match="no timer is running"):
        timers.stop_timer(ana)
    with pytest.raises(NotFound, match="no ticket #999"):
        timers.start_timer(ana, 999)


def test_cli_timer_commands(two, desk):
    _, a, _ = two
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args])

    shown = run("timer", "show")
    assert (shown.exit_code, shown.stdout) == (1, "no timer is running\n")
    started = run("timer", "start", f"#{a}")
    assert (started.exit_code, started.stdout) == (0, f"timer started on #{a}\n")
    shown = run("timer", "show", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["ticket_id"] == a
    text = run("timer", "show").stdout
    assert text.startswith(f"#{a} Printer: 0:00:0") and text.endswith(" +00:00\n")
    again = run("timer", "start", str(a))
    assert again.exit_code == 2 and f"already running on #{a}" in again.stderr
    stopped = run("timer", "stop", "--note", "call", "--json")
    body = json.loads(stopped.stdout)
    assert (body["minutes"], body["timer"]["ticket_id"]) == (1, a)
    assert tickets.time_spent(a) == 1
    assert run("timer", "stop").exit_code == 1
    run("timer", "start", str(a))
    discarded = run("timer", "discard")
    assert discarded.stdout == f"timer on #{a} discarded, nothing logged\n"
    assert run("timer", "discard", "--json").exit_code == 1
    started = run("timer", "start", str(a), "--json")
    assert json.loads(started.stdout)["stopped"] is None
    assert run("timer", "stop").stdout == f"logged 1 min on #{a}\n"


def test_an_observer_may_not_start_a_timer(two):
    from deskterm.domain import Actor, Refused

    _, a, _ = two
    directory.create_agent(Actor.system(), "olga", "Olga", role="observer")
    with pytest.raises(Refused, match="olga"):
        timers.start_timer(directory.actor_for("olga"), a)
    assert timers.running_timer("olga") is None


@pytest.mark.parametrize(("typed", "minutes"), [("15", 15), ("1h30", 90), ("2h", 120),
                                                ("1h 5m", 65), ("45m", 45)])
def test_ticket_time_takes_what_the_consoles_time_spent_prompt_takes(two, desk, typed, minutes):
    _, a, _ = two
    result = CliRunner().invoke(app, ["--db", str(desk), "--as", "ana", "ticket", "time",
                                      str(a), typed])
    assert (result.exit_code, result.stdout) == (0, f"logged {minutes} min on #{a}\n")
    assert tickets.time_spent(a) == minutes


@pytest.mark.parametrize(("typed", "error"), [
    ("0", "bad time '0': between 1 minute and 31 days"),
    ("1h30x", "bad time '1h30x': minutes (15), or hours and minutes (1h30)"),
    ("", "bad time '': minutes (15), or hours and minutes (1h30)"),
])
def test_ticket_time_refuses_a_bad_time_in_one_line(two, desk, typed, error):
    _, a, _ = two
    result = CliRunner().invoke(app, ["--db", str(desk), "--as", "ana", "ticket", "time",
                                      str(a), typed])
    assert (result.exit_code, result.stderr) == (2, f"deskterm: error: {error}\n")
    assert tickets.time_spent(a) == 0
