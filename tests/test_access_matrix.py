"""The permission matrix: every role times every service operation, allowed or refused.

Each cell runs the real service call on a fresh desk and checks the outcome: `ok` (it
happened), `refused` (Refused, one clear line) or `hidden` (NotFound: the ticket is not
there for this actor). `python tests/test_access_matrix.py` prints the matrix as markdown.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pg_databases as pg
import pytest

from deskterm import paths
from deskterm.domain import Actor, NewAttachment, NotFound, Refused
from deskterm.services import attachments, canned, directory, maintenance, tickets
from deskterm.services.automation import rules, sla
from deskterm.services.automation.rules_file import parse_rules
from deskterm.services.finding import bulk, listing, views
from deskterm.services.messaging import mailbox
from deskterm.services.messaging.inbound import Importer
from deskterm.services.portal import tracking
from deskterm.services.trust import access, audit
from deskterm.store.models import Attachment, OutboxMessage, Setting

SETUP = Actor.system("test")
ROLES = ("admin", "agent", "observer", "disabled", "customer", "system")


def _world() -> dict[str, int]:
    """Extra people and tickets on the `desk` fixture (general: tier1, billing: billing-team)."""
    directory.create_queue(SETUP, "secret", "Secret", team="billing-team", outsiders="hidden")
    directory.create_agent(SETUP, "olga", "Olga", role="observer")
    directory.create_agent(SETUP, "dora", "Dora", teams=("tier1",))
    directory.update_agent(SETUP, "dora", enabled=False)
    Setting.create(key=access.BULK_LIMIT_KEY, value="2")

    def new(queue: str, requester: str) -> int:
        return tickets.create_ticket(
            SETUP, subject=f"{queue} {requester}", body="help", requester_email=requester,
            queue=queue,
        ).id

    made = {
        "own": new("general", "k1@example.ba"),
        "own2": new("general", "k1@example.ba"),
        "other_requester": new("general", "k2@example.ba"),
        "billing": new("billing", "k1@example.ba"),
        "secret": new("secret", "k1@example.ba"),
        "third": new("general", "k1@example.ba"),
    }
    tickets.attach(SETUP, made["secret"], [NewAttachment("plan.txt", "text/plain", b"plan\n")])
    made["secret_file"] = Attachment.select().order_by(Attachment.id.desc()).first().id
    made["outbox"] = OutboxMessage.create(
        ticket=made["own"], kind="reply", to_addrs="k1@example.ba", subject="Re: help",
        body="hello", message_id="<m1@desk.example>", status="failed",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    ).id
    mailbox.record_inbound(
        "quarantined-1", "quarantined", from_addr="k3@example.ba", subject="Printer",
        raw=QUARANTINED,
    )
    made["quarantined"] = mailbox.list_inbound("quarantined")[0].id
    return made


QUARANTINED = (
    b"From: Kenan <k3@example.ba>\r\nTo: support@desk.example\r\nSubject: Printer\r\n"
    b"Message-ID: <q1@example.ba>\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\n\r\n"
    b"It prints nothing.\r\n"
)


def _retry_quarantined(actor: Actor, t: dict[str, int]) -> None:
    from mail_setup import mail_config

    from deskterm.store.models import InboundMessage

    # Every case shares the template's raw file, which a successful retry removes.
    raw = Path(InboundMessage.get_by_id(t["quarantined"]).raw_path)
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(QUARANTINED)
    Importer(mail_config()).retry(actor, t["quarantined"])


def _save_secret_file(actor: Actor, t: dict[str, int]) -> None:
    attachments.save_to(actor, t["secret_file"], Path(tempfile.mkdtemp()))


def _actor(role: str) -> Actor:
    if role == "customer":
        contact = directory.find_contact("k1@example.ba")
        return Actor.customer(contact.id, contact.email)
    if role == "system":
        return Actor.system("mail")
    name = {"admin": "ana", "agent": "mirza", "observer": "olga", "disabled": "dora"}[role]
    return directory.actor_for(name)


RULES = '[[rule]]\nname = "tag vip"\nwhen = "created"\n[rule.then]\nadd_tags = ["vip"]\n'

#: operation name -> (call, expected outcome per role in ROLES order)
Op = Callable[[Actor, dict[str, int]], object]
OPERATIONS: dict[str, tuple[Op, tuple[str, ...]]] = {
    "read a ticket of own team's queue": (
        lambda a, t: tickets.read_ticket(a, t["own"]),
        ("ok", "ok", "ok", "refused", "ok", "ok"),
    ),
    "read a ticket of another team's read-only queue": (
        lambda a, t: tickets.read_ticket(a, t["billing"]),
        ("ok", "ok", "ok", "refused", "ok", "ok"),
    ),
    "read a ticket of another team's hidden queue": (
        lambda a, t: tickets.read_ticket(a, t["secret"]),
        ("ok", "hidden", "ok", "refused", "ok", "ok"),
    ),
    "read another customer's ticket": (
        lambda a, t: tickets.read_ticket(a, t["other_requester"]),
        ("ok", "ok", "ok", "refused", "hidden", "ok"),
    ),
    "list tickets (hidden queues left out)": (
        lambda a, t: _listed(a, t),
        ("ok", "ok", "ok", "refused", "ok", "ok"),
    ),
    "open a ticket in own team's queue": (
        lambda a, t: tickets.create_ticket(
            a, subject="new", body="b", requester_email="k1@example.ba", queue="general"
        ),
        ("ok", "ok", "refused", "refused", "ok", "ok"),
    ),
    "open a ticket in another team's queue": (
        lambda a, t: tickets.create_ticket(
            a, subject="new", body="b", requester_email="k1@example.ba", queue="billing"
        ),
        ("ok", "refused", "refused", "refused", "ok", "ok"),
    ),
    "reply": (
        lambda a, t: tickets.reply(a, t["own"], "hello"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "reply on another team's read-only ticket": (
        lambda a, t: tickets.reply(a, t["billing"], "hello"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "internal note": (
        lambda a, t: tickets.add_note(a, t["own"], "psst"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "set status": (
        lambda a, t: tickets.set_status(a, t["own"], "pending"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "assign": (
        lambda a, t: tickets.assign(a, t["own"], "mirza"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "tag": (
        lambda a, t: tickets.add_tags(a, t["own"], ["x"]),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "log time": (
        lambda a, t: tickets.log_time(a, t["own"], 5),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "move to another team's queue": (
        lambda a, t: tickets.set_queue(a, t["own"], "billing"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "customer message on own ticket": (
        lambda a, t: tickets.add_customer_message(
            a, t["own"], body="more", from_email="k1@example.ba"
        ),
        ("ok", "ok", "refused", "refused", "ok", "ok"),
    ),
    "customer marks own ticket resolved": (
        lambda a, t: tickets.set_status(a, t["own"], "resolved"),
        ("ok", "ok", "refused", "refused", "ok", "ok"),
    ),
    "merge, same requester": (
        lambda a, t: tickets.merge(a, t["own2"], t["own"]),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "merge across requesters": (
        lambda a, t: tickets.merge(a, t["other_requester"], t["own"]),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "bulk change within the bulk limit (2)": (
        lambda a, t: bulk.bulk_set(a, ids=[t["own"], t["own2"]], priority="high"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "bulk change over the bulk limit (3 > 2)": (
        lambda a, t: bulk.bulk_set(a, ids=[t["own"], t["own2"], t["third"]], priority="high"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "save an own view": (
        lambda a, t: views.save_view(a, "mine", "status:open"),
        ("ok", "ok", "ok", "refused", "refused", "refused"),
    ),
    "save a shared view": (
        lambda a, t: views.save_view(a, "team", "status:open", shared=True),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "add a canned reply": (
        lambda a, t: canned.save_canned(a, "Hi", "Hello {requester.first_name}"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "delete a canned reply": (
        lambda a, t: canned.delete_canned(a, canned.save_canned(SETUP, "Bye", "Bye").id),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "add an agent": (
        lambda a, t: directory.create_agent(a, "nova", "Nova"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "change an agent's role": (
        lambda a, t: directory.update_agent(a, "mirza", role="admin"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "disable an agent": (
        lambda a, t: directory.disable_agent(a, "marko"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "add a team": (
        lambda a, t: directory.create_team(a, "tier3", "Tier 3"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "add a queue": (
        lambda a, t: directory.create_queue(a, "sales", "Sales"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "change a queue's outsiders setting": (
        lambda a, t: directory.update_queue(a, "billing", outsiders="hidden"),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "replace the rules": (
        lambda a, t: rules.load_rules(a, parse_rules(RULES)),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "install SLA policies": (
        lambda a, t: sla.install_default_policies(a),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "set own or a customer's notification language": (
        lambda a, t: directory.set_contact_language(a, "k1@example.ba", "bs"),
        ("ok", "ok", "refused", "refused", "ok", "ok"),
    ),
    "set another customer's notification language": (
        lambda a, t: directory.set_contact_language(a, "k2@example.ba", "bs"),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "opt a customer in to SMS": (
        lambda a, t: directory.set_sms(a, "k1@example.ba", opt_in=True, phone="+387 61 123 456"),
        ("ok", "ok", "refused", "refused", "ok", "ok"),
    ),
    "opt another customer out of SMS": (
        lambda a, t: directory.set_sms(a, "k2@example.ba", opt_in=False),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "rotate the portal's signing key": (
        lambda a, t: tracking.rotate(a),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "retire old portal keys": (
        lambda a, t: tracking.retire_old(a),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "rebuild the search index": (
        lambda a, t: maintenance.reindex(a),
        ("ok", "refused", "refused", "refused", "refused", "ok"),
    ),
    "retry a failed outbox message": (
        lambda a, t: mailbox.retry_outbox(a, t["outbox"]),
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "retry a quarantined message": (
        _retry_quarantined,
        ("ok", "ok", "refused", "refused", "refused", "ok"),
    ),
    "save an attachment of a hidden queue's ticket": (
        _save_secret_file,
        ("ok", "hidden", "ok", "refused", "ok", "ok"),
    ),
    "read one ticket's audit trail": (
        lambda a, t: audit.ticket_trail(a, t["own"]),
        ("ok", "ok", "ok", "refused", "refused", "ok"),
    ),
    "read the desk's audit trail": (
        lambda a, t: audit.find_events(a, since=None, agent="ana"),
        ("ok", "refused", "ok", "refused", "refused", "ok"),
    ),
}


def _listed(actor: Actor, t: dict[str, int]) -> None:
    ids = {r.id for r in listing.list_tickets(None, actor=actor, limit=100)}
    hidden = actor.name == "mirza"
    assert (t["secret"] in ids) is not hidden
    if actor.is_customer:  # a customer lists their own tickets only
        assert t["other_requester"] not in ids


CASES = [
    pytest.param(op, role, expected[i], id=f"{role}: {op}")
    for op, (_, expected) in OPERATIONS.items()
    for i, role in enumerate(ROLES)
]


_TEMPLATE: dict[str, object] = {}


@pytest.fixture
def world(request, tmp_path) -> dict[str, int]:
    """One desk (`desk` fixture plus `_world`) made once per session, fresh for each case:
    a copied file on SQLite; on PostgreSQL one database whose every case runs in a
    transaction that is rolled back (a database per case costs a second each)."""
    from deskterm.store.db import close_db, db, open_db

    if "path" not in _TEMPLATE:
        desk = request.getfixturevalue("desk")
        _TEMPLATE["ids"] = _world()
        if pg.enabled():
            from deskterm.services import transfer

            close_db()
            url = pg.fresh_database("matrix", lambda url: transfer.copy_desk(desk, url))
            request.config.add_cleanup(lambda: pg.drop_database(url))
            _TEMPLATE["path"], _TEMPLATE["files"] = url, pg.template_files("matrix")
        else:
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            _TEMPLATE["path"] = db.database
            _TEMPLATE["files"] = paths.attachments_dir(db.database)
            db.close()
    source, files = _TEMPLATE["path"], _TEMPLATE["files"]
    target = source if pg.enabled() else tmp_path / "matrix.db"
    if not pg.enabled():
        shutil.copy(source, target)
    if files.exists():
        shutil.copytree(files, paths.attachments_dir(target), dirs_exist_ok=True)
    open_db(target)
    if pg.enabled():
        with db.atomic() as case:
            yield dict(_TEMPLATE["ids"])
            case.rollback()
    else:
        yield dict(_TEMPLATE["ids"])
    close_db()


@pytest.mark.parametrize(("op", "role", "expected"), CASES)
def test_permission_matrix(world, op: str, role: str, expected: str) -> None:
    call, _ = OPERATIONS[op]
    actor = _actor(role)
    if expected == "ok":
        call(actor, world)
        return
    error = Refused if expected == "refused" else NotFound
    with pytest.raises(error) as caught:
        call(actor, world)
    message = str(caught.value)
    assert "\n" not in message and message  # one clear line
    if role == "disabled":
        assert message.startswith("agent dora is disabled and can do nothing")
    elif role == "observer":
        assert "olga (observer)" in message
    elif expected == "hidden":
        assert message.startswith(("no ticket #", "no attachment "))  # as if not there


def test_refusals_say_who_and_why(desk):
    world = _world()
    with pytest.raises(Refused) as error:
        tickets.reply(directory.actor_for("mirza"), world["billing"], "hi")
    assert str(error.value) == (
        f"mirza (agent) may read #{world['billing']} but not change it: "
        "queue billing belongs to another team"
    )
    with pytest.raises(Refused) as error:
        canned.save_canned(directory.actor_for("mirza"), "Hi", "Hello")
    assert str(error.value) == "mirza (agent) may not change canned replies: admins only"
    with pytest.raises(Refused) as error:
        bulk.bulk_set(directory.actor_for("mirza"), ids=[1, 2, 3], priority="low", dry_run=True)
    assert str(error.value) == (
        "mirza (agent) may not change 3 tickets at once: over 2 needs an admin"
    )


def matrix_markdown() -> str:
    """The matrix as a markdown table (for the closing note)."""
    head = "| operation | " + " | ".join(ROLES) + " |"
    rule = "|---|" + "---|" * len(ROLES)
    rows = [f"| {op} | " + " | ".join(exp) + " |" for op, (_, exp) in OPERATIONS.items()]
    return "\n".join([head, rule, *rows])


if __name__ == "__main__":
    print(matrix_markdown())
