"""`deskterm agent|team|queue|audit` as an admin runs them, and as an agent is refused."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.services import directory, tickets
from deskterm.store.db import db, open_db

runner = CliRunner()


def cli(path, *args: str):
    db.close()
    result = runner.invoke(app, ["--db", str(path), *args], env={"DESKTERM_AGENT": ""})
    open_db(path)
    return result


def test_agent_add_list_set_disable_with_json(desk):
    added = cli(desk, "agent", "add", "lejla", "--name", "Lejla Begić", "--role", "observer",
                "--os-user", "lejla", "--teams", "tier1,billing-team", "--json")
    assert added.exit_code == 0, added.output
    info = json.loads(added.stdout)
    assert (info["role"], info["os_user"], info["teams"]) == (
        "observer", "lejla", ["tier1", "billing-team"]
    )
    changed = cli(desk, "agent", "set", "lejla", "--role", "agent", "--teams", "tier1", "--json")
    assert json.loads(changed.stdout)["teams"] == ["tier1"]
    assert json.loads(changed.stdout)["role"] == "agent"
    ticket = tickets.create_ticket(
        directory.actor_for("ana"), subject="Printer", body="b", requester_email="k@example.ba"
    )
    tickets.assign(directory.actor_for("ana"), ticket.id, "lejla")
    gone = cli(desk, "agent", "disable", "lejla")
    assert gone.exit_code == 0, gone.output
    assert gone.stdout == (
        "disabled agent lejla; 1 open ticket(s) need reassignment "
        '(view "Needs reassignment", or `deskterm ticket list --assignee disabled`)\n'
    )
    waiting = cli(desk, "ticket", "list", "--assignee", "disabled", "--ids")
    assert waiting.stdout == f"#{ticket.id}\n"
    listed = json.loads(cli(desk, "agent", "list", "--json").stdout)
    assert [(a["username"], a["enabled"]) for a in listed] == [
        ("ana", True), ("lejla", False), ("marko", True), ("mirza", True)
    ]
    table = cli(desk, "agent", "list").stdout
    assert "disabled" in table and "observer" not in table
    events = json.loads(cli(desk, "audit", "--agent", "ana", "--json").stdout)
    mine = [(e["action"], e["field"]) for e in events if e["ticket_id"] is None]
    assert mine == [
        ("agent.added", "lejla"), ("agent.changed", "lejla"), ("agent.changed", "lejla")
    ]
    assert events[-1]["after"] == (
        "role=agent os_user=lejla teams=tier1 disabled available tz=UTC email=- name=Lejla Begić"
    )


def test_an_agent_is_refused_admin_commands_in_one_line(desk):
    directory.create_agent(Actor.system("test"), "root2", "Admin", role="admin")
    directory.update_agent(Actor.system("test"), "ana", role="agent")
    for args in (
        ["agent", "add", "x"],
        ["agent", "set", "mirza", "--role", "admin"],
        ["agent", "disable", "mirza"],
        ["team", "add", "t3", "--name", "T3"],
        ["queue", "add", "sales", "--name", "Sales"],
        ["queue", "set", "billing", "--outsiders", "hidden"],
        ["canned", "add", "Hi", "--body", "Hello"],
        ["audit", "--since", "7d"],
    ):
        result = cli(desk, *args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("deskterm: error: ana (agent) may not "), args
        assert result.stderr.count("\n") == 1


def test_queue_outsiders_hidden_hides_its_tickets_from_other_teams(desk):
    ana = directory.actor_for("ana")
    secret = tickets.create_ticket(
        ana, subject="Salary", body="b", requester_email="k@example.ba", queue="billing"
    )
    result = cli(desk, "queue", "set", "billing", "--outsiders", "hidden", "--json")
    assert json.loads(result.stdout)["outsiders"] == "hidden"
    directory.update_agent(Actor.system("test"), "mirza", os_user="mirza-login")
    # ana (admin) acts as mirza (tier1) to see what he sees
    shown = cli(desk, "--as", "mirza", "ticket", "show", str(secret.id))
    assert (shown.exit_code, shown.stderr) == (1, f"deskterm: error: no ticket #{secret.id}\n")
    listed = cli(desk, "--as", "mirza", "ticket", "list", "--ids")
    assert f"#{secret.id}" not in listed.stdout.split()
    assert f"#{secret.id}" in cli(desk, "--as", "marko", "ticket", "list", "--ids").stdout


def test_audit_by_ticket_agent_and_time_with_as_recorded(desk):
    directory.update_agent(Actor.system("test"), "mirza", os_user="mirza-login")
    made = cli(desk, "--as", "mirza", "ticket", "new", "--subject", "VPN", "--requester",
               "k@example.ba", "--body", "down", "--json")
    ref = json.loads(made.stdout)["id"]
    trail = json.loads(cli(desk, "audit", "--ticket", str(ref), "--json").stdout)
    assert [(e["actor"], e["via"], e["action"]) for e in trail] == [
        ("agent:mirza", "ana", "created")
    ]
    table = cli(desk, "audit", "--ticket", f"#{ref}").stdout
    assert "admin ana as agent:mirza" in table
    recent = json.loads(cli(desk, "audit", "--since", "1h", "--json").stdout)
    assert {e["action"] for e in recent} >= {"created", "agent.changed"}
    assert json.loads(cli(desk, "audit", "--agent", "marko", "--json").stdout) == []
    bad = cli(desk, "audit", "--since", "soon")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1


def test_bulk_limit_is_shown_set_by_admins_and_audited(desk):
    assert json.loads(cli(desk, "agent", "bulk-limit", "--json").stdout) == {"bulk_limit": 25}
    assert cli(desk, "agent", "bulk-limit", "3").stdout == "bulk limit: 3 tickets\n"
    trail = json.loads(cli(desk, "audit", "--agent", "ana", "--json").stdout)
    assert (trail[-1]["action"], trail[-1]["before"], trail[-1]["after"]) == (
        "access.bulk_limit", "25", "3"
    )
    directory.update_agent(Actor.system("test"), "mirza", os_user="mirza-login")
    directory.update_agent(Actor.system("test"), "ana", os_user="")
    directory.update_agent(Actor.system("test"), "mirza", os_user=__import__(
        "deskterm.services.trust.identity", fromlist=["os_user"]).os_user())
    refused = cli(desk, "agent", "bulk-limit", "100")
    assert refused.exit_code == 1
    assert refused.stderr == "deskterm: error: mirza (agent) may not manage agents: admins only\n"
