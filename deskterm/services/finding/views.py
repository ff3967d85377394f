"""Sidebar views: the built-in ones every agent has, plus saved views (own or shared).

A view is a filter in the one query language (DESIGN.md); saving one checks the query
with the same parser the filter bar, the CLI and rules use.
"""

from __future__ import annotations

import re

from deskterm.domain import ACTIVE_STATUSES, Actor, BadInput, NotFound, Refused, ViewInfo
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, SavedView, Team, TeamMember

ACTIVE = ",".join(s.value for s in ACTIVE_STATUSES)
DONE = "resolved,closed"

#: Id of the Mentions view: not a query, the tickets where the agent was @mentioned.
MENTIONS_VIEW_ID = -100

#: Open tickets whose assignee was disabled: someone must take them over.
NEEDS_REASSIGNMENT = f"assignee:disabled status:{ACTIVE}"
NEEDS_VIEW_ID = -8

BUILTIN_VIEWS: tuple[ViewInfo, ...] = (
    ViewInfo(-1, "My open", f"assignee:me status:{ACTIVE}", builtin=True),
    ViewInfo(-2, "Unassigned", f"assignee:none status:{ACTIVE}", builtin=True),
    ViewInfo(-3, "All open", f"status:{ACTIVE}", builtin=True),
    ViewInfo(-4, "Pending", "status:pending", builtin=True),
    ViewInfo(-5, "Breaching SLA", f"sla:breached status:{ACTIVE}", builtin=True),
    ViewInfo(-6, "Recently updated", "newer:1d sort:-updated", builtin=True),
    ViewInfo(-7, "Closed", f"status:{DONE}", builtin=True),
    ViewInfo(NEEDS_VIEW_ID, "Needs reassignment", NEEDS_REASSIGNMENT, builtin=True),
    ViewInfo(MENTIONS_VIEW_ID, "Mentions", "", builtin=True),
)

#: The All / Open / Closed chips of the queue screen: the status token each one sets.
CHIPS: dict[str, str | None] = {"all": None, "open": ACTIVE, "closed": DONE}

_TOKEN = re.compile(r'-?[\w.]+(?::|[<>]=?)"[^"]*"|"[^"]*"|\S+')


def _sla_available() -> bool:
    """Whether this build has SLA clocks (looked up, not imported: the sidebar loads with
    the console's first screen, which never needs the SLA engine)."""
    from importlib.util import find_spec

    return find_spec("deskterm.services.automation.sla") is not None


def builtin_views() -> list[ViewInfo]:
    """The built-in views (Breaching SLA only once SLA clocks exist; Needs reassignment
    only while some agent is disabled)."""
    sla = _sla_available()
    disabled = Agent.select().where(Agent.enabled == False).exists()  # noqa: E712
    return [
        v for v in BUILTIN_VIEWS if (sla or v.id != -5) and (disabled or v.id != NEEDS_VIEW_ID)
    ]


def _agent(username: str) -> Agent:
    row = Agent.get_or_none(Agent.username == username)
    if row is None:
        raise NotFound(f"no agent named {username!r}")
    return row


def _info(row: SavedView) -> ViewInfo:
    owner = row.agent.username if row.agent_id else None
    team = row.team.slug if row.team_id else None
    return ViewInfo(row.id, row.name, row.query, owner=owner, builtin=False, team=team)


def _team_ids(agent: Agent) -> list[int]:
    return [m.team_id for m in TeamMember.select().where(TeamMember.agent == agent.id)]


def saved_views(username: str) -> list[ViewInfo]:
    """The agent's own saved views, their teams' and the desk's, in sidebar order."""
    me = _agent(username)
    shared = SavedView.agent.is_null() & (
        SavedView.team.is_null() | SavedView.team.in_(_team_ids(me))
    )
    rows = (
        SavedView.select()
        .where((SavedView.agent == me.id) | shared)
        .order_by(SavedView.position, SavedView.name)
    )
    return [_info(r) for r in rows]


def view_counts(actor: Actor, shown: list[ViewInfo]) -> dict[int, int]:
    """How many tickets each view shows `actor` (the listing's cached narrow counts; the
    Mentions view: unread mentions)."""
    from deskterm.services import mentions
    from deskterm.services.finding import listing

    counts: dict[int, int] = {}
    for view in shown:
        if view.id == MENTIONS_VIEW_ID:
            counts[view.id] = len(mentions.list_mentions(actor.name, unseen_only=True))
        else:
            counts[view.id] = listing.count_tickets(view.query, actor=actor)
    return counts


def list_views(username: str) -> list[ViewInfo]:
    """Everything the sidebar shows for an agent: built-in views, then saved ones."""
    return builtin_views() + saved_views(username)


@retry_when_busy
def save_view(actor: Actor, name: str, query: str, *, shared: bool = False) -> ViewInfo:
    """Save (or overwrite, by name) a view after checking its query parses.

    Own views: any agent (observers too: a view changes no ticket); shared: admins only."""
    from deskterm.services.finding.query import parse_query
    from deskterm.services.trust import access, audit

    access.check(actor, access.Action.SHARE_VIEWS if shared else access.Action.OWN_VIEWS)
    if not shared and not actor.is_agent:
        raise Refused("only agents have views of their own; save it shared")
    username = actor.name if actor.is_agent else None
    name = (name or "").strip()
    if not name:
        raise BadInput("a view needs a name")
    if any(v.name.casefold() == name.casefold() for v in BUILTIN_VIEWS):
        raise BadInput(f"{name!r} is a built-in view; pick another name")
    parse_query(query, me=username)
    owner = None if shared else _agent(actor.name).id
    with write_transaction():
        row = SavedView.get_or_none(
            (SavedView.name == name)
            & (SavedView.agent.is_null() if owner is None else SavedView.agent == owner)
        )
        before = None
        if row is None:
            last = SavedView.select().count()
            row = SavedView.create(name=name, query=query.strip(), agent=owner, position=last)
        else:
            before = row.query
            row.query = query.strip()
            row.save()
        if before != row.query:
            audit.record(None, actor, "view.saved", _label(row), before, row.query)
    return _info(row)


def _label(row: SavedView) -> str:
    """A view as its audit events name it: `view:Name (shared)` or `view:Name (ana)`."""
    if row.agent_id:
        where = row.agent.username
    else:
        where = f"team {row.team.slug}" if row.team_id else "shared"
    return f"view:{row.name} ({where})"


def _may_change(actor: Actor, row: SavedView) -> None:
    """Own views: their owner; a team's: an admin or that team's lead; the desk's: admins."""
    from deskterm.services.trust import access

    if row.agent_id is not None:
        if row.agent_id != _agent(actor.name).id:
            raise Refused("you can only change your own views")
        access.check(actor, access.Action.OWN_VIEWS)
    elif row.team_id is not None:
        _may_share_with(actor, row.team)
    else:
        access.check(actor, access.Action.SHARE_VIEWS)


def _may_share_with(actor: Actor, team: Team) -> None:
    """A team's views are kept by an admin or by the team's lead."""
    from deskterm.services.trust import access

    try:
        access.check(actor, access.Action.SHARE_VIEWS)
        return
    except Refused:
        pass
    lead = (
        TeamMember.select()
        .join(Agent)
        .where((TeamMember.team == team.id) & (Agent.username == actor.name)
               & (TeamMember.is_lead == True))  # noqa: E712
        .exists()
    )
    if not lead:
        raise Refused(f"only admins and the lead of {team.slug} may change {team.slug}'s views")


def _row(view_id: int) -> SavedView:
    row = SavedView.get_or_none(SavedView.id == view_id)
    if row is None:
        raise NotFound(f"no saved view {view_id}")
    return row


def _name_taken(name: str, agent_id: int | None, team_id: int | None, but: int) -> bool:
    same_place = (
        (SavedView.agent == agent_id) if agent_id is not None else SavedView.agent.is_null()
    ) & ((SavedView.team == team_id) if team_id is not None else SavedView.team.is_null())
    clash = SavedView.select().where(same_place & (SavedView.id != but))
    return any(v.name.casefold() == name.casefold() for v in clash)


@retry_when_busy
def rename_view(actor: Actor, view_id: int, name: str) -> ViewInfo:
    """Give a saved view another name (who may: see `_may_change`)."""
    from deskterm.services.trust import audit

    name = (name or "").strip()
    if not name:
        raise BadInput("a view needs a name")
    if any(v.name.casefold() == name.casefold() for v in BUILTIN_VIEWS):
        raise BadInput(f"{name!r} is a built-in view; pick another name")
    with write_transaction():
        row = _row(view_id)
        _may_change(actor, row)
        if _name_taken(name, row.agent_id, row.team_id, row.id):
            raise BadInput(f"there is already a view named {name!r} there")
        before = _label(row)
        row.name = name
        row.save()
        audit.record(None, actor, "view.renamed", before, None, _label(row))
    return _info(row)


@retry_when_busy
def share_view(actor: Actor, view_id: int, scope: str) -> ViewInfo:
    """Move a saved view to `personal` (the actor's own), `team:<slug>` or `desk`
    (everyone): the actor must be allowed to change it where it is and where it goes."""
    from deskterm.services.trust import access, audit

    scope = (scope or "").strip()
    with write_transaction():
        row = _row(view_id)
        _may_change(actor, row)
        agent_id, team_id = None, None
        if scope == "personal":
            if not actor.is_agent:
                raise Refused("only agents have views of their own")
            agent_id = _agent(actor.name).id
        elif scope.startswith("team:"):
            team = Team.get_or_none(Team.slug == scope[5:])
            if team is None:
                raise NotFound(f"no team named {scope[5:]!r}")
            _may_share_with(actor, team)
            team_id = team.id
        elif scope == "desk":
            access.check(actor, access.Action.SHARE_VIEWS)
        else:
            raise BadInput(f"share {scope!r}: expected personal, team:<slug> or desk")
        if _name_taken(row.name, agent_id, team_id, row.id):
            raise BadInput(f"there is already a view named {row.name!r} there")
        before = _label(row)
        row.agent, row.team = agent_id, team_id
        row.save()
        row = _row(view_id)
        audit.record(None, actor, "view.shared", before, None, _label(row))
    return _info(row)


@retry_when_busy
def delete_view(actor: Actor, view_id: int) -> None:
    """Delete a saved view (who may: see `_may_change`)."""
    from deskterm.services.trust import audit

    with write_transaction():
        row = _row(view_id)
        _may_change(actor, row)
        audit.record(None, actor, "view.deleted", _label(row), row.query, None)
        row.delete_instance()


def tokens(query: str) -> list[str]:
    """Split query text into its whitespace-separated tokens, keeping quoted values whole."""
    return _TOKEN.findall(query or "")


def with_token(query: str, key: str, value: str | None) -> str:
    """Return `query` with every `key:` token (negated or not) replaced by `key:value`.

    `value=None` just drops the token. Used by the status chips and column sorting.
    """
    kept = [t for t in tokens(query) if not t.lstrip("-").startswith(f"{key}:")]
    if value:
        kept.append(f"{key}:{value}")
    return " ".join(kept)


def token_value(query: str, key: str) -> str | None:
    """The value of the last plain `key:` token in `query`, if any."""
    found = None
    for t in tokens(query):
        if t.startswith(f"{key}:"):
            found = t.split(":", 1)[1]
    return found
