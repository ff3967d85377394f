"""People and places: agents, teams, queues, contacts and organisations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deskterm import clock, domain
from deskterm.domain import Actor, AgentInfo, BadInput, NotFound, Role
from deskterm.services.values import check_name, check_slug, check_time_zone
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, Organisation, Queue, Team, TeamMember
from deskterm.store.models import Contact as ContactRow

if TYPE_CHECKING:  # `domain.QueueInfo` and the rest load when first made
    from deskterm.domain import Contact, QueueInfo, TeamInfo


def normalise_email(email: str) -> str:
    """Lower-case and trim an address; BadInput when it is not an RFC 5322 address.

    Quoted local parts (`"test test"@example.com`) and hosts without a dot
    (`root@localhost`) are addresses; spaces outside quotes, control characters, empty
    parts and empty domain labels are not.
    """
    cleaned = (email or "").strip().lower()
    if not _is_address(cleaned):
        raise BadInput(f"not an email address: {email!r}")
    return cleaned


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUOTED_LOCAL = re.compile(r'^"(?:[^"\\\r\n]|\\.)+"$')
_DOT_ATOM = re.compile(r"^[^\s@\"(),:;<>\[\]\\]+$")
_DOMAIN = re.compile(r"^(\[[^\]\s]+\]|[^\s@\"(),:;<>\[\]\\]+)$")


def _is_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > 320:
        return False
    if _CONTROL.search(address):
        return False
    if _QUOTED_LOCAL.match(local):
        local_ok = True
    else:
        local_ok = bool(_DOT_ATOM.match(local)) and "" not in local.split(".")
    labels_ok = domain.startswith("[") or "" not in domain.split(".")
    return local_ok and labels_ok and bool(_DOMAIN.match(domain))


# --- agents -------------------------------------------------------------------


def agent_info(row: Agent) -> AgentInfo:
    """The read model of an agent row."""
    teams = tuple(
        m.team.slug
        for m in TeamMember.select(TeamMember, Team).join(Team).where(TeamMember.agent == row.id)
    )
    return AgentInfo(
        id=row.id,
        username=row.username,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        timezone=row.timezone,
        active=row.active,
        teams=teams,
        os_user=row.os_user,
        enabled=row.enabled,
    )


def agent_row(username: str) -> Agent:
    """The agent row for a username (NotFound names the unknown agent)."""
    row = Agent.get_or_none(Agent.username == username)
    if row is None:
        raise NotFound(f"no agent named {username!r}")
    return row


def get_agent(username: str) -> AgentInfo:
    """Look up one agent by username."""
    return agent_info(agent_row(username))


def list_agents() -> list[AgentInfo]:
    """All agents, by username."""
    return [agent_info(a) for a in Agent.select().order_by(Agent.username)]


def _username(username: str) -> str:
    if not re.fullmatch(r"[\w.-]+", username or ""):
        raise BadInput(f"bad username {username!r}: use letters, digits, '.', '-' or '_'")
    return username


def _role(role: str) -> str:
    if role not in tuple(Role):
        raise BadInput(f"bad role {role!r}: expected {', '.join(Role)}")
    return role


_OS_USER = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}\$?$")


def _free_os_user(os_user: str | None, agent_id: int | None = None) -> str | None:
    if not os_user:
        return None
    if not _OS_USER.match(os_user):
        raise BadInput(
            f"bad OS user {os_user!r}: a login name of letters, digits, '.', '-' or '_'"
        )
    owner = Agent.get_or_none(Agent.os_user == os_user)
    if owner is not None and owner.id != agent_id:
        raise BadInput(f"OS user {os_user!r} is already agent {owner.username}")
    return os_user


def _agent_email(email: str) -> str:
    """An agent's address: empty (none) or a valid one, lower-cased."""
    return normalise_email(email) if email.strip() else ""


def _agent_summary(info: AgentInfo) -> str:
    """An agent as their audit events show them (the name last: it may have spaces)."""
    state = "enabled" if info.enabled else "disabled"
    teams = ",".join(info.teams) or "-"
    return (
        f"role={info.role.value} os_user={info.os_user or '-'} teams={teams} {state} "
        f"{'available' if info.active else 'away'} tz={info.timezone} "
        f"email={info.email or '-'} name={info.name}"
    )


@retry_when_busy
def create_agent(
    actor: Actor,
    username: str,
    name: str,
    *,
    email: str = "",
    role: str = "agent",
    timezone: str = "UTC",
    teams: tuple[str, ...] = (),
    os_user: str | None = None,
) -> AgentInfo:
    """Add an agent (and their team memberships) in one transaction (admins only)."""
    from deskterm.services.trust import access, audit

    _username(username)
    _role(role)
    name = check_name(name or username, "agent name")
    email = _agent_email(email)
    check_time_zone(timezone)
    with write_transaction():
        access.check(actor, access.Action.MANAGE_AGENTS)
        if Agent.get_or_none(Agent.username == username):
            raise BadInput(f"agent {username!r} already exists")
        row = Agent.create(
            username=username,
            name=name,
            email=email,
            role=role,
            timezone=timezone,
            os_user=_free_os_user(os_user),
        )
        for slug in dict.fromkeys(teams):
            TeamMember.create(team=team_row(slug), agent=row)
        info = agent_info(row)
        audit.record(None, actor, "agent.added", username, None, _agent_summary(info))
    return info


@retry_when_busy
def update_agent(
    actor: Actor,
    username: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    timezone: str | None = None,
    teams: tuple[str, ...] | None = None,
    os_user: str | None = None,
    enabled: bool | None = None,
    available: bool | None = None,
) -> AgentInfo:
    """Change an agent's details, role, teams, OS user or enabled state (admins only).

    `os_user=""` removes the mapping; `teams` replaces the memberships. The desk always
    keeps one enabled admin.
    """
    from deskterm.services.trust import access, audit

    if role is not None:
        _role(role)
    if name is not None:
        name = check_name(name, "agent name")
    if email is not None:
        email = _agent_email(email)
    if timezone is not None:
        check_time_zone(timezone)
    with write_transaction():
        access.check(actor, access.Action.MANAGE_AGENTS)
        row = agent_row(username)
        before = agent_info(row)
        if name is not None:
            row.name = name
        if email is not None:
            row.email = email
        if role is not None:
            row.role = role
        if timezone is not None:
            row.timezone = timezone
        if os_user is not None:
            row.os_user = _free_os_user(os_user, row.id)
        if enabled is not None:
            row.enabled = enabled
        if available is not None:
            row.active = available
        row.save()
        if teams is not None:
            wanted = [team_row(slug) for slug in dict.fromkeys(teams)]
            TeamMember.delete().where(
                (TeamMember.agent == row.id) & TeamMember.team.not_in([t.id for t in wanted])
            ).execute()
            for team in wanted:
                TeamMember.get_or_create(team=team, agent=row)
        after = agent_info(row)
        if before.role is Role.ADMIN and before.enabled:
            _keep_an_admin()
        if after != before:
            summaries = _agent_summary(before), _agent_summary(after)
            audit.record(None, actor, "agent.changed", username, *summaries)
    return after


def _keep_an_admin() -> None:
    admins = Agent.select().where((Agent.role == Role.ADMIN.value) & (Agent.enabled == True))  # noqa: E712
    if not admins.exists():
        raise BadInput("the desk needs at least one enabled admin; make another admin first")


def disable_agent(actor: Actor, username: str) -> AgentInfo:
    """Disable an agent: they can do nothing until enabled again (admins only)."""
    return update_agent(actor, username, enabled=False)


def actor_for(username: str) -> Actor:
    """The Actor for an agent, for services to record in events."""
    row = agent_row(username)
    return Actor("agent", row.username, agent_id=row.id)


# --- teams --------------------------------------------------------------------


def team_row(slug: str) -> Team:
    """The team row for a slug."""
    row = Team.get_or_none(Team.slug == slug)
    if row is None:
        raise NotFound(f"no team named {slug!r}")
    return row


@retry_when_busy
def create_team(actor: Actor, slug: str, name: str) -> TeamInfo:
    """Add a team (admins only)."""
    from deskterm.services.trust import access, audit

    check_slug(slug, "team")
    name = check_name(name, "team name")
    with write_transaction():
        access.check(actor, access.Action.MANAGE_TEAMS)
        if Team.get_or_none(Team.slug == slug):
            raise BadInput(f"team {slug!r} already exists")
        row = Team.create(slug=slug, name=name)
        audit.record(None, actor, "team.added", slug, None, name)
    return domain.TeamInfo(id=row.id, slug=row.slug, name=row.name)


def list_teams() -> list[TeamInfo]:
    """All teams with their members' usernames."""
    result = []
    for team in Team.select().order_by(Team.slug):
        members = tuple(
            m.agent.username
            for m in TeamMember.select(TeamMember, Agent).join(Agent).where(TeamMember.team == team)
        )
        result.append(domain.TeamInfo(id=team.id, slug=team.slug, name=team.name, members=members))
    return result


def team_members(slug: str, *, active_only: bool = False) -> list[AgentInfo]:
    """The agents of a team, by username (only available ones with `active_only`)."""
    query = (
        Agent.select()
        .join(TeamMember)
        .where(TeamMember.team == team_row(slug))
        .order_by(Agent.username)
    )
    if active_only:
        query = query.where(Agent.active == True)  # noqa: E712
    return [agent_info(a) for a in query]


def team_lead(slug: str) -> AgentInfo | None:
    """The team's lead, if one is marked."""
    member = (
        TeamMember.select()
        .where((TeamMember.team == team_row(slug)) & (TeamMember.is_lead == True))  # noqa: E712
        .first()
    )
    return agent_info(member.agent) if member else None


# --- queues -------------------------------------------------------------------


def queue_info(row: Queue) -> QueueInfo:
    """The read model of a queue row."""
    return domain.QueueInfo(
        id=row.id,
        slug=row.slug,
        name=row.name,
        email=row.email,
        team=row.team.slug if row.team_id else None,
        outsiders=row.outsiders,
    )


def queue_row(slug: str | None) -> Queue:
    """The queue for a slug; the first queue when slug is None."""
    if slug is None:
        row = Queue.select().order_by(Queue.id).first()
        if row is None:
            raise NotFound("no queues exist yet: run `deskterm init` or `deskterm demo`")
        return row
    row = Queue.get_or_none(Queue.slug == slug)
    if row is None:
        known = ", ".join(q.slug for q in Queue.select(Queue.slug).order_by(Queue.slug))
        raise NotFound(f"no queue named {slug!r} (known: {known or 'none'})")
    return row


def _outsiders(value: str) -> str:
    from deskterm.services.trust.access import OUTSIDERS

    if value not in OUTSIDERS:
        raise BadInput(f"bad outsiders setting {value!r}: expected {' or '.join(OUTSIDERS)}")
    return value


def _free_queue_address(email: str | None) -> None:
    """BadInput when another queue already receives mail at `email`."""
    owner = Queue.get_or_none(Queue.email == email) if email else None
    if owner is not None:
        raise BadInput(f"{email} is already the address of queue {owner.slug}")


def _queue_summary(row: Queue) -> str:
    team = row.team.slug if row.team_id else "-"
    return f"name={row.name} email={row.email or '-'} team={team} outsiders={row.outsiders}"


@retry_when_busy
def create_queue(
    actor: Actor,
    slug: str,
    name: str,
    *,
    email: str | None = None,
    team: str | None = None,
    outsiders: str = "read",
) -> QueueInfo:
    """Add a queue, optionally with an inbound address and a default team (admins only).

    `outsiders`: what agents outside the team may do with its tickets, `read` or `hidden`.
    """
    from deskterm.services.trust import access, audit

    check_slug(slug, "queue")
    name = check_name(name, "queue name")
    email = normalise_email(email) if email else None
    _outsiders(outsiders)
    with write_transaction():
        access.check(actor, access.Action.MANAGE_QUEUES)
        if Queue.get_or_none(Queue.slug == slug):
            raise BadInput(f"queue {slug!r} already exists")
        _free_queue_address(email)
        row = Queue.create(
            slug=slug,
            name=name,
            email=email,
            team=team_row(team) if team else None,
            outsiders=outsiders,
        )
        audit.record(None, actor, "queue.added", slug, None, _queue_summary(row))
    return queue_info(row)


@retry_when_busy
def update_queue(
    actor: Actor,
    slug: str,
    *,
    name: str | None = None,
    team: str | None = None,
    outsiders: str | None = None,
) -> QueueInfo:
    """Change a queue's name, team (`""` clears it) or outsiders setting (admins only)."""
    from deskterm.services.trust import access, audit

    if outsiders is not None:
        _outsiders(outsiders)
    if name is not None:
        name = check_name(name, "queue name")
    with write_transaction():
        access.check(actor, access.Action.MANAGE_QUEUES)
        row = queue_row(slug)
        before = _queue_summary(row)
        if name is not None:
            row.name = name
        if team is not None:
            row.team = team_row(team) if team else None
        if outsiders is not None:
            row.outsiders = outsiders
        row.save()
        after = _queue_summary(row)
        if after != before:
            audit.record(None, actor, "queue.changed", slug, before, after)
    return queue_info(row)


def list_queues() -> list[QueueInfo]:
    """All queues, by slug."""
    return [queue_info(q) for q in Queue.select().order_by(Queue.slug)]


def queue_for_address(address: str) -> str | None:
    """The slug of the queue whose inbound address is `address`, if any."""
    row = Queue.get_or_none(Queue.email == address.strip().lower())
    return row.slug if row else None


# --- contacts -----------------------------------------------------------------


def contact_info(row: ContactRow) -> Contact:
    """The read model of a contact row."""
    return domain.Contact(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        organisation=row.organisation.name if row.organisation_id else None,
        contract_no=row.contract_no,
    )


def ensure_contact_row(email: str, name: str | None = None) -> ContactRow:
    """Find the contact for an address, creating it (call inside a transaction)."""
    address = normalise_email(email)
    row = ContactRow.get_or_none(ContactRow.email == address)
    if row is None:
        row = ContactRow.create(
            email=address, name=(name or "").strip(), created_at=clock.to_db(clock.now())
        )
    elif name and not row.name:
        row.name = name.strip()
        row.save()
    return row


@retry_when_busy
def ensure_contact(email: str, name: str | None = None) -> Contact:
    """Find or create the contact for an address."""
    with write_transaction():
        return contact_info(ensure_contact_row(email, name))


def _edit_contact(actor: Actor, email: str) -> ContactRow:
    """The contact for `email`, once `actor` may change it; NotFound for an address the
    desk does not know (a mistyped address never becomes a new customer)."""
    from deskterm.services.trust import access

    address = normalise_email(email)
    row = ContactRow.get_or_none(ContactRow.email == address)
    access.check(actor, access.Action.CONTACT_EDIT, row.id if row else None)
    if row is None:
        raise NotFound(f"no customer with address {address!r}")
    return row


def _contact_event(actor: Actor, field: str, row: ContactRow, before: object, after: object):
    """Agents' and the desk's changes to a contact are audited; a customer's own are data."""
    from deskterm.services.trust import audit

    if before != after and not actor.is_customer:
        audit.record(None, actor, f"contact.{field}", row.email, before, after)


@retry_when_busy
def set_contact_language(actor: Actor, email: str, language: str | None) -> str | None:
    """Set (or clear, with None) the language a contact's notifications are written in."""
    from deskterm.services.messaging import mail_text

    code = mail_text.supported(language) if language else None
    if language and code is None:
        raise BadInput(f"unknown language {language!r}: expected one of "
                       f"{', '.join(mail_text.LANGUAGES)}")
    with write_transaction():
        row = _edit_contact(actor, email)
        before = row.language
        row.language = code
        row.save()
        _contact_event(actor, "language", row, before, code)
    return code


_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,30}$")


def is_phone(text: str) -> bool:
    """Whether `text` is a phone number SMS can go to: digits, spaces, + ( ) - / ."""
    return bool(_PHONE.match((text or "").strip()))


@retry_when_busy
def set_sms(
    actor: Actor, email: str, *, opt_in: bool, phone: str | None = None
) -> tuple[bool, str | None]:
    """Opt a contact in to (or out of) SMS notifications; opting in needs a phone number."""
    if phone is not None and not is_phone(phone):
        raise BadInput(f"not a phone number: {phone!r}")
    with write_transaction():
        row = _edit_contact(actor, email)
        before = _sms_state(row)
        if phone is not None:
            row.phone = phone.strip()
        if opt_in and not row.phone:
            raise BadInput(f"{row.email} has no phone number: give --phone")
        row.sms_opt_in = opt_in
        row.save()
        _contact_event(actor, "sms", row, before, _sms_state(row))
    return bool(row.sms_opt_in), row.phone


def _sms_state(row: ContactRow) -> str:
    return f"{'on' if row.sms_opt_in else 'off'} phone={row.phone or '-'}"


def contact_language(email: str) -> str | None:
    """The language set for a contact (None: not known, the queue's or desk's is used)."""
    row = ContactRow.get_or_none(ContactRow.email == email.strip().lower())
    return row.language if row else None


def customer_language(email: str) -> str | None:
    """The language set for a known customer (None: the queue's or desk's is used);
    NotFound for an address the desk does not know."""
    address = normalise_email(email)
    row = ContactRow.get_or_none(ContactRow.email == address)
    if row is None:
        raise NotFound(f"no customer with address {address!r}")
    return row.language


def find_contact(email: str) -> Contact | None:
    """The contact with this address, or None."""
    row = ContactRow.get_or_none(ContactRow.email == email.strip().lower())
    return contact_info(row) if row else None


@retry_when_busy
def update_contact(
    email: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    organisation: str | None = None,
    contract_no: str | None = None,
) -> Contact:
    """Set a contact's details (organisation created on first use)."""
    with write_transaction():
        row = ensure_contact_row(email)
        if name is not None:
            row.name = name
        if phone is not None:
            row.phone = phone
        if contract_no is not None:
            row.contract_no = contract_no
        if organisation is not None:
            org, _ = Organisation.get_or_create(name=organisation)
            row.organisation = org
        row.save()
        return contact_info(row)
