"""Rules on a real database: triggers, conditions, every action, loops, time rules."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from dateutil import tz

from deskterm import clock
from deskterm.domain import Actor, BadInput
from deskterm.domain import Actor as _Actor
from deskterm.services import canned, directory, tickets
from deskterm.services.automation import rules, sla
from deskterm.services.automation.rules_file import RulesFileError, parse_rules
from deskterm.services.trust import audit
from deskterm.store.models import Agent, Mention, Rule, TeamMember

_SETUP = _Actor.system("test")

SETUP = _Actor.system("test")

SARAJEVO = tz.gettz("Europe/Sarajevo")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=SARAJEVO)
CUSTOMER = Actor("customer", "kupac@example.ba")


def load(text: str) -> None:
    rules.load_rules(_SETUP, parse_rules(text))


def new_ticket(subject="Štampač ne radi", body="Molim vas pomozite, štampač ne radi.", **kw) -> int:
    kw.setdefault("queue", "general")
    kw.setdefault("channel", "email")
    return tickets.create_ticket(
        CUSTOMER, subject=subject, body=body, requester_email="kupac@example.ba", **kw
    ).id


def rule_events(ticket_id: int, name: str) -> list:
    return [e for e in audit.events_for(ticket_id) if e.actor == f"rule:{name}"]


def hits(name: str) -> int:
    return Rule.get(Rule.name == name).hit_count


def test_round_robin_is_fair_over_100_tickets(desk):
    directory.create_agent(SETUP, "sara", "Sara Karimi", teams=("tier1",))
    directory.create_agent(SETUP, "away", "Away Agent", teams=("tier1",))
    Agent.update(active=False).where(Agent.username == "away").execute()
    load(
        '[[rule]]\nname = "rr"\nwhen = "created"\n'
        '[rule.then]\nassign = { method = "round-robin" }\n'
    )
    assignees = [tickets.get_ticket(new_ticket()).assignee for _ in range(100)]
    counts = Counter(assignees)
    assert set(counts) == {"ana", "mirza", "sara"}
    assert max(counts.values()) - min(counts.values()) <= 1
    assert assignees[:6] == ["ana", "mirza", "sara", "ana", "mirza", "sara"]
    assert hits("rr") == 100
    assert [e.action for e in rule_events(1, "rr")] == ["assignee"]


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(desk):
    ana = directory.actor_for("ana")
    for _ in range(2):
        tickets.assign(ana, new_ticket(), "ana")
    load(
        '[[rule]]\nname = "ll"\nwhen = "created"\n[rule.if]\nsubject = "VPN"\n'
        '[rule.then]\nassign = { method = "least-loaded", team = "tier1" }\n'
    )
    assert tickets.get_ticket(new_ticket(subject="VPN pada")).assignee == "mirza"


def test_every_action_is_an_event_named_after_the_rule(desk):
    canned.save_canned(SETUP, "Hvala", "Hvala {requester.first_name}, {ticket.ref} je zaprimljen.")
    TeamMember.update(is_lead=True).where(
        TeamMember.agent == Agent.get(username="ana").id
    ).execute()
    load(
        """
[[rule]]
name = "all actions"
when = "created"
[rule.if]
subject = { matches = "(?i)hitno|urgent" }
[rule.then]
set = { priority = "urgent", queue = "billing", team = "billing-team" }
assign = "marko"
add_tags = ["vip", "escalated"]
remove_tags = ["spam"]
note = "Automatski: hitan zahtjev."
reply = { canned = "Hvala" }
notify = ["lead:tier1", "assignee"]
"""
    )
    ticket_id = new_ticket(subject="HITNO: server pao", tags=["spam"])
    t = tickets.get_ticket(ticket_id)
    assert (t.priority.value, t.queue, t.team, t.assignee) == (
        "urgent",
        "billing",
        "billing-team",
        "marko",
    )
    assert set(t.tags) == {"vip", "escalated"}
    assert [e.body for e in t.notes][0] == "Automatski: hitan zahtjev."
    replies = [e for e in t.entries if e.kind.value == "reply"]
    assert replies[0].body == f"Hvala {t.requester.first_name}, #{ticket_id} je zaprimljen."
    mentioned = {m.agent.username for m in Mention.select()}
    assert mentioned == {"ana", "marko"}
    actions = {e.action for e in rule_events(ticket_id, "all actions")}
    assert {"priority", "queue", "team", "assignee", "tags", "note", "reply"} <= actions
    # The rule's changes and the creation are one version step for everyone else.
    tickets.set_status(directory.actor_for("ana"), ticket_id, "open", expected_version=t.version)
    untouched = tickets.get_ticket(new_ticket(subject="Pitanje o računu"))
    assert untouched.priority.value == "normal" and untouched.assignee is None


def test_close_and_reply_body_and_language_condition(desk):
    load(
        """
[[rule]]
name = "persian only"
when = "created"
[rule.if]
language = { not = "fa" }
[rule.then]
reply = { body = "لطفاً به فارسی بنویسید، {requester.first_name}." }
close = true
"""
    )
    persian = new_ticket(
        subject="چاپگر کار نمی‌کند", body="سلام، چاپگر من کار نمی‌کند. لطفا کمک کنید."
    )
    bosnian = new_ticket()
    too_short = new_ticket(subject="?", body="ok")
    assert tickets.get_ticket(persian).status.value == "new"
    assert tickets.get_ticket(too_short).status.value == "new"
    closed = tickets.get_ticket(bosnian)
    assert closed.status.value == "closed"
    assert closed.entries[-1].body.startswith("لطفاً به فارسی بنویسید")
    statuses = [e.after for e in rule_events(bosnian, "persian only") if e.action == "status"]
    assert statuses == ["open", "closed"]  # the reply opens it, then the rule closes it


def test_any_match_business_hours_and_query_conditions(desk):
    sla.install_default_policies(_SETUP)
    load(
        """
[[rule]]
name = "after hours"
when = "created"
match = "any"
[rule.if]
business_hours = false
query = "tag:vip"
[rule.then]
add_tags = ["after-hours-or-vip"]
"""
    )
    with clock.frozen_at(MONDAY):
        day = new_ticket()
        vip = new_ticket(tags=["vip"])
    with clock.frozen_at(MONDAY + timedelta(hours=12)):
        night = new_ticket()
    assert "after-hours-or-vip" not in tickets.get_ticket(day).tags
    assert "after-hours-or-vip" in tickets.get_ticket(vip).tags
    assert "after-hours-or-vip" in tickets.get_ticket(night).tags


def test_a_rule_that_would_retrigger_itself_runs_once(desk):
    load(
        """
[[rule]]
name = "reassign on assign"
when = "assigned"
[rule.then]
assign = { method = "round-robin", team = "tier1" }
add_tags = ["touched"]

[[rule]]
name = "reopen on status"
when = "status changed"
[rule.then]
set = { status = "open" }
note = "status changed"
"""
    )
    ticket_id = new_ticket()
    tickets.assign(directory.actor_for("ana"), ticket_id, "mirza")
    assert hits("reassign on assign") == 1
    assert tickets.get_ticket(ticket_id).assignee == "ana"  # round-robin's first pick
    assert (
        len([e for e in rule_events(ticket_id, "reassign on assign") if e.action == "assignee"])
        == 1
    )
    tickets.set_status(directory.actor_for("ana"), ticket_id, "pending")
    assert hits("reopen on status") == 1
    assert tickets.get_ticket(ticket_id).status.value == "open"


def test_customer_reply_rule_does_not_break_the_reopen(desk):
    load(
        '[[rule]]\nname = "tag replies"\nwhen = "customer replied"\n'
        '[rule.then]\nadd_tags = ["answered"]\n'
    )
    ticket_id = new_ticket()
    tickets.reply(directory.actor_for("ana"), ticket_id, "Pošaljite model", set_status="pending")
    t = tickets.add_customer_message(CUSTOMER, ticket_id, body="HP", from_email="kupac@example.ba")
    assert t.status.value == "open" and "answered" in t.tags


def test_failing_action_rolls_back_that_rule_and_records_the_error(desk):
    load(
        '[[rule]]\nname = "bad team"\nwhen = "created"\n[rule.then]\nadd_tags = ["x"]\n'
        'assign = { method = "round-robin", team = "billing-team" }\n'
    )
    Agent.update(active=False).where(Agent.username == "marko").execute()
    t = tickets.get_ticket(new_ticket())
    assert "x" not in t.tags and t.assignee is None
    assert "no available agents" in Rule.get(Rule.name == "bad team").last_error


TIME_RULES = """
[[rule]]
name = "close resolved"
when = "resolved for 5d"
[rule.then]
close = true

[[rule]]
name = "close pending"
when = "pending for 14d"
[rule.if]
queue = "general"
[rule.then]
reply = { body = "Zatvaramo {ticket.ref}." }
close = true

[[rule]]
name = "escalate"
when = "first response breached"
[rule.if]
priority = "urgent"
[rule.then]
add_tags = ["escalated"]
notify = ["lead"]

[[rule]]
name = "due soon"
when = "sla due in 30m"
[rule.then]
add_tags = ["due-soon"]
"""


def test_time_rules_fire_once_per_episode(desk):
    sla.install_default_policies(_SETUP)
    TeamMember.update(is_lead=True).where(
        TeamMember.agent == Agent.get(username="ana").id
    ).execute()
    load(TIME_RULES)
    ana = directory.actor_for("ana")
    with clock.frozen_at(MONDAY):
        pending = new_ticket()
        tickets.reply(ana, pending, "Pošaljite model", set_status="pending")
        resolved = new_ticket()
        tickets.reply(ana, resolved, "Riješeno", set_status="resolved")
        urgent = new_ticket(priority="urgent")
    result = rules.run_time_rules(MONDAY + timedelta(minutes=5))
    assert result.fired["due soon"] == 1  # the urgent ticket's reply is due at 09:30
    assert "due-soon" in tickets.get_ticket(urgent).tags
    result = rules.run_time_rules(MONDAY + timedelta(minutes=45))
    assert result.breaches == 1 and result.fired == {
        "close resolved": 0,
        "close pending": 0,
        "escalate": 1,
        "due soon": 0,
    }
    assert {m.agent.username for m in Mention.select()} == {"ana"}
    assert "escalated" in tickets.get_ticket(urgent).tags
    result = rules.run_time_rules(MONDAY + timedelta(days=6))
    assert result.fired["close resolved"] == 1 and result.fired["escalate"] == 0
    assert tickets.get_ticket(resolved).status.value == "closed"
    assert tickets.get_ticket(pending).status.value == "pending"
    rules.run_time_rules(MONDAY + timedelta(days=15))
    closed = tickets.get_ticket(pending)
    assert closed.status.value == "closed"
    assert closed.entries[-1].body == f"Zatvaramo #{pending}."
    assert rules.run_time_rules(MONDAY + timedelta(days=16)).total == 0
    assert hits("close pending") == 1


def test_a_new_pending_episode_fires_again(desk):
    load(
        TIME_RULES.replace(
            'reply = { body = "Zatvaramo {ticket.ref}." }\nclose = true', 'add_tags = ["stale"]'
        )
    )
    ana = directory.actor_for("ana")
    with clock.frozen_at(MONDAY):
        ticket_id = new_ticket()
        tickets.reply(ana, ticket_id, "?", set_status="pending")
    assert rules.run_time_rules(MONDAY + timedelta(days=15)).fired["close pending"] == 1
    assert rules.run_time_rules(MONDAY + timedelta(days=16)).fired["close pending"] == 0
    with clock.frozen_at(MONDAY + timedelta(days=17)):
        tickets.add_customer_message(CUSTOMER, ticket_id, body="evo", from_email="kupac@example.ba")
        tickets.reply(ana, ticket_id, "??", set_status="pending")
    assert rules.run_time_rules(MONDAY + timedelta(days=32)).fired["close pending"] == 1


def test_bad_rules_file_names_the_line_and_loads_nothing(desk, tmp_path):
    load('[[rule]]\nname = "keep me"\nwhen = "created"\n[rule.then]\nadd_tags = ["x"]\n')
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[[rule]]\nname = "ok"\nwhen = "created"\n[rule.then]\nclose = true\n\n'
        '[[rule]]\nname = "broken"\nwhen = "pending for ever"\n[rule.if]\n'
        'priority = "mega"\n[rule.then]\nasign = "ana"\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesFileError) as info:
        rules.load_rules_file(_SETUP, bad)
    assert info.value.errors == [
        f"{bad}:9: rule 'broken': bad duration 'ever' (expected e.g. 30m, 1h, 1h30m, 7d, 2w)",
        f"{bad}:11: rule 'broken': priority: bad value 'mega' (expected low, normal, high, urgent)",
        f"{bad}:13: rule 'broken': unknown action 'asign' (expected one of set, assign, "
        "add_tags, remove_tags, note, reply, notify, close)",
    ]
    bad.write_text('[[rule]]\nname = "x"\nwhen = "created\n', encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"rules.toml:3: TOML syntax"):
        rules.load_rules_file(_SETUP, bad)
    assert [r.name for r in rules.list_rules()] == ["keep me"]


def test_unknown_names_are_refused_at_load(desk):
    with pytest.raises(BadInput, match="no agent named 'nobody'"):
        load('[[rule]]\nname = "x"\nwhen = "created"\n[rule.then]\nassign = "nobody"\n')
    assert rules.list_rules() == []


def test_enable_move_and_export_round_trip(desk):
    load(open("data/rules.example.toml", encoding="utf-8").read())
    names = [r.name for r in rules.list_rules()]
    rules.set_enabled(_SETUP, names[0], False)
    rules.move_rule(_SETUP, names[0], 2)
    exported = rules.export_rules()
    specs = parse_rules(exported)
    assert [s.name for s in specs] == [names[1], names[2], names[0], *names[3:]]
    assert specs[2].enabled is False
    rules.load_rules(_SETUP, specs)
    assert rules.export_rules() == exported


async def test_rules_screen_lists_toggles_and_moves(desk):
    from textual.app import App
    from textual.widgets import DataTable

    from deskterm.screens.rules import RulesScreen

    load(open("data/rules.example.toml", encoding="utf-8").read())

    class Host(App):
        actor = directory.actor_for("ana")  # the screen acts as the console's agent

        def on_mount(self) -> None:
            self.push_screen(RulesScreen())

    async def settle(pilot) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause(0.1)

    app = Host()
    async with app.run_test() as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 7
        assert [str(c) for c in table.get_row_at(0)[1:3]] == ["Round-robin new tickets", "on"]
        await pilot.press("space")
        await settle(pilot)
        assert rules.list_rules()[0].enabled is False
        assert str(table.get_row_at(0)[2]) == "off"
        await pilot.press("shift+down")
        await settle(pilot)
        assert [r.name for r in rules.list_rules()][1] == "Round-robin new tickets"
        await pilot.press("r")
        await settle(pilot)
        assert all(r.last_run_at is not None for r in rules.list_rules() if r.timed and r.enabled)


@pytest.mark.sqlite_only
def test_a_run_checkpoints_the_log_once_and_leaves_the_setting_as_it_was(desk, monkeypatch):
    """The run's transactions leave their pages in the log (one checkpoint at the end
    copies them into the file); every later commit checkpoints as before."""
    from deskterm.store.db import db

    load(TIME_RULES)
    with clock.frozen_at(MONDAY):
        resolved = new_ticket()
        tickets.reply(directory.actor_for("ana"), resolved, "Riješeno", set_status="resolved")
    seen = []
    real = rules._run_time_rules

    def watched(*args):
        seen.append(db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0])
        return real(*args)

    monkeypatch.setattr(rules, "_run_time_rules", watched)
    assert rules.run_time_rules(MONDAY + timedelta(days=6)).fired["close resolved"] == 1
    assert seen == [0]
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    assert tickets.get_ticket(resolved).status.value == "closed"
