"""People and places: agents, teams, queues, contacts and organisations."""

from __future__ import annotations

import re

from deskterm import clock
from deskterm.domain import (
    Actor,
    AgentInfo,
    BadInput,
    Contact,
    NotFound,
    QueueInfo,
    Role,
    TeamInfo,
)
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, Organisation, Queue, Team, TeamMember
from deskterm.store.models import Contact as ContactRow


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


_QUOTED_LOCAL = re.compile(r'^"(?:[^"\\\r\n]|\\.)+"$')
_DOT_ATOM = re.compile(r"^[^\s@\"(),:;<>\[\]\\]+$")
_DOMAIN = re.compile(r"^(\[[^\]\s]+\]|[^\s@\"(),:;<>\[\]\\]+)$")


def _is_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > 320:
        return False
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
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


@retry_when_busy
def create_agent(
    username: str,
    name: str,
    *,
    email: str = "",
    role: str = "agent",
    timezone: str = "UTC",
    teams: tuple[str, ...] = (),
) -> AgentInfo:
    """Add an agent (and their team memberships) in one transaction."""
    if not re.fullmatch(r"[\w.-]+", username or ""):
        raise BadInput(f"bad username {username!r}: use letters, digits, '.', '-' or '_'")
    if role not in tuple(Role):
        raise BadInput(f"bad role {role!r}: expected agent or admin")
    with write_transaction():
        if Agent.get_or_none(Agent.username == username):
            raise BadInput(f"agent {username!r} already exists")
        row = Agent.create(username=username, name=name, email=email, role=role, timezone=timezone)
        for slug in teams:
            TeamMember.create(team=team_row(slug), agent=row)
    return agent_info(row)


def actor_for(username: str) -> Actor:
    """The Actor for an agent, for services to record in events."""
    row = agent_row(username)
    return Actor("agent", row.username, agent_id=row.id)


def actor_or_user(name: str) -> Actor:
    """The agent's Actor, or `user:NAME` for someone (e.g. an OS user) who is not an agent."""
    row = Agent.get_or_none(Agent.username == name)
    if row is None:
        return Actor("user", name)
    return Actor("agent", row.username, agent_id=row.id)


def console_agent(requested: str | None, os_user: str) -> str:
    """Who the console runs as: `--as` if given, else the OS user if an agent, else the only
    agent, else (on the demo desk) its first agent. BadInput when nobody fits."""
    from deskterm.store.models import Setting

    if requested:
        return agent_row(requested).username
    if Agent.get_or_none(Agent.username == os_user) is not None:
        return os_user
    agents = list(Agent.select(Agent.username).where(Agent.active == True).order_by(Agent.id))  # noqa: E712
    if len(agents) == 1 or (agents and Setting.get_or_none(Setting.key == "demo")):
        return agents[0].username
    known = ", ".join(a.username for a in agents) or "none yet: run `deskterm init`"
    raise BadInput(f"say who you are with --as AGENT (agents: {known})")


# --- teams --------------------------------------------------------------------


def team_row(slug: str) -> Team:
    """The team row for a slug."""
    row = Team.get_or_none(Team.slug == slug)
    if row is None:
        raise NotFound(f"no team named {slug!r}")
    return row


@retry_when_busy
def create_team(slug: str, name: str) -> TeamInfo:
    """Add a team."""
    with write_transaction():
        if Team.get_or_none(Team.slug == slug):
            raise BadInput(f"team {slug!r} already exists")
        row = Team.create(slug=slug, name=name)
    return TeamInfo(id=row.id, slug=row.slug, name=row.name)


def list_teams() -> list[TeamInfo]:
    """All teams with their members' usernames."""
    result = []
    for team in Team.select().order_by(Team.slug):
        members = tuple(
            m.agent.username
            for m in TeamMember.select(TeamMember, Agent).join(Agent).where(TeamMember.team == team)
        )
        result.append(TeamInfo(id=team.id, slug=team.slug, name=team.name, members=members))
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
    return QueueInfo(
        id=row.id,
        slug=row.slug,
        name=row.name,
        email=row.email,
        team=row.team.slug if row.team_id else None,
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


@retry_when_busy
def create_queue(
    slug: str, name: str, *, email: str | None = None, team: str | None = None
) -> QueueInfo:
    """Add a queue, optionally with an inbound address and a default team."""
    with write_transaction():
        if Queue.get_or_none(Queue.slug == slug):
            raise BadInput(f"queue {slug!r} already exists")
        row = Queue.create(slug=slug, name=name, email=email, team=team_row(team) if team else None)
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
    return Contact(
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
