"""`--if-version N` on every command that changes a ticket: a stale version is refused in
one line naming both versions, exit 1, and nothing is written, even when the new value
equals the current one; the current version lets the change through."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.services import directory, tickets
from deskterm.store.models import Event, Ticket


@pytest.fixture
def run(desk, tmp_path):
    runner = CliRunner()
    (tmp_path / "log.txt").write_text("the log\n", encoding="utf-8")

    def invoke(*args):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args])

    return invoke


def _ticket(**extra) -> int:
    ana = directory.actor_for("ana")
    return tickets.create_ticket(
        ana, subject="Printer", body="broken", requester_email="tea@example.hr",
        queue="general", **extra,
    ).id


def _other() -> int:
    ana = directory.actor_for("ana")
    return tickets.create_ticket(
        ana, subject="Printer again", body="still", requester_email="tea@example.hr",
        queue="general",
    ).id


def _stale(ticket_id: int) -> tuple[int, int]:
    """Move the ticket on by one change (a note); return (the old version, the new one)."""
    old = Ticket.get_by_id(ticket_id).version
    tickets.add_note(directory.actor_for("mirza"), ticket_id, "meanwhile")
    return old, Ticket.get_by_id(ticket_id).version


def _snapshot(ticket_id: int) -> tuple[int, int]:
    return Ticket.get_by_id(ticket_id).version, Event.select().count()


#: command name -> (arguments after the ref, given the tmp_path), each a real change
CHANGES = {
    "move": lambda tmp: ["move", "{ref}", "billing"],
    "tag": lambda tmp: ["tag", "{ref}", "vip"],
    "untag": lambda tmp: ["tag", "{ref}", "old", "--remove"],
    "follow": lambda tmp: ["follow", "{ref}", "boss@example.hr"],
    "unfollow": lambda tmp: ["follow", "{ref}", "cc@example.hr", "--remove"],
    "merge": lambda tmp: ["merge", "{ref}", "{other}"],
    "snooze": lambda tmp: ["snooze", "{ref}", "in 3 days"],
    "attach": lambda tmp: ["attach", "{ref}", str(tmp / "log.txt")],
    "time": lambda tmp: ["time", "{ref}", "15"],
    "priority": lambda tmp: ["priority", "{ref}", "high"],
    "status": lambda tmp: ["status", "{ref}", "pending"],
    "assign": lambda tmp: ["assign", "{ref}", "mirza"],
    "reply": lambda tmp: ["reply", "{ref}", "On it."],
    "note": lambda tmp: ["note", "{ref}", "Looked."],
}


def _args(name: str, tmp_path, ref: int, other: int) -> list[str]:
    return [a.format(ref=ref, other=other) for a in CHANGES[name](tmp_path)]


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_stale_version_is_refused_and_nothing_is_written(run, tmp_path, name):
    ref = _ticket(tags=["old"], followers=["cc@example.hr"])
    other = _other()
    old, now = _stale(ref)
    before = _snapshot(ref)
    result = run("ticket", *_args(name, tmp_path, ref, other), "--if-version", str(old))
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"deskterm: error: ticket #{ref} changed since you loaded it "
        f"(version {old}, now {now}); reload and try again\n"
    )
    assert result.stdout == ""
    assert _snapshot(ref) == before
    assert Ticket.get_by_id(other).version == 1  # a refused merge left the target alone


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_current_version_lets_the_change_through(run, tmp_path, name):
    ref = _ticket(tags=["old"], followers=["cc@example.hr"])
    other = _other()
    _, now = _stale(ref)
    result = run(
        "ticket", *_args(name, tmp_path, ref, other), "--if-version", str(now), "--json"
    )
    assert result.exit_code == 0, result.output
    changed = json.loads(result.stdout)
    shown = other if name == "merge" else ref
    assert changed["id"] == shown
    assert Ticket.get_by_id(ref).version > now


#: changes whose new value is the ticket's current value (nothing to change)
SAME_VALUE = {
    "move": ["move", "{ref}", "general"],
    "tag": ["tag", "{ref}", "old"],
    "untag": ["tag", "{ref}", "never-there", "--remove"],
    "follow": ["follow", "{ref}", "cc@example.hr"],
    "priority": ["priority", "{ref}", "normal"],
    "status": ["status", "{ref}", "new"],
    "assign": ["assign", "{ref}", "none"],
}


@pytest.mark.parametrize("name", list(SAME_VALUE))
def test_a_stale_version_is_refused_even_when_nothing_would_change(run, name):
    ref = _ticket(tags=["old"], followers=["cc@example.hr"])
    old, now = _stale(ref)
    before = _snapshot(ref)
    args = [a.format(ref=ref) for a in SAME_VALUE[name]]
    result = run("ticket", *args, "--if-version", str(old))
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"deskterm: error: ticket #{ref} changed since you loaded it "
        f"(version {old}, now {now}); reload and try again\n"
    )
    assert _snapshot(ref) == before
    # With the current version the same command is a quiet no-op.
    assert run("ticket", *args, "--if-version", str(now)).exit_code == 0
    assert _snapshot(ref) == before


def test_merge_checks_the_target_version_too(run):
    source, target = _ticket(), _other()
    old, now = _stale(target)
    before = _snapshot(source), _snapshot(target)
    result = run(
        "ticket", "merge", str(source), str(target), "--if-target-version", str(old)
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"deskterm: error: ticket #{target} changed since you loaded it "
        f"(version {old}, now {now}); reload and try again\n"
    )
    assert (_snapshot(source), _snapshot(target)) == before
    done = run(
        "ticket", "merge", str(source), str(target), "--if-version", "1",
        "--if-target-version", str(now),
    )
    assert done.exit_code == 0, done.output
    assert Ticket.get_by_id(source).merged_into_id == target


def test_a_stale_version_under_json_is_a_conflict(run):
    ref = _ticket()
    old, _ = _stale(ref)
    result = run("ticket", "tag", str(ref), "vip", "--if-version", str(old), "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)
    assert (error["code"], error["kind"]) == (1, "conflict")
