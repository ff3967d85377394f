"""Smaller CLI defects, each pinned: capped lists, empty lists, bulk refusals, bad values."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.services import tickets


@pytest.fixture
def run(desk):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args], input=input)

    return invoke


def _tickets(n: int) -> list[int]:
    return [
        tickets.create_ticket(Actor.system("t"), subject=f"t{i}", body="b",
                              requester_email=f"c{i}@example.com", queue="general").id
        for i in range(n)
    ]


def test_a_capped_list_says_so_and_ids_print_every_match(run):
    made = _tickets(7)
    capped = run("ticket", "list", "--limit", "5")
    assert capped.exit_code == 0
    assert capped.stderr.strip() == "5 of 7 shown (--limit 0 for all)"
    assert run("ticket", "list", "--limit", "7").stderr == ""
    ids = run("ticket", "list", "--ids")
    assert ids.stdout.split() == [f"#{i}" for i in sorted(made, reverse=True)]
    assert run("ticket", "list", "--ids", "--limit", "2").stdout.split() == [
        f"#{made[-1]}", f"#{made[-2]}"
    ]
    assert len(run("ticket", "list", "--all", "--ids").stdout.split()) == 7


def test_an_empty_list_says_no_tickets_match(run):
    result = run("ticket", "list", "--status", "closed")
    assert (result.exit_code, result.stdout) == (0, "no tickets match\n")


def test_bulk_refuses_postponed_without_a_wake_time(run):
    _tickets(2)
    result = run("bulk", "set", "--queue", "general", "--to-status", "postponed", "--yes")
    assert result.exit_code == 2
    assert "postponed needs a wake time" in result.stderr


def test_bulk_dry_run_refuses_an_unknown_agent_like_the_real_run(run):
    _tickets(2)
    for extra in ((), ("--dry-run",)):
        result = run("bulk", "set", "--queue", "general", "--assign", "ghost", "--yes", *extra)
        assert result.exit_code == 1, extra
        assert result.stderr.strip() == "deskterm: error: no agent named 'ghost'", extra


def test_an_empty_tag_and_an_unknown_channel_are_refused(run):
    (ticket,) = _tickets(1)
    result = run("ticket", "tag", str(ticket), "")
    assert result.exit_code == 2 and "no tag given" in result.stderr
    result = run("ticket", "new", "--subject", "s", "--requester", "a@example.com",
                 "--body", "b", "--channel", "pigeon")
    assert result.exit_code == 2
    assert "bad channel 'pigeon': expected one of email, web, sms, phone, agent" in result.stderr


NO_TAG = "deskterm: error: no tag given: a tag is letters, digits, '.', ':', '-' or '_'\n"


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_ticket_new_refuses_an_empty_tag_as_ticket_tag_does(run, blank):
    from deskterm.store.models import Contact, Ticket

    (ticket,) = _tickets(1)
    refused = run("ticket", "tag", str(ticket), blank)
    assert (refused.exit_code, refused.stderr) == (2, NO_TAG)
    # one blank among good tags is refused too, not dropped
    refused = run("ticket", "tag", str(ticket), "vpn", blank)
    assert (refused.exit_code, refused.stderr) == (2, NO_TAG)
    assert tickets.get_ticket(ticket).tags == ()
    for tags in ([blank], ["vpn", blank]):
        result = run("ticket", "new", "--subject", "Printer", "--requester", "kupac@example.ba",
                     "--body", "b", *[arg for tag in tags for arg in ("--tag", tag)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", NO_TAG), tags
    assert Ticket.select().count() == 1  # only the one made above
    assert not Contact.select().where(Contact.email == "kupac@example.ba").exists()
    made = run("ticket", "new", "--subject", "Printer", "--requester", "kupac@example.ba",
               "--body", "b", "--tag", " VPN ", "--tag", "vpn", "--tag", "urgent")
    assert made.exit_code == 0, made.stderr
    assert tickets.get_ticket(ticket + 1).tags == ("urgent", "vpn")


@pytest.mark.parametrize("name", ["Ana\nKovač", "Ana\x1b[2J", "Ana\rKovač", "Ana\x85Kovač"])
def test_ticket_new_refuses_a_requester_name_with_a_line_break_or_control(run, name):
    from deskterm.store.models import Contact, Ticket

    result = run("ticket", "new", "--subject", "Printer", "--requester", "kupac@example.ba",
                 "--name", name)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"deskterm: error: requester name {name!r} has a line break or "
                             "control character\n")
    assert Ticket.select().count() == 0
    assert Contact.select().where(Contact.email == "kupac@example.ba").count() == 0


def test_ticket_new_keeps_a_requester_name_as_typed(run):
    from deskterm.services import directory

    result = run("ticket", "new", "--subject", "Printer", "--requester", "kupac@example.ba",
                 "--name", "  Ana Kovač-Šimić  ", "--json")
    assert result.exit_code == 0, result.output
    assert directory.find_contact("kupac@example.ba").name == "Ana Kovač-Šimić"


def test_portal_on_a_port_in_use_or_an_unknown_host_is_one_line(run):
    # uvicorn printed its start-up log, an ERROR line and exited 3 (a real socket holds
    # the port here, the way another server would).
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("portal", "--host", "127.0.0.1", "--port", str(port))
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"deskterm: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    result = run("portal", "--host", "no-such-host.invalid", "--port", "8000")
    assert result.exit_code == 2
    assert result.output.startswith("deskterm: error: cannot listen on no-such-host.invalid:")
    assert len(result.output.strip().splitlines()) == 1
