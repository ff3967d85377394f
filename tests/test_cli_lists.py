"""Every listing command prints through one mechanism (cli/lists.py): --format
table|json|csv|ids (--json, --ids), --columns, --limit/--all, the capped notice, --utc.

Exact outputs on a desk built by hand at a frozen instant; every listing command swept on
the demo desk.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.services import directory, tickets
from deskterm.services.messaging import mailbox

SYSTEM = Actor.system("test")
#: 2026-12-01 13:05 UTC is 14:05 in Zagreb (+01:00 in December) and 16:35 in Tehran.
CREATED = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)


@pytest.fixture
def run(desk):
    runner = CliRunner()
    directory.update_agent(SYSTEM, "ana", timezone="Europe/Zagreb")

    def invoke(*args, input=None):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args], input=input)

    with clock.frozen_at(CREATED):
        for i, (subject, who) in enumerate(
            [("Pisač ne radi", "Tea Tomić"), ("Не работает VPN", "Ivan Petrov"),
             ("فاکتور", "Reza Karimi")]
        ):
            tickets.create_ticket(SYSTEM, subject=subject, body="b", queue="general",
                                  requester_email=f"c{i}@example.com", requester_name=who)
    return invoke


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def _ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def test_ticket_list_table_in_the_agents_zone_and_in_utc(run):
    table = [
        " Ref │ Status │ Priority │ Subject         │ Requester   │ Queue   │ Assignee │ Updated",
        "─────┼────────┼──────────┼─────────────────┼─────────────┼─────────┼──────────┼─────────────────────────",
        " #3  │ new    │ normal   │ فاکتور          │ Reza Karimi │ general │ -        │ 2026-12-01 14:05 +01:00",  # noqa: E501
        " #2  │ new    │ normal   │ Не работает VPN │ Ivan Petrov │ general │ -        │ 2026-12-01 14:05 +01:00",  # noqa: E501
        " #1  │ new    │ normal   │ Pisač ne radi   │ Tea Tomić   │ general │ -        │ 2026-12-01 14:05 +01:00",  # noqa: E501
    ]  # fmt: skip
    assert _lines(_ok(run("ticket", "list"))) == table
    utc = _lines(_ok(run("ticket", "list", "--utc")))
    assert utc[2].endswith("│ 2026-12-01 13:05 +00:00")


def test_ticket_list_csv_ids_and_json(run):
    assert _ok(run("ticket", "list", "--format", "csv")) == (
        "ref,status,priority,subject,requester,queue,assignee,updated\n"
        "#3,new,normal,فاکتور,Reza Karimi,general,,2026-12-01T14:05:00+01:00\n"
        "#2,new,normal,Не работает VPN,Ivan Petrov,general,,2026-12-01T14:05:00+01:00\n"
        "#1,new,normal,Pisač ne radi,Tea Tomić,general,,2026-12-01T14:05:00+01:00\n"
    )
    assert _ok(run("ticket", "list", "-f", "ids")) == "#3\n#2\n#1\n"
    assert _ok(run("ticket", "list", "--ids")) == "#3\n#2\n#1\n"
    rows = json.loads(_ok(run("ticket", "list", "--format", "json")))
    assert [(r["id"], r["status"], r["updated_at"]) for r in rows] == [
        (3, "new", "2026-12-01T13:05:00+00:00"),  # JSON keeps UTC, as scripts expect
        (2, "new", "2026-12-01T13:05:00+00:00"),
        (1, "new", "2026-12-01T13:05:00+00:00"),
    ]
    assert json.loads(_ok(run("ticket", "list", "--json"))) == rows


def test_columns_choose_and_order_table_and_csv_columns(run):
    with clock.frozen_at(CREATED):
        tickets.add_tags(SYSTEM, 2, ["vpn", "vip"])
    assert _ok(run("ticket", "list", "-f", "csv", "--columns", "tags,ref,email")) == (
        "tags,ref,email\n,#3,c2@example.com\n\"vip, vpn\",#2,c1@example.com\n,#1,c0@example.com\n"
    )
    assert _lines(_ok(run("ticket", "list", "--columns", "ref, created ,team", "--utc"))) == [
        " Ref │ Created                 │ Team",
        "─────┼─────────────────────────┼───────",
        " #3  │ 2026-12-01 13:05 +00:00 │ tier1",
        " #2  │ 2026-12-01 13:05 +00:00 │ tier1",
        " #1  │ 2026-12-01 13:05 +00:00 │ tier1",
    ]


def test_an_unknown_column_is_one_line_listing_the_valid_ones(run):
    result = run("ticket", "list", "--columns", "ref,colour")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "deskterm: error: unknown column 'colour' for tickets: expected one of ref, status, "
        "priority, subject, requester, queue, assignee, updated, id, email, team, tags, "
        "created, reply_due, due, breached, version\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "bad --format 'xml': expected one of table, json, csv, ids"),
        (("--json", "--ids"), "choose one output format, not ids and json"),
        (("--format", "csv", "--json"), "choose one output format, not csv and json"),
        (("--ids", "--columns", "ref"), "--columns applies to --format table or csv, not ids"),
        (("--columns", ","), "no column given for tickets: expected one of ref, status, "
                             "priority, subject, requester, queue, assignee, updated, id, "
                             "email, team, tags, created, reply_due, due, breached, version"),
    ],
)
def test_bad_output_options_are_one_line_errors(run, args, message):
    result = run("ticket", "list", *args)
    assert result.exit_code == 2
    if "--json" in args:
        assert json.loads(result.stderr) == {"error": message, "code": 2, "kind": "bad_input"}
    else:
        assert result.stderr == f"deskterm: error: {message}\n"


def test_the_capped_notice_as_text_and_as_json(run):
    result = run("ticket", "list", "--limit", "2", "--format", "csv")
    assert _ok(result).count("\n") == 3 and result.stderr == "2 of 3 shown (--limit 0 for all)\n"
    result = run("ticket", "list", "--limit", "1", "--format", "json")
    assert len(json.loads(_ok(result))) == 1
    assert json.loads(result.stderr) == {
        "notice": "1 of 3 shown (--limit 0 for all)", "shown": 1, "total": 3
    }
    for args in (("--limit", "3"), ("--all",), ("--limit", "0"), ("--ids",)):
        assert run("ticket", "list", *args).stderr == "", args


def test_status_names_as_the_console_shows_them(run):
    for typed in ("on hold", "On-Hold", "on_hold"):
        assert _ok(run("ticket", "status", "1", typed)) == "#1 is now on hold\n"
    assert _ok(run("ticket", "list", "--status", "on hold", "--ids")) == "#1\n"
    assert _ok(run("ticket", "list", "-q", "status:on-hold", "--ids")) == "#1\n"
    rows = [line.split() for line in _ok(run("ticket", "list", "--columns", "ref,status"))
            .splitlines()[2:]]
    assert ["#1", "│", "on", "hold"] in rows
    bad = run("ticket", "status", "1", "onhold")
    assert bad.exit_code == 2
    assert bad.stderr == (
        "deskterm: error: bad status 'onhold': expected one of new, open, pending, on hold, "
        "postponed, resolved, closed\n"
    )
    bad = run("ticket", "list", "--status", "onhold")
    assert bad.exit_code == 2
    assert bad.stderr == (
        "deskterm: error: bad --status 'onhold': 'onhold' is not one of new, open, pending, "
        "on hold, postponed, resolved, closed, active\n"
    )


def test_set_status_names_one_vocabulary_with_the_old_names_still_working(run):
    assert _ok(run("ticket", "reply", "1", "Evo", "--set-status", "on hold")) == (
        "replied on #1 (on hold)\n"
    )
    assert _ok(run("ticket", "reply", "2", "Evo", "--status", "pending")) == (
        "replied on #2 (pending)\n"
    )
    result = run("bulk", "set", "3", "--set-status", "on-hold", "--set-priority", "high", "--yes")
    assert _ok(result) == "change: 1 of 1 ticket(s) changed\n"
    assert _ok(run("bulk", "set", "3", "--to-status", "open", "--yes")) == (
        "change: 1 of 1 ticket(s) changed\n"
    )
    shown = run("bulk", "set", "--help").stdout
    assert "--set-status" in shown and "--to-status" not in shown
    assert "--status" not in run("ticket", "reply", "--help").stdout.replace("--set-status", "")


def test_a_quarantine_list_is_a_listing_too(run):
    assert _ok(run("mail", "quarantine", "list")) == "no message is in quarantine\n"
    with clock.frozen_at(CREATED):
        for n in (1, 2):
            mailbox.record_inbound(f"d{n}", "quarantined", from_addr=f"x{n}@example.com",
                                   subject=f"s{n}", reason="no sender", source="cli")
    assert _ok(run("mail", "quarantine", "list", "-f", "csv", "--columns", "id,received,from"))\
        == "id,received,from\n2,2026-12-01T14:05:00+01:00,x2@example.com\n" \
           "1,2026-12-01T14:05:00+01:00,x1@example.com\n"
    capped = run("mail", "quarantine", "list", "--limit", "1", "--ids")
    assert (capped.stdout, capped.stderr) == ("2\n", "1 of 2 shown (--limit 0 for all)\n")


def test_view_list_shows_built_in_personal_and_shared_views(run):
    from deskterm.services.finding import views

    views.save_view(directory.actor_for("ana"), "Moji VPN", "tag:vpn assignee:me")
    views.save_view(directory.actor_for("ana"), "Tim", "team:tier1", shared=True)
    listed = _ok(run("view", "list", "-f", "csv", "--columns", "name,kind,query,owner"))
    assert listed.splitlines()[0] == "name,kind,query,owner"
    assert listed.splitlines()[1] == (
        'My open,built-in,"assignee:me status:new,open,pending,on_hold,postponed",'
    )
    assert listed.splitlines()[-2:] == ["Moji VPN,personal,tag:vpn assignee:me,ana",
                                        "Tim,shared,team:tier1,"]
    assert _ok(run("view", "list", "--ids")).splitlines()[-2:] == ["Moji VPN", "Tim"]


# --- every listing command, on the demo desk --------------------------------------------

#: Each listing command as run in the sweep, with a column it has.
LISTINGS = {
    ("ticket", "list"): ("ref",),
    ("search",): ("ref",),
    ("ticket", "events"): ("when",),
    ("rules", "list"): ("name",),
    ("sla", "breaching"): ("ref",),
    ("mail", "outbox"): ("id",),
    ("mail", "quarantine", "list"): ("id",),
    ("view", "list"): ("name",),
    ("agent", "list"): ("username",),
    ("team", "list"): ("slug",),
    ("queue", "list"): ("slug",),
    ("canned", "list"): ("title",),
    ("audit",): ("when",),
}
ARGS = {
    ("search",): ("lozinka",), ("ticket", "events"): ("42",), ("audit",): ("--since", "30d"),
}
SHARED = {"--format", "-f", "--json", "--ids", "--columns", "--limit", "--all", "--utc"}


def _commands(group, path=()):
    import typer._click as click

    command = typer.main.get_command(app) if group is None else group
    ctx = click.Context(command)
    for name in getattr(command, "list_commands", lambda ctx: [])(ctx):
        sub = command.get_command(ctx, name)
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def test_the_listing_commands_are_exactly_those_with_the_shared_options():
    found = {}
    for path, command in _commands(None):
        names = {n for p in command.params for n in (*p.opts, *p.secondary_opts)}
        if "--format" in names:
            found[path] = names
    assert set(found) == set(LISTINGS)
    for path, names in found.items():
        assert SHARED <= names, path


@pytest.fixture
def demo(demo_db):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, ["--db", str(demo_db), "--as", "ana", *args])

    with clock.frozen_at(CREATED):
        mailbox.record_inbound("q1", "quarantined", from_addr="a@example.com", reason="r")
        mailbox.record_inbound("q2", "quarantined", from_addr="b@example.com", reason="r")
    return invoke


@pytest.mark.parametrize("command", list(LISTINGS), ids=" ".join)
def test_every_listing_prints_every_format_and_says_when_capped(demo, command):
    args = (*command, *ARGS.get(command, ()))
    everything = json.loads(_ok(demo(*args, "--all", "--json")))
    total = len(everything)
    assert total >= 2, command
    ids = demo(*args, "--limit", "1", "--ids")
    assert ids.stdout.count("\n") == 1
    assert ids.stderr == f"1 of {total} shown (--limit 0 for all)\n"
    assert _ok(demo(*args, "--all", "--format", "ids")).count("\n") == total
    (column,) = LISTINGS[command]
    rows = list(csv.reader(io.StringIO(_ok(demo(*args, "--all", "-f", "csv", "--columns",
                                                column)))))
    assert rows[0] == [column] and len(rows) == total + 1
    first = everything[0]
    if column in ("id", "ref"):
        assert rows[1][0] == (f"#{first['id']}" if column == "ref" else str(first["id"]))
    table = demo(*args, "--limit", "1", "--columns", column)
    assert _ok(table).count("\n") == 3  # header, rule, one row
    noticed = demo(*args, "--limit", "1", "--json")
    assert json.loads(noticed.stderr)["total"] == total
    bad = demo(*args, "--columns", "nope")
    assert bad.exit_code == 2 and bad.stderr.startswith("deskterm: error: unknown column 'nope'")
    assert column in bad.stderr.split("expected one of ")[1].rstrip().split(", ")


def test_rules_files_name_statuses_as_the_cli_does(run, tmp_path):
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[[rule]]\nname = "Hold VIPs"\nwhen = "on hold for 2d"\n[rule.if]\nstatus = "On-Hold"\n'
        '[rule.then]\nset = { status = "on hold" }\nadd_tags = ["vip"]\n',
        encoding="utf-8",
    )
    assert _ok(run("rules", "check", str(rules_file))) == f"{rules_file}: 1 rules OK\n"
    rules_file.write_text(
        '[[rule]]\nname = "x"\nwhen = "created"\n[rule.if]\nstatus = "onhold"\n'
        '[rule.then]\nadd_tags = ["vip"]\n',
        encoding="utf-8",
    )
    bad = run("rules", "check", str(rules_file))
    assert bad.exit_code == 2
    assert "status: bad value 'onhold' (expected new, open, pending, on hold, postponed, " \
           "resolved, closed)" in bad.stderr
