"""Realistic, deterministic demo data, and first-run set-up of an empty desk.

Everything goes through the real services with the clock set back in time, so the
demo has true audit trails, SLA clocks and (where mail is wired) outbox messages.
"""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from deskterm import clock, paths
from deskterm.domain import Actor, NewAttachment, Refused
from deskterm.services import canned, directory, signals, tickets
from deskterm.services.automation import sla
from deskterm.services.trust import access, identity
from deskterm.store import backends
from deskterm.store.db import close_db, db, open_db, write_transaction
from deskterm.store.models import Setting, Ticket

TEAMS = [("tier1", "Tier 1"), ("tier2", "Tier 2"), ("billing-team", "Billing team")]
AGENTS = [
    ("ana", "Ana Anić", "Europe/Zagreb", ("tier1",), True),
    ("mirza", "Mirza Hodžić", "Europe/Sarajevo", ("tier1",), False),
    ("lejla", "Lejla Begić", "Europe/Sarajevo", ("tier2",), True),
    ("ivan", "Ivan Petrov", "Europe/Moscow", ("tier2",), False),
    ("sara", "Sara Karimi", "Asia/Tehran", ("tier1", "tier2"), False),
    ("marko", "Marko Horvat", "Europe/Zagreb", ("billing-team",), True),
    ("olga", "Olga Smirnova", "Europe/Moscow", ("billing-team",), False),
    ("reza", "Reza Ahmadi", "Asia/Tehran", ("tier1",), False),
]
QUEUES = [
    ("general", "General questions", "support@deskterm.example", "tier1"),
    ("technical", "Technical problems", "tech@deskterm.example", "tier2"),
    ("billing", "Billing and contracts", "billing@deskterm.example", "billing-team"),
    ("accounts", "Accounts and access", "accounts@deskterm.example", "tier1"),
]
ORGS = ["Acme d.o.o.", "Bosnalijek", "Podravka", "Росинтех", "Pars Data", "Sunce d.d.", None]
FIRST = [
    "Amra",
    "Kenan",
    "Ivana",
    "Josip",
    "Dmitrij",
    "Natalija",
    "Maryam",
    "Ali",
    "Tea",
    "Edin",
    "Sanja",
    "Pavel",
    "Neda",
    "Luka",
    "Emina",
    "Tomislav",
    "Elena",
    "Hossein",
    "Jasmina",
    "Petra",
]
LAST = [
    "Hadžić",
    "Kovačević",
    "Novak",
    "Иванов",
    "Кузнецова",
    "Rahimi",
    "Babić",
    "Delić",
    "Jurić",
    "Moradi",
]

# (queue, subject, first message) per language; the desk gets mail in all of them.
REQUESTS = [
    (
        "billing",
        "Račun za novembar nije stigao",
        "Poštovani, račun za novembar još nije stigao na moju adresu. Broj ugovora je u potpisu.",
    ),
    (
        "billing",
        "Dvostruko naplaćena pretplata",
        "Dobar dan, ovaj mjesec mi je pretplata naplaćena dva puta. Molim povrat novca.",
    ),
    (
        "billing",
        "Счёт выставлен на неверную организацию",
        "Здравствуйте! В счёте указано неверное название организации, прошу исправить.",
    ),
    (
        "billing",
        "فاکتور این ماه اشتباه است",
        "سلام، مبلغ فاکتور این ماه با قرارداد ما مطابقت ندارد. لطفا بررسی کنید.",
    ),
    (
        "billing",
        "Change of billing address",
        "Hello, we moved offices. Please update the billing address on our contract.",
    ),
    (
        "technical",
        "Pisač ne ispisuje nakon ažuriranja",
        "Nakon jučerašnjeg ažuriranja pisač u uredu ne ispisuje ništa. Greška 0x6d.",
    ),
    (
        "technical",
        "Не работает VPN после обновления",
        "После обновления клиента VPN не подключается, пишет «таймаут соединения».",
    ),
    (
        "technical",
        "ایمیل‌ها به صندوق ورودی نمی‌رسند",
        "از دیروز ایمیل‌های مشتریان به صندوق ورودی ما نمی‌رسد. لطفا کمک کنید.",
    ),
    (
        "technical",
        "Aplikacija se ruši pri pokretanju",
        "Mobilna aplikacija se zatvori odmah nakon pokretanja na Androidu 14.",
    ),
    (
        "technical",
        "Server returns 502 on the reports page",
        "Since this morning the reports page returns 502 Bad Gateway for all our users.",
    ),
    (
        "technical",
        "Spor rad sistema u špici",
        "Između 9 i 11 sati sistem radi izuzetno sporo, čekamo i po minutu na odgovor.",
    ),
    (
        "accounts",
        "Zaboravljena lozinka",
        "Ne mogu se prijaviti, zaboravila sam lozinku, a link za reset ne stiže.",
    ),
    (
        "accounts",
        "Нужен доступ для нового сотрудника",
        "Прошу создать учётную запись для нового сотрудника отдела продаж.",
    ),
    (
        "accounts",
        "حساب کاربری من قفل شده است",
        "بعد از چند بار تلاش ناموفق، حساب کاربری من قفل شد. لطفا آن را باز کنید.",
    ),
    (
        "accounts",
        "Please remove a former employee",
        "Kenan left the company last week; please remove his access to all systems.",
    ),
    (
        "general",
        "Radno vrijeme za praznike",
        "Zanima me kakvo će biti radno vrijeme podrške za vrijeme novogodišnjih praznika.",
    ),
    (
        "general",
        "Вопрос по условиям договора",
        "Подскажите, можно ли перейти на годовой тариф в середине срока договора?",
    ),
    (
        "general",
        "سوال درباره تمدید قرارداد",
        "قرارداد ما ماه آینده تمام می‌شود. شرایط تمدید چگونه است؟",
    ),
    (
        "general",
        "Ponuda za dodatne licence",
        "Trebamo ponudu za još 15 licenci. Možete li poslati cjenik?",
    ),
    (
        "general",
        "Feedback on the new dashboard",
        "Just wanted to say the new dashboard is great, but the dark mode is too dark.",
    ),
]
CUSTOMER_FOLLOW_UPS = [
    "Hvala na brzom odgovoru, ali problem je i dalje prisutan.",
    "Спасибо, попробую и сообщу результат.",
    "ممنون، مشکل هنوز وجود دارد.",
    "Thanks, attaching a screenshot of the error.",
    "Evo dodatnih informacija koje ste tražili.",
]
AGENT_REPLIES = [
    "Poštovani {name}, hvala na poruci. Provjeravamo i javljamo se uskoro.",
    "Здравствуйте, {name}! Мы разбираемся с вашим вопросом.",
    "{name} عزیز، درخواست شما دریافت شد و در حال بررسی است.",
    "Hi {name}, thanks for the details. Could you tell us which version you are on?",
]
NOTES = [
    "Provjerio sam logove, greška je na strani servera. @lejla možeš li pogledati?",
    "Клиент VIP, ответить в приоритете.",
    "Duplicate of an older ticket, probably. @marko please check the contract.",
    "این مشکل قبلا هم گزارش شده بود.",
]
TAGS = ["vip", "bug", "invoice", "vpn", "password", "printer", "feature-request", "outage"]
CANNED = [
    (
        "Pozdrav i potvrda",
        "Poštovani {requester.first_name},\n\nhvala na poruci. Vaš zahtjev "
        "{ticket.ref} je zaprimljen i rješavamo ga.\n\nLijep pozdrav,\n{agent.name}",
        None,
        (),
    ),
    (
        "Need more information",
        "Hi {requester.first_name},\n\nto move {ticket.ref} forward we need "
        "a bit more information: which version are you using, and when did it start?\n\n"
        "{agent.name}",
        "pending",
        ("waiting-info",),
    ),
    (
        "Riješeno",
        "Poštovani {requester.first_name},\n\nproblem iz zahtjeva {ticket.ref} je "
        "riješen. Ako se ponovi, samo odgovorite na ovu poruku.\n\n{agent.name}",
        "resolved",
        (),
    ),
    (
        "Ответ получен",
        "Здравствуйте, {requester.first_name}!\n\nВаша заявка {ticket.ref} "
        "«{ticket.subject}» принята в работу.\n\n{agent.name}",
        None,
        (),
    ),
    (
        "پاسخ اولیه",
        "{requester.first_name} عزیز،\n\nدرخواست {ticket.ref} دریافت شد.\n\n{agent.name}",
        None,
        (),
    ),
    (
        "Password reset link",
        "Hi {requester.first_name},\n\nI've sent a new password reset link "
        "to {requester.email}. It is valid for 24 hours.\n\n{agent.name}",
        "pending",
        ("password",),
    ),
]


#: Tickets newer than this are seeded with rules, SLA and mail listeners live.
LIVE_WINDOW = timedelta(days=3)
#: How often the demo's history ran the time rules, as cron would (`deskterm rules run`).
CATCH_UP_EVERY = timedelta(hours=6)


def init_desk(admin_username: str, os_user: str | None = None) -> dict[str, Any]:
    """Make an empty desk usable: a team, a queue and the OS user running it as its first
    admin `admin_username` (idempotent). On a desk that has agents, only one of them may
    run it again (Refused otherwise: an admin adds agents)."""
    from deskterm.store.models import Agent, Queue, Team

    user = os_user or identity.os_user()
    if Agent.select().exists() and identity.agent_for_os_user(user) is None:
        identity.resolve(None, user)  # raises the "not an agent" refusal
    setup = Actor.system("init")
    created: dict[str, Any] = {"team": None, "queue": None, "admin": None}
    with write_transaction():
        if not Team.select().exists():
            created["team"] = directory.create_team(setup, "support", "Support").slug
        # On a desk set up by other means the first team stands in for "support".
        team = Team.get_or_none(Team.slug == "support") or Team.select().order_by(Team.id).get()
        if not Queue.select().exists():
            created["queue"] = directory.create_queue(
                setup, "general", "General", team=team.slug
            ).slug
        if not Agent.select().exists():
            created["admin"] = directory.create_agent(
                setup, admin_username, admin_username, role="admin", teams=(team.slug,)
            ).username
            identity.map_os_user_to_admin(admin_username, user)
    return created


def _refuse_unless_replaceable(path: Path) -> None:
    """Only a missing or empty file, an empty desk or a demo desk may become a new demo."""
    from deskterm.store.db import file_kind

    kind = file_kind(path)
    if kind in ("missing", "empty"):
        return
    if kind != "deskterm":
        what = "another program's SQLite database" if kind == "sqlite" else "not a deskterm desk"
        raise Refused(f"{path} is {what}; refusing to replace it (use --force to overwrite)")
    _refuse_real_desk(path, str(path))


def _refuse_real_desk(target: Path | str, described: str) -> None:
    open_db(target)
    try:
        from deskterm.store.models import Agent, Queue

        is_demo = Setting.get_or_none(Setting.key == "demo") is not None
        has_anything = any(m.select().exists() for m in (Ticket, Queue, Agent))
    finally:
        close_db()
    if has_anything and not is_demo:
        raise Refused(
            f"{described} is a desk that is not a demo; refusing to replace it "
            "(use --force to overwrite it with demo data)"
        )


def recreate_demo(
    path: Path | str, *, seed: int = 7, tickets: int = 300, force: bool = False
) -> dict:
    """Replace the database at `path` with a fresh demo: only a missing or empty file, an
    empty desk or a demo desk, unless `force` (then anything, even a foreign file)."""
    target = paths.db_target(path)
    chosen = backends.for_target(target)
    server = backends.is_server_url(target)
    if not force:
        if server:
            if chosen.exists(target):
                _refuse_real_desk(target, chosen.describe(target))
        else:
            _refuse_unless_replaceable(Path(target))
    if server and chosen.exists(target):
        open_db(target, upgrade=False)
        chosen.drop_everything(db)
    elif not server:
        for suffix in ("", "-wal", "-shm"):  # whatever it is: --force or a replaceable file
            Path(str(target) + suffix).unlink(missing_ok=True)
    close_db()
    shutil.rmtree(paths.attachments_dir(target), ignore_errors=True)
    open_db(target)
    return seed_demo(seed=seed, tickets=tickets)


def _setup(rng: random.Random) -> list[tuple[str, str]]:
    setup = Actor.system("demo")
    for slug, name in TEAMS:
        directory.create_team(setup, slug, name)
    for username, name, zone, teams, lead in AGENTS:
        directory.create_agent(
            setup,
            username,
            name,
            email=f"{username}@deskterm.example",
            timezone=zone,
            teams=teams,
        )
        if lead:
            from deskterm.store.models import TeamMember

            TeamMember.update(is_lead=True).where(
                TeamMember.agent == directory.agent_row(username).id
            ).execute()
    for slug, name, email, team in QUEUES:
        directory.create_queue(setup, slug, name, email=email, team=team)
    for title, body, status, tags in CANNED:
        canned.save_canned(setup, title, body, set_status=status, add_tags=tags)
    # The OS user who made the demo is its first agent, as an admin (`services.identity`).
    identity.map_os_user_to_admin(AGENTS[0][0])
    people = []
    for i in range(40):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = rng.choice(["ba", "hr", "ru", "ir", "com"])
        email = f"{_ascii(first)}.{_ascii(last)}{i}@example.{domain}"
        org = rng.choice(ORGS)
        directory.update_contact(
            email,
            name=f"{first} {last}",
            phone=f"+387 6{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
            organisation=org,
            contract_no=f"UG-{rng.randint(2019, 2026)}-{rng.randint(1000, 9999)}" if org else None,
        )
        people.append((email, f"{first} {last}"))
    return people


def _ascii(text: str) -> str:
    table = str.maketrans("čćžšđČĆŽŠĐ", "cczsdCCZSD")
    cleaned = text.translate(table).lower()
    return "".join(ch for ch in cleaned if ch.isascii() and ch.isalnum()) or "kontakt"


def _install_automation() -> None:
    """Give the demo SLA policies and the example rules when those services exist."""
    from importlib import import_module, util

    if util.find_spec("deskterm.services.automation.sla") is not None:
        sla = import_module("deskterm.services.automation.sla")
        if hasattr(sla, "install_default_policies"):
            sla.install_default_policies(Actor.system("demo"))
    rules_file = Path(__file__).resolve().parents[2] / "data" / "rules.example.toml"
    if util.find_spec("deskterm.services.automation.rules") is not None and rules_file.exists():
        rules = import_module("deskterm.services.automation.rules")
        if hasattr(rules, "load_rules_file"):
            rules.load_rules_file(Actor.system("demo"), rules_file)


def seed_demo(*, seed: int = 7, tickets: int = 300) -> dict[str, Any]:
    """Fill an empty database with teams, agents, queues, requesters and ticket history."""
    with access.writing_history():
        return _seed(seed, tickets)


def _seed(seed: int, tickets: int) -> dict[str, Any]:
    rng = random.Random(seed)
    end = clock.now().replace(microsecond=0)
    start = end - timedelta(days=60)
    with clock.frozen_at(start - timedelta(days=1)):
        with write_transaction():
            people = _setup(rng)
            _install_automation()
            Setting.upsert(key="demo", value=str(seed))
    agents = [directory.actor_for(a[0]) for a in AGENTS]
    moments = sorted(start + timedelta(seconds=rng.randint(0, 60 * 86400)) for _ in range(tickets))
    live_from = end - LIVE_WINDOW
    # Old history: written quietly in one transaction, then SLA clocks computed in one batch.
    with signals.muted(), write_transaction():
        for at in moments:
            if at < live_from:
                _one_ticket(rng, at, end, people, agents)
    sla.backfill(end)
    # The last days go through every listener: rules fire, mail is queued, clocks tick.
    for at in moments:
        if at >= live_from:
            with write_transaction():
                _one_ticket(rng, at, end, people, agents)
    # The desk's own automation ran as the weeks passed (cron every few hours): breaches
    # were logged, stale pending and long-resolved tickets closed and urgent ones escalated
    # when their time came, not all at once on the first start.
    from deskterm.services.automation import rules

    moment = start + CATCH_UP_EVERY
    while moment < end:
        rules.run_time_rules(moment)
        moment += CATCH_UP_EVERY
    rules.run_time_rules(end)
    return {
        "seed": seed,
        "tickets": tickets,
        "agents": len(AGENTS),
        "queues": len(QUEUES),
        "teams": len(TEAMS),
        "requesters": len(people),
    }


def _steps_for_age(rng: random.Random, age_hours: float) -> int:
    """How far a ticket of this age has come: old ones are mostly resolved or closed."""
    if age_hours < 4:
        return rng.choice([0, 0, 1])
    if age_hours < 48:
        return rng.choice([1, 2, 2, 3])
    if age_hours < 24 * 7:
        return rng.choice([2, 3, 3, 4])
    return rng.choice([1, 2, 2, 3, 4, 4, 4, 4, 4])  # some get stuck: the backlog to clean


def _rate(customer: Actor, ticket_id: int, rating: int) -> None:
    """A satisfaction answer, when the mail channel (which owns surveys) is installed."""
    from deskterm.services.messaging import notifications

    notifications.record_rating(customer, ticket_id, rating)


def _one_ticket(rng: random.Random, at, end, people, agents: list[Actor]) -> None:
    queue, subject, body = rng.choice(REQUESTS)
    email, name = rng.choice(people)
    files = []
    if rng.random() < 0.12:
        files.append(
            NewAttachment(
                "snimak-ekrana.png" if rng.random() < 0.5 else "счёт.pdf",
                "application/octet-stream",
                f"demo {rng.random()}".encode(),
            )
        )
    with clock.frozen_at(at):
        ticket = tickets.create_ticket(
            Actor("customer", email),
            subject=subject,
            body=body,
            requester_email=email,
            requester_name=name,
            queue=queue,
            channel="email",
            priority=rng.choices(["low", "normal", "high", "urgent"], [2, 6, 2, 1])[0],
            tags=rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])),
            attachments=files,
        )
    age_hours = (end - at).total_seconds() / 3600
    # A rule may have assigned the ticket already (round-robin); that agent works it.
    agent = next((a for a in agents if a.name == ticket.assignee), None) or rng.choice(agents)
    t = at
    steps = _steps_for_age(rng, age_hours)

    def later(max_hours: float):
        nonlocal t
        t = t + timedelta(minutes=rng.randint(10, int(max_hours * 60)))
        if t >= end:
            raise _NotYet
        return clock.frozen_at(t)

    try:
        _work_ticket(rng, ticket, agent, email, name, steps, age_hours, later)
    except _NotYet:
        pass  # a young ticket has not got that far yet


class _NotYet(Exception):
    """A ticket's next step would come after the demo's "now"."""


def _work_ticket(
    rng: random.Random,
    ticket: Any,
    agent: Actor,
    email: str,
    name: str,
    steps: int,
    age_hours: float,
    later: Any,
) -> None:
    """The agent's and the customer's steps on one ticket, each `later` than the last."""
    if steps >= 1 and ticket.assignee is None and rng.random() < 0.85:
        with later(6):
            tickets.assign(agent, ticket.id, agent.name)
    if steps >= 2:
        with later(5):
            reply_text = rng.choice(AGENT_REPLIES).format(name=name.split()[0])
            tickets.reply(agent, ticket.id, reply_text, set_status=rng.choice(["pending", "open"]))
            if rng.random() < 0.5:
                tickets.log_time(agent, ticket.id, rng.randint(5, 45))
    if steps == 2 and rng.random() < 0.3:
        with later(8):
            tickets.set_status(agent, ticket.id, "on_hold")
    if steps >= 2 and rng.random() < 0.4:
        with later(10):
            tickets.add_note(agent, ticket.id, rng.choice(NOTES))
    if steps >= 3 and rng.random() < 0.6:
        with later(48):
            tickets.add_customer_message(
                Actor("customer", email),
                ticket.id,
                body=rng.choice(CUSTOMER_FOLLOW_UPS),
                from_email=email,
            )
    if steps >= 3:
        with later(24):
            tickets.reply(
                agent,
                ticket.id,
                "Riješeno, hvala na strpljenju. / Resolved, thanks.",
                set_status="resolved",
            )
    if steps >= 3 and rng.random() < 0.5:
        with later(12):
            _rate(
                Actor("customer", email),
                ticket.id,
                rng.choices([5, 4, 3, 2, 1], [50, 25, 12, 8, 5])[0],
            )
    if steps >= 4 and age_hours > 24 * 7:
        with later(24 * 5):
            tickets.set_status(agent, ticket.id, "closed")
