"""The CLI as a script sees it: JSON shapes, exit codes, one-line errors, pipelines."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.services import directory, tickets
from deskterm.services.trust import audit


@pytest.fixture
def run(desk):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args], input=input)

    return invoke


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_new_show_list_json_shapes(run):
    created = _json(
        run(
            "ticket",
            "new",
            "--subject",
            "Не работает VPN",
            "--requester",
            "ivan@example.ru",
            "--body",
            "Таймаут",
            "--queue",
            "general",
            "--tag",
            "vpn",
            "--json",
        )
    )
    assert created["subject"] == "Не работает VPN"
    assert created["status"] == "new"
    assert created["requester"]["email"] == "ivan@example.ru"
    assert created["entries"][0]["kind"] == "customer"
    shown = _json(run("ticket", "show", f"#{created['id']}", "--json"))
    assert shown["id"] == created["id"] and shown["tags"] == ["vpn"]
    rows = _json(run("ticket", "list", "--status", "new", "--json"))
    assert [r["id"] for r in rows] == [created["id"]]
    assert set(rows[0]) >= {
        "id",
        "subject",
        "status",
        "priority",
        "queue",
        "requester",
        "assignee",
        "updated_at",
        "tags",
    }


def test_reply_note_assign_status_change_and_events(run):
    t = _json(
        run(
            "ticket",
            "new",
            "--subject",
            "Pisač",
            "--requester",
            "tea@example.hr",
            "--body",
            "Ne radi",
            "--json",
        )
    )
    ref = str(t["id"])
    assert run("ticket", "reply", ref, "Pokušajte ponovno.", "--status", "pending").exit_code == 0
    assert run("ticket", "note", ref, "interno").exit_code == 0
    assert run("ticket", "assign", ref, "mirza").exit_code == 0
    after = _json(run("ticket", "show", ref, "--json"))
    assert after["status"] == "pending" and after["assignee"] == "mirza"
    assert [e["kind"] for e in after["entries"]] == ["customer", "reply", "note"]
    events = _json(run("ticket", "events", ref, "--json"))
    assert {e["actor"] for e in events} == {"agent:ana"}


def test_text_from_stdin(run):
    t = _json(
        run(
            "ticket",
            "new",
            "--subject",
            "S",
            "--requester",
            "a@example.com",
            "--body",
            "b",
            "--json",
        )
    )
    assert run("ticket", "reply", str(t["id"]), "-", input="Odgovor sa stdin-a\n").exit_code == 0
    assert tickets.get_ticket(t["id"]).entries[-1].body == "Odgovor sa stdin-a\n"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("ticket", "show", "4242"), 1, "no ticket #4242"),
        (("ticket", "show", "abc"), 2, "not a ticket reference"),
        (("ticket", "list", "--status", "bogus"), 2, "'bogus' is not one of"),
        (("ticket", "list", "--created-after", "the day after"), 2, "bad date"),
        (("ticket", "list", "-q", "colour:red"), 2, "unknown filter 'colour'"),
        (("ticket", "new", "--subject", " ", "--requester", "a@b.com"), 2, "subject is empty"),
        (("ticket", "new", "--subject", "x", "--requester", "nobody"), 2, "not an email"),
        (("ticket", "assign", "1", "ghost"), 1, "no ticket #1"),
        (("bulk", "close"), 2, "refusing to act on every ticket"),
    ],
)
def test_errors_are_one_line_with_meaningful_exit_codes(run, args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_status_on_a_real_ticket_with_bad_value(run):
    t = _json(
        run(
            "ticket",
            "new",
            "--subject",
            "S",
            "--requester",
            "a@example.com",
            "--body",
            "b",
            "--json",
        )
    )
    result = run("ticket", "status", str(t["id"]), "finished")
    assert result.exit_code == 2 and "bad status 'finished'" in result.stderr


def test_stale_version_refused(run):
    t = _json(
        run(
            "ticket",
            "new",
            "--subject",
            "S",
            "--requester",
            "a@example.com",
            "--body",
            "b",
            "--json",
        )
    )
    assert run("ticket", "priority", str(t["id"]), "high").exit_code == 0
    stale = run("ticket", "priority", str(t["id"]), "low", "--if-version", str(t["version"]))
    assert stale.exit_code == 1 and "changed since you loaded it" in stale.stderr


@pytest.fixture
def old_billing(run):
    ids = []
    with clock.frozen_at(clock.now() - timedelta(days=40)):
        for i in range(3):
            ids.append(
                tickets.create_ticket(
                    directory.actor_for("ana"),
                    subject=f"Račun {i}",
                    body="…",
                    requester_email=f"k{i}@example.ba",
                    queue="billing",
                ).id
            )
    return ids


def test_bulk_close_dry_run_then_yes(run, old_billing):
    dry = run("bulk", "close", "--queue", "billing", "--older-than", "30d", "--dry-run")
    assert dry.exit_code == 0 and "would close 3 ticket(s)" in dry.stdout
    assert all(tickets.get_ticket(i).status.value == "new" for i in old_billing)
    refused = run("bulk", "close", "--queue", "billing", "--older-than", "30d")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    done = _json(
        run("bulk", "close", "--queue", "billing", "--older-than", "30d", "--yes", "--json")
    )
    assert (done["matched"], done["changed"]) == (3, 3)
    for ticket_id in old_billing:
        last = audit.events_for(ticket_id)[-1]
        assert (last.actor, last.after) == ("agent:ana", "closed")


def test_refs_pipe_from_list_into_bulk(run, old_billing):
    listed = run("ticket", "list", "--queue", "billing", "--ids")
    assert listed.stdout.split() == [f"#{i}" for i in sorted(old_billing, reverse=True)]
    result = run("bulk", "set", "-", "--add-tag", "q4", "--yes", input=listed.stdout)
    assert result.exit_code == 0
    assert all(tickets.get_ticket(i).tags == ("q4",) for i in old_billing)


def test_search_json(run, old_billing):
    rows = _json(run("search", "račun", "--json"))
    assert sorted(r["id"] for r in rows) == sorted(old_billing)


def test_every_command_has_help(run):
    from typer.main import get_command

    root = get_command(app)
    missing = []

    def walk(group, path):
        for name, command in group.commands.items():
            if not (command.help or "").strip():
                missing.append(" ".join([*path, name]))
            if hasattr(command, "commands"):
                walk(command, [*path, name])

    walk(root, [])
    assert missing == []


def test_db_upgrade_and_info(run):
    assert "up to date" in run("db", "upgrade").stdout
    info = _json(run("db", "info", "--json"))
    assert info["tickets"] == 0 and info["schema_version"] >= 2


def test_attachment_round_trip_and_canned_delete_json(run, tmp_path):
    source = tmp_path / "račun.pdf"
    source.write_bytes(b"%PDF-1.4 ...")
    t = _json(run("ticket", "new", "--subject", "S", "--requester", "a@example.com",
                  "--body", "b", "--attach", str(source), "--json"))
    [att] = t["entries"][0]["attachments"]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    saved = _json(run("ticket", "save-attachment", str(att["id"]), str(out_dir), "--json"))
    assert (out_dir / "račun.pdf").read_bytes() == source.read_bytes()
    assert saved["path"].endswith("račun.pdf")
    _json(run("canned", "add", "Pozdrav", "--body", "Zdravo {requester.first_name}", "--json"))
    gone = _json(run("canned", "delete", "Pozdrav", "--json"))
    assert gone["deleted"]["title"] == "Pozdrav"
    assert run("canned", "delete", "Pozdrav").exit_code == 1


def test_command_lists_in_help_show_each_summary_as_running_text():
    # Typer's rich help kept the docstrings' line breaks in a group's list of commands:
    # "(anyone who may" / "read the ticket)" on two rows even on a wide terminal.
    wide = {"COLUMNS": "220", "TERMINAL_WIDTH": "220"}
    top = CliRunner().invoke(app, ["--help"], env=wide).stdout
    assert ("Show audit events, oldest first: a ticket's trail (anyone who may read the "
            "ticket) or the desk's, by agent or time") in top
    agent = CliRunner().invoke(app, ["agent", "--help"], env=wide).stdout
    assert ("Disable an agent (admins only): they can do nothing; their open tickets show in "
            "the built-in view \"Needs reassignment\".") in agent


def test_canned_reply_found_by_its_title_in_any_case(run):
    _json(run("canned", "add", "Хвала за чекање", "--body",
              "Здраво {requester.first_name}, хвала на стрпљењу.", "--json"))
    made = _json(run("ticket", "new", "--subject", "Штампач", "--requester",
                     "jovana@example.rs", "--name", "Јована Петровић", "--body", "Не ради.",
                     "--json"))
    replied = _json(run("ticket", "reply", str(made["id"]), "--canned", "ХВАЛА ЗА ЧЕКАЊЕ",
                        "--json"))
    assert replied["entries"][-1]["body"] == "Здраво Јована, хвала на стрпљењу."
    # two titles that differ only in case: the exact one still answers, any other spelling
    # is refused with both names
    _json(run("canned", "add", "хвала за чекање", "--body", "Хвала!", "--json"))
    exact = _json(run("ticket", "reply", str(made["id"]), "--canned", "хвала за чекање",
                      "--json"))
    assert exact["entries"][-1]["body"] == "Хвала!"
    unclear = run("ticket", "reply", str(made["id"]), "--canned", "Хвала За Чекање")
    assert unclear.exit_code == 2
    assert unclear.output.strip() == (
        "deskterm: error: canned reply 'Хвала За Чекање' could be 'Хвала за чекање', "
        "'хвала за чекање': give its exact title or id"
    )
    assert len(_json(run("ticket", "show", str(made["id"]), "--json"))["entries"]) == 3
