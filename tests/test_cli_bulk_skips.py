"""Bulk results say which tickets were skipped and why, in the text and the JSON, in the
dry run and the real run alike; and the CLI draws only glyphs plain terminals have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm import wgl4
from deskterm.cli import app, render
from deskterm.domain import Actor, Priority, Status
from deskterm.services import tickets
from deskterm.services.attachments import from_path

SYSTEM = Actor.system("test")


@pytest.fixture
def run(desk):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args], input=input)

    for i in range(1, 9):
        tickets.create_ticket(SYSTEM, subject=f"t{i}", body="b", queue="general",
                              requester_email=f"c{i}@example.com")
    tickets.set_status(SYSTEM, 2, "closed")
    tickets.set_status(SYSTEM, 4, "pending")
    return invoke


def _ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def test_the_dry_run_and_the_run_name_the_skipped_tickets_and_why(run):
    refs = [str(i) for i in range(1, 9)]
    dry = _ok(run("bulk", "set", *refs, "--set-status", "pending", "--dry-run"))
    assert dry.splitlines()[0] == (
        "would change 6 of 8 ticket(s) (dry run, nothing changed); "
        "#2 closed, #4 already pending"
    )
    assert tickets.get_ticket(1).status is Status.NEW  # nothing changed
    done = _ok(run("bulk", "set", *refs, "--set-status", "pending", "--yes"))
    assert done == "change: 6 of 8 ticket(s) changed; #2 closed, #4 already pending\n"
    assert [tickets.get_ticket(i).status for i in (1, 3, 5, 6, 7, 8)] == [Status.PENDING] * 6


def test_the_json_result_lists_the_skipped_with_reasons(run):
    result = json.loads(_ok(run("bulk", "set", "1", "2", "4", "99", "--set-status", "pending",
                                "--set-priority", "high", "--yes", "--json")))
    assert (result["matched"], result["changed"], result["ticket_ids"]) == (2, 2, [1, 4])
    assert result["skipped"] == [
        {"ticket_id": 2, "ref": "#2", "reason": "closed"},
        {"ticket_id": 99, "ref": "#99", "reason": "no such ticket"},
    ]
    again = json.loads(_ok(run("bulk", "set", "1", "4", "--set-status", "pending",
                               "--set-priority", "high", "--yes", "--json")))
    assert again["changed"] == 0
    assert again["skipped"] == [
        {"ticket_id": 1, "ref": "#1", "reason": "already pending, high"},
        {"ticket_id": 4, "ref": "#4", "reason": "already pending, high"},
    ]
    assert tickets.get_ticket(4).priority is Priority.HIGH


def test_refs_off_the_filter_and_unchanged_tags_and_assignees(run):
    tickets.add_tags(SYSTEM, 3, ["vip"])
    tickets.assign(SYSTEM, 5, "mirza")
    out = _ok(run("bulk", "set", "3", "5", "6", "--tag", "vip", "--add-tag", "vip", "--yes"))
    assert out == (
        "change: 0 of 3 ticket(s) changed; #3 already tagged vip, "
        "#5 not matched by the filter, #6 not matched by the filter\n"
    )
    out = _ok(run("bulk", "set", "3", "5", "--assign", "mirza", "--yes"))
    assert out == "change: 1 of 2 ticket(s) changed; #5 already assigned to mirza\n"
    out = _ok(run("bulk", "set", "3", "--remove-tag", "spam", "--unassign", "--dry-run"))
    assert out.splitlines()[0] == (
        "would change 1 ticket(s) (dry run, nothing changed)"
    )


def test_many_skipped_tickets_go_in_a_table(run):
    for i in range(9, 21):
        tickets.create_ticket(SYSTEM, subject=f"t{i}", body="b", queue="general",
                              requester_email=f"c{i}@example.com", priority="high")
    out = _ok(run("bulk", "set", "--priority", "high", "--set-priority", "high", "--yes"))
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0] == "change: 0 of 12 ticket(s) changed; 12 skipped:"
    assert lines[1].split() == ["Skipped", "│", "Why"]
    assert [line.split("│")[0].strip() for line in lines[3:]] == [f"#{i}" for i in range(9, 21)]
    assert {line.split("│")[1].strip() for line in lines[3:]} == {"already high"}


# --- glyphs --------------------------------------------------------------------------------


def test_ticket_show_and_tables_draw_only_wgl4_glyphs(run, tmp_path: Path):
    note = tmp_path / "log.txt"
    note.write_text("hello", encoding="utf-8")
    tickets.attach(SYSTEM, 1, [from_path(note)])
    shown = _ok(run("ticket", "show", "1"))
    assert "+ [1] log.txt (5 B)" in shown
    assert "📎" not in shown
    listed = _ok(run("ticket", "list"))
    dry = _ok(run("bulk", "set", "1", "--set-priority", "high", "--dry-run"))
    for output in (shown, listed, dry):
        assert wgl4.unsafe(output) == set(), output
    assert wgl4.unsafe("".join(render.GLYPHS)) == set()


def test_cli_sources_follow_the_glyph_rule():
    root = Path(__file__).parents[1] / "deskterm" / "cli"
    bad = {p.name: found for p in root.glob("*.py")
           if (found := wgl4.unsafe(p.read_text(encoding="utf-8")))}
    assert bad == {}
