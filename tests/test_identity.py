"""Who you are: the OS user decides; `--as` only for admins (recorded) and demo desks."""

from __future__ import annotations

import pytest
from peewee import IntegrityError
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor, NotFound, Refused
from deskterm.services import directory, tickets
from deskterm.services.trust import audit, identity
from deskterm.store.db import db
from deskterm.store.models import Event, Setting

runner = CliRunner()
SETUP = Actor.system("test")
ME = identity.os_user()


def cli(path, *args: str, env: dict | None = None):
    return runner.invoke(app, ["--db", str(path), *args], env=env)


def test_the_os_user_is_the_agent_it_maps_to(desk):
    assert identity.resolve(None, ME) == Actor("agent", "ana", agent_id=1)
    directory.update_agent(SETUP, "mirza", os_user="mirza-login")
    assert identity.resolve(None, "mirza-login").name == "mirza"


def test_a_stranger_is_refused_with_how_to_be_added(desk):
    with pytest.raises(Refused) as error:
        identity.resolve(None, "zoran")
    assert str(error.value) == (
        "OS user 'zoran' is not an agent of this desk; an admin can add you with "
        "`deskterm agent add NAME --os-user zoran`"
    )
    with pytest.raises(Refused):  # asking for someone else does not help
        identity.resolve("ana", "zoran")


def test_as_is_for_admins_and_is_recorded(desk):
    directory.update_agent(SETUP, "mirza", os_user="mirza-login")
    with pytest.raises(Refused, match=r"--as is for admins and demo desks: you are mirza "):
        identity.resolve("ana", "mirza-login")
    as_mirza = identity.resolve("mirza", ME)  # ana is an admin
    assert (as_mirza.name, as_mirza.via, as_mirza.display) == ("mirza", "ana", "admin ana as mirza")
    ticket = tickets.create_ticket(
        as_mirza, subject="Printer", body="jammed", requester_email="k@example.ba", queue="general"
    )
    created = audit.events_for(ticket.id)[0]
    assert (created.actor, created.via, created.who) == (
        "agent:mirza",
        "ana",
        "admin ana as agent:mirza",
    )


def test_an_unknown_name_is_refused(desk):
    with pytest.raises(NotFound, match="no agent named 'ghost'"):
        identity.resolve("ghost", ME)


def test_anyone_may_be_anyone_on_a_demo_desk(desk):
    directory.update_agent(SETUP, "mirza", os_user="mirza-login")
    Setting.create(key="demo", value="7")
    assert identity.resolve("marko", "mirza-login").name == "marko"
    with pytest.raises(Refused):  # but a stranger still is nobody
        identity.resolve(None, "zoran")


def test_cli_refuses_a_stranger_in_one_line_for_reading_and_writing(desk):
    directory.update_agent(SETUP, "ana", os_user="someone-else")
    db.close()
    for args in (["ticket", "list"], ["search", "printer"], ["agent", "list"]):
        result = cli(desk, *args, env={"DESKTERM_AGENT": ""})
        assert result.exit_code == 1, args
        assert result.stderr == (
            f"deskterm: error: OS user {ME!r} is not an agent of this desk; "
            "an admin can add you with "
            f"`deskterm agent add NAME --os-user {ME}`\n"
        )
    assert cli(desk, "ticket", "--help").exit_code == 0  # help needs nobody


def test_cli_as_an_unknown_agent_is_refused(desk):
    db.close()
    result = cli(desk, "--as", "ghost", "ticket", "list")
    assert (result.exit_code, result.stderr) == (1, "deskterm: error: no agent named 'ghost'\n")


def test_init_makes_the_os_user_the_admin_and_bare_commands_work(tmp_path):
    path = tmp_path / "new.db"
    result = cli(path, "init", "--json", env={"DESKTERM_AGENT": ""})
    assert result.exit_code == 0, result.output
    listed = cli(path, "agent", "list", "--json", env={"DESKTERM_AGENT": ""})
    assert listed.exit_code == 0, listed.output
    import json

    [me] = json.loads(listed.stdout)
    assert (me["username"], me["role"], me["os_user"]) == (ME, "admin", ME)


def test_events_are_append_only_in_the_database(desk):
    ticket = tickets.create_ticket(
        directory.actor_for("ana"), subject="S", body="b", requester_email="k@example.ba"
    )
    before = Event.select().where(Event.ticket == ticket.id).count()
    with pytest.raises(IntegrityError, match="events are append-only: UPDATE refused"):
        Event.update(actor="agent:nobody").execute()
    with pytest.raises(IntegrityError, match="events are append-only: DELETE refused"):
        Event.delete().execute()
    assert Event.select().where(Event.ticket == ticket.id).count() == before
