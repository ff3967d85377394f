"""Team safety through the CLI: bad set-up input is one line and writes nothing, every
set-up change is an audit event, the commands that change desk settings are checked,
and the not-an-agent message names a command that works."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor, NewAttachment
from deskterm.services import directory, tickets
from deskterm.services.finding import views
from deskterm.services.trust import identity
from deskterm.store.db import db, open_db
from deskterm.store.models import Agent, Attachment, CannedReply, Contact, Event, Queue, Team

runner = CliRunner()
SETUP = Actor.system("test")


def cli(path, *args: str):
    """Run `deskterm --db PATH ARGS` as the OS user running the tests (ana, the admin)."""
    db.close()
    result = runner.invoke(app, ["--db", str(path), *args], env={"DESKTERM_AGENT": ""})
    open_db(path)
    return result


def _counts() -> tuple[int, ...]:
    return tuple(
        m.select().count() for m in (Agent, Team, Queue, CannedReply, Contact, Event)
    )


ZONE = "expected an IANA name such as Europe/Sarajevo or UTC"
SLUG = (
    "use lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 40 "
    "(e.g. billing-team)"
)

BAD_INPUT = [
    (["queue", "add", "bad slug", "--name", "Bad"], f"bad queue slug 'bad slug': {SLUG}"),
    (["queue", "add", "Sales", "--name", "Sales"], f"bad queue slug 'Sales': {SLUG}"),
    (["queue", "add", "", "--name", "Empty"], f"bad queue slug '': {SLUG}"),
    (["queue", "add", "a,b", "--name", "Two"], f"bad queue slug 'a,b': {SLUG}"),
    (["queue", "add", "sales", "--name", "  "], "queue name is empty"),
    (["queue", "add", "sales", "--name", "Sales\nTeam"],
     "queue name 'Sales\\nTeam' has a line break or control character"),
    (["queue", "add", "sales", "--name", "Sales", "--email", "sales at desk"],
     "not an email address: 'sales at desk'"),
    (["queue", "add", "sales", "--name", "Sales", "--email", "Support@desk.example"],
     "support@desk.example is already the address of queue general"),
    (["queue", "add", "sales", "--name", "Sales", "--outsiders", "nobody"],
     "bad outsiders setting 'nobody': expected read or hidden"),
    (["queue", "set", "general", "--name", ""], "queue name is empty"),
    (["team", "add", "tier 3", "--name", "Tier 3"], f"bad team slug 'tier 3': {SLUG}"),
    (["team", "add", "tier3", "--name", ""], "team name is empty"),
    (["agent", "add", "zoran", "--email", "zoran"], "not an email address: 'zoran'"),
    (["agent", "add", "zoran", "--email", "zoran@@desk.example"],
     "not an email address: 'zoran@@desk.example'"),
    (["agent", "add", "zoran", "--tz", "Mars/Olympus"],
     f"unknown time zone 'Mars/Olympus': {ZONE}"),
    (["agent", "add", "zoran", "--tz", ""], f"unknown time zone '': {ZONE}"),
    (["agent", "add", "zoran", "--os-user", "zoran z"],
     "bad OS user 'zoran z': a login name of letters, digits, '.', '-' or '_'"),
    (["agent", "add", "zoran z"], "bad username 'zoran z': use letters, digits, '.', '-' or '_'"),
    (["agent", "add", "zoran", "--role", "boss"],
     "bad role 'boss': expected agent, admin, observer"),
    (["agent", "add", "zoran", "--name", "Zoran\x1b[2J"],
     "agent name 'Zoran\\x1b[2J' has a line break or control character"),
    (["agent", "set", "mirza", "--tz", "Europe/Nowhere"],
     f"unknown time zone 'Europe/Nowhere': {ZONE}"),
    (["agent", "set", "mirza", "--email", "mirza"], "not an email address: 'mirza'"),
    (["agent", "set", "mirza", "--name", ""], "agent name is empty"),
    (["canned", "add", "Thanks\nand bye", "--body", "Bye"],
     "canned reply title 'Thanks\\nand bye' has a line break or control character"),
    (["canned", "add", "T" * 201, "--body", "Bye"],
     "canned reply title is 201 characters long: at most 200"),
    (["sla", "install-defaults", "--tz", "Europe/Sarajevoo"],
     f"unknown time zone 'Europe/Sarajevoo': {ZONE}"),
    (["mail", "language", "kupac at example.ba", "bs"],
     "not an email address: 'kupac at example.ba'"),
    (["mail", "language", "kupac@example.ba", "klingon"],
     "unknown language 'klingon': expected one of en, bs, hr, sr, ru, fa"),
    (["mail", "sms", "kupac@example.ba", "--phone", "call me"], "not a phone number: 'call me'"),
    (["mail", "sms", "kupac", "--phone", "+387 61 123 456"], "not an email address: 'kupac'"),
    (["ticket", "follow", "1", "boss"], "not an email address: 'boss'"),
    (["search", "   "], 'nothing to search for: give words, a "phrase" or filter tokens'),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(a)[:40] for a, _ in BAD_INPUT]
)
def test_bad_setup_input_is_one_line_exit_2_and_writes_nothing(desk, args, message):
    tickets.create_ticket(SETUP, subject="Printer", body="b", requester_email="k@example.ba")
    before = _counts()
    mirza = directory.get_agent("mirza")
    result = cli(desk, *args)
    assert (result.exit_code, result.stderr) == (2, f"deskterm: error: {message}\n")
    assert result.stdout == ""
    assert _counts() == before
    assert directory.get_agent("mirza") == mirza


def test_mail_watch_refuses_an_interval_that_would_spin(desk, tmp_path):
    for box in ("new", "cur", "tmp"):
        (tmp_path / "box" / box).mkdir(parents=True)
    result = cli(desk, "mail", "watch", "--path", str(tmp_path / "box"), "--interval", "0")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "deskterm: error: Invalid value for '--interval': Input should be greater than or "
        "equal to 1 (see '"
    )
    assert result.stderr.count("\n") == 1


def test_valid_setup_values_are_kept_as_given(desk):
    added = cli(desk, "agent", "add", "zoran", "--email", "Zoran@Desk.example", "--tz",
                "Europe/Zagreb", "--os-user", "zoran", "--json")
    assert added.exit_code == 0, added.output
    info = json.loads(added.stdout)
    assert (info["email"], info["timezone"], info["os_user"]) == (
        "zoran@desk.example", "Europe/Zagreb", "zoran"
    )
    queue = cli(desk, "queue", "add", "računi-2", "--name", "Računi", "--json")
    assert json.loads(queue.stdout)["slug"] == "računi-2"


# --- every set-up change is an audit event -------------------------------------------


RULES = '[[rule]]\nname = "tag vip"\nwhen = "created"\n[rule.then]\nadd_tags = ["vip"]\n'
ZORAN_AGENT = "role=agent os_user=zoran teams=tier1 enabled available tz=Europe/Zagreb "
ZORAN = "email=zoran@desk.example name=Zoran Z."


def _kupac_wrote_in() -> None:
    """kupac@example.ba is a customer of the desk (their ticket made the contact)."""
    tickets.create_ticket(SETUP, subject="Račun", body="b", requester_email="kupac@example.ba")


def test_every_setup_change_is_an_audit_event_with_before_and_after(desk, tmp_path):
    _kupac_wrote_in()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    commands = [
        ("agent", "add", "zoran", "--name", "Zoran Z.", "--email", "Zoran@Desk.example",
         "--tz", "Europe/Zagreb", "--os-user", "zoran", "--teams", "tier1"),
        ("agent", "set", "zoran", "--role", "observer", "--tz", "Europe/Sarajevo"),
        ("agent", "set", "zoran", "--role", "observer"),  # no change: no event
        ("agent", "disable", "zoran"),
        ("agent", "bulk-limit", "10"),
        ("team", "add", "tier2", "--name", "Tier 2"),
        ("queue", "add", "sales", "--name", "Sales", "--email", "sales@desk.example",
         "--team", "tier2"),
        ("queue", "set", "sales", "--outsiders", "hidden"),
        ("canned", "add", "Thanks", "--body", "Thank you, {requester.first_name}!",
         "--set-status", "resolved"),
        ("canned", "delete", "Thanks"),
        ("rules", "apply", str(rules)),
        ("rules", "disable", "tag vip"),
        ("sla", "install-defaults", "--tz", "Europe/Zagreb"),
        ("sla", "set-policy", "sales", "none"),
        ("mail", "language", "kupac@example.ba", "bs"),
        ("mail", "sms", "kupac@example.ba", "--phone", "+387 61 123 456"),
    ]
    for args in commands:
        result = cli(desk, *args)
        assert result.exit_code == 0, (args, result.output)
    ana = directory.actor_for("ana")
    views.save_view(ana, "Mine", "assignee:me status:open")
    views.save_view(ana, "Urgent", "priority:urgent", shared=True)
    shared = next(v for v in views.list_views("ana") if v.name == "Urgent")
    views.delete_view(ana, shared.id)

    trail = json.loads(cli(desk, "audit", "--agent", "ana", "--json").stdout)
    events = [(e["action"], e["field"], e["before"], e["after"])
              for e in trail if e["ticket_id"] is None]
    calendar = events[11][3]
    policy = events[12][3]
    assert calendar.startswith("timezone=Europe/Zagreb hours={\"mon\": [[\"08:00\", \"19:00\"]]")
    assert policy.startswith("calendar=Workdays 8-19 targets={\"low\": ")
    canned = "title=Thanks set_status=resolved tags=-\nThank you, {requester.first_name}!"
    observer = ZORAN_AGENT.replace("role=agent", "role=observer").replace(
        "Europe/Zagreb", "Europe/Sarajevo"
    )
    assert events == [
        ("agent.added", "zoran", None, ZORAN_AGENT + ZORAN),
        ("agent.changed", "zoran", ZORAN_AGENT + ZORAN, observer + ZORAN),
        ("agent.changed", "zoran", observer + ZORAN,
         observer.replace("enabled", "disabled") + ZORAN),
        ("access.bulk_limit", "access.bulk_limit", "25", "10"),
        ("team.added", "tier2", None, "Tier 2"),
        ("queue.added", "sales", None,
         "name=Sales email=sales@desk.example team=tier2 outsiders=read"),
        ("queue.changed", "sales", "name=Sales email=sales@desk.example team=tier2 outsiders=read",
         "name=Sales email=sales@desk.example team=tier2 outsiders=hidden"),
        ("canned.added", "canned:1", None, canned),
        ("canned.deleted", "canned:1", canned, None),
        ("rule.added", "rule:tag vip", None, events[9][3]),
        ("rule.enabled", "rule:tag vip", "True", "False"),
        ("sla.calendar", "calendar:Workdays 8-19", None, calendar),
        ("sla.policy", "policy:Standard", None, policy),
        ("sla.queue_policy", "queue:general", None, "Standard"),
        ("sla.queue_policy", "queue:billing", None, "Standard"),
        ("sla.queue_policy", "queue:sales", None, "Standard"),
        ("sla.queue_policy", "queue:sales", "Standard", None),
        ("contact.language", "kupac@example.ba", None, "bs"),
        ("contact.sms", "kupac@example.ba", "off phone=-", "on phone=+387 61 123 456"),
        ("view.saved", "view:Mine (ana)", None, "assignee:me status:open"),
        ("view.saved", "view:Urgent (shared)", None, "priority:urgent"),
        ("view.deleted", "view:Urgent (shared)", "priority:urgent", None),
    ]
    assert json.loads(events[9][3])["name"] == "tag vip"
    table = cli(desk, "audit", "--since", "1h").stdout
    assert "agent.added" in table and "view.deleted" in table


# --- settings commands are checked in the services -----------------------------------


def _add_observer() -> None:
    directory.create_agent(SETUP, "olga", "Olga", role="observer")


@pytest.mark.parametrize(("who", "args", "message"), [
    ("olga", ["mail", "language", "kupac@example.ba", "bs"],
     "olga (observer) is read-only and may not change contacts"),
    ("olga", ["mail", "sms", "kupac@example.ba", "--off"],
     "olga (observer) is read-only and may not change contacts"),
    ("mirza", ["portal", "rotate-key"],
     "mirza (agent) may not change the desk's settings: admins only"),
    ("mirza", ["db", "reindex"], "mirza (agent) may not change the desk's settings: admins only"),
    ("olga", ["mail", "outbox", "retry", "1"],
     "olga (observer) is read-only and may not run the desk's jobs"),
    ("olga", ["mail", "quarantine", "retry", "1"],
     "olga (observer) is read-only and may not import mail"),
])
def test_settings_commands_refuse_who_may_not(desk, who, args, message):
    _add_observer()
    _kupac_wrote_in()
    before = _counts()
    result = cli(desk, "--as", who, *args)
    assert (result.exit_code, result.stderr) == (1, f"deskterm: error: {message}\n")
    assert _counts() == before


def test_an_agent_sets_a_customers_language_and_sms(desk):
    _kupac_wrote_in()
    result = cli(desk, "--as", "mirza", "mail", "language", "kupac@example.ba", "ru", "--json")
    assert json.loads(result.stdout) == {"email": "kupac@example.ba", "language": "ru"}
    result = cli(desk, "--as", "mirza", "mail", "sms", "kupac@example.ba", "--phone", "+38761123")
    assert result.stdout == "kupac@example.ba: SMS on (+38761123)\n"
    done = [(e.actor, e.via, e.action) for e in Event.select().where(Event.ticket.is_null())
            .where(Event.action.startswith("contact."))]
    assert done == [("agent:mirza", "ana", "contact.language"),
                    ("agent:mirza", "ana", "contact.sms")]


def test_save_attachment_of_a_hidden_ticket_is_not_there(desk, tmp_path):
    directory.update_queue(SETUP, "billing", outsiders="hidden")
    ticket = tickets.create_ticket(SETUP, subject="Salary", body="b",
                                   requester_email="k@example.ba", queue="billing")
    tickets.attach(SETUP, ticket.id, [NewAttachment("salary.txt", "text/plain", b"100\n")])
    file_id = Attachment.select().first().id
    refused = cli(desk, "--as", "mirza", "ticket", "save-attachment", str(file_id), str(tmp_path))
    assert (refused.exit_code, refused.stderr) == (1, f"deskterm: error: no attachment {file_id}\n")
    assert not (tmp_path / "salary.txt").exists()
    saved = cli(desk, "--as", "marko", "ticket", "save-attachment", str(file_id), str(tmp_path))
    assert saved.exit_code == 0, saved.output
    assert (tmp_path / "salary.txt").read_bytes() == b"100\n"


# --- who you are -----------------------------------------------------------------------


def test_the_not_an_agent_message_names_a_command_that_works(desk, monkeypatch):
    me = identity.os_user()
    directory.update_agent(SETUP, "ana", os_user="ana-login")
    refused = cli(desk, "ticket", "list")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"deskterm: error: OS user {me!r} is not an agent of this desk; an admin can add you "
        f"with `deskterm agent add NAME --os-user {me}`\n"
    )
    command = re.search(r"`deskterm (.+?)`", refused.stderr).group(1)
    # ana, the admin, runs it as the message says, with a name for NAME.
    monkeypatch.setattr(identity, "os_user", lambda: "ana-login")
    added = cli(desk, *shlex.split(command.replace("NAME", "zoran")))
    assert added.stdout == "added agent zoran (agent)\n"
    monkeypatch.undo()
    assert cli(desk, "ticket", "list").exit_code == 0
    assert directory.get_agent("zoran").os_user == me


def test_the_disabled_agent_message_names_a_command_that_works(desk):
    directory.update_agent(SETUP, "mirza", enabled=False)
    refused = cli(desk, "--as", "mirza", "ticket", "list")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "deskterm: error: agent mirza is disabled and can do nothing; an admin can enable "
        "them with `deskterm agent set mirza --enable`\n",
    )
    command = re.search(r"`deskterm (.+?)`", refused.stderr).group(1)
    assert cli(desk, *shlex.split(command)).stdout == "agent mirza: agent, available\n"
    assert cli(desk, "--as", "mirza", "ticket", "list").exit_code == 0


def test_portal_events_are_named_area_dot_verb_and_old_names_read_the_same(desk):
    # Desk events are `agent.added`, `view.saved`...; the portal's were `portal_key_rotated`.
    # Stored events cannot be renamed (the database refuses UPDATE), so an event written
    # under an old name reads under the new one.
    assert cli(desk, "portal", "rotate-key", "--retire").exit_code == 0
    db.execute_sql(
        'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after",'
        ' "via") VALUES (NULL, ?, ?, ?, ?, NULL, ?, NULL)',
        ("agent:ana", "2026-11-30 10:00:00", "portal_key_rotated", "portal.keys", "k-old"),
    )
    stored = [e.action for e in Event.select().where(Event.field == "portal.keys")
              .order_by(Event.id)]
    assert stored == ["portal.key_rotated", "portal.keys_retired", "portal_key_rotated"]
    trail = json.loads(cli(desk, "audit", "--since", "30d", "--json").stdout)
    assert [e["action"] for e in trail if e["field"] == "portal.keys"] == [
        "portal.key_rotated", "portal.key_rotated", "portal.keys_retired"]


@pytest.mark.parametrize("args", [
    ["mail", "language", "Nobody@Example.BA", "fa"],
    ["mail", "language", "Nobody@Example.BA", "auto"],
    ["mail", "language", "Nobody@Example.BA"],
    ["mail", "sms", "Nobody@Example.BA", "--phone", "+387 61 123 456"],
    ["mail", "sms", "Nobody@Example.BA", "--off"],
], ids=lambda a: " ".join(a[:2] + a[3:]))
def test_an_unknown_customer_address_is_refused_and_nothing_is_created(desk, args):
    """A mistyped address must not become a new contact: one line, exit 1 (not found)."""
    tickets.create_ticket(SETUP, subject="Printer", body="b", requester_email="k@example.ba")
    before = _counts()
    result = cli(desk, *args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "deskterm: error: no customer with address 'nobody@example.ba'\n"
    assert _counts() == before
    result = cli(desk, *args, "--json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert json.loads(result.stderr) == {"error": "no customer with address 'nobody@example.ba'",
                                         "code": 1, "kind": "not_found"}
    assert _counts() == before
