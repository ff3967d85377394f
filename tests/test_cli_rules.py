"""`deskterm rules` and `deskterm sla` through the real Typer app."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from dateutil import tz
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.domain import Actor as _Actor
from deskterm.services import tickets
from deskterm.services.automation import rules, sla

_SETUP = _Actor.system("test")

runner = CliRunner()
EXAMPLE = "data/rules.example.toml"


def cli(db, *args: str):
    return runner.invoke(app, ["--db", str(db), *args])


def test_check_passes_on_the_example_file():
    result = runner.invoke(app, ["rules", "check", EXAMPLE, "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["rules"]) == 7


def test_check_names_the_line_and_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rule]]\nname = "x"\nwhen = "created"\n[rule.if]\nstatus = "gone"\n'
        "[rule.then]\nclose = true\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:5: rule 'x': status: bad value 'gone'" in result.stderr
    assert "Traceback" not in result.output


def test_apply_list_disable_and_run(desk, tmp_path):
    result = cli(desk, "rules", "apply", EXAMPLE, "--dry-run")
    assert result.exit_code == 0 and "would load 7 rules" in result.stdout
    assert rules.list_rules() == []
    assert cli(desk, "rules", "apply", EXAMPLE).exit_code == 0
    listed = json.loads(cli(desk, "rules", "list", "--json").stdout)
    assert [r["name"] for r in listed][0] == "Round-robin new tickets"
    assert cli(desk, "rules", "disable", "Round-robin new tickets").exit_code == 0
    assert cli(desk, "rules", "disable", "No such rule").exit_code == 1
    sla.install_default_policies(_SETUP)
    ana = Actor("agent", "ana", agent_id=1)
    with clock.frozen_at(clock.now() - timedelta(days=20)):
        ticket = tickets.create_ticket(
            ana,
            subject="Račun",
            body="Gdje je moj račun?",
            requester_email="kupac@example.ba",
            queue="general",
        )
        tickets.reply(ana, ticket.id, "Koji broj ugovora?", set_status="pending")
    ran = json.loads(cli(desk, "rules", "run", "--json").stdout)
    assert ran["fired"]["Close pending tickets after 14 days without a reply"] == 1
    assert ran["breaches"] == 0  # answered in time, and the clock stopped when it was closed
    assert tickets.get_ticket(ticket.id).status.value == "closed"
    exported = cli(desk, "rules", "export").stdout
    assert 'name = "Round-robin new tickets"\nenabled = false' in exported.replace(
        'description = "Share new, unassigned tickets fairly among the available agents of '
        "the queue's team.\"\n",
        "",
    )


def test_sla_show_and_breaching(desk):
    sla.install_default_policies(_SETUP)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=tz.gettz("Europe/Sarajevo"))
    with clock.frozen_at(monday):
        ticket = tickets.create_ticket(
            Actor.system("t"),
            subject="VPN",
            body="VPN ne radi",
            requester_email="kupac@example.ba",
            queue="general",
            priority="urgent",
        )
    with clock.frozen_at(monday + timedelta(hours=2)):
        shown = json.loads(cli(desk, "sla", "show", f"#{ticket.id}", "--json").stdout)
        assert shown["first_response"]["breached"] is True
        assert cli(desk, "sla", "sweep").stdout.startswith("recorded 1 new SLA breaches")
        rows = json.loads(cli(desk, "sla", "breaching", "--json").stdout)
    assert [r["id"] for r in rows] == [ticket.id]
    assert cli(desk, "sla", "show", "#999").exit_code == 1
