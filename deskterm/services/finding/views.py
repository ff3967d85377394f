"""Sidebar views: the built-in ones every agent has, plus saved views (own or shared).

A view is a filter in the one query language (DESIGN.md); saving one checks the query
with the same parser the filter bar, the CLI and rules use.
"""

from __future__ import annotations

import re

from deskterm.domain import ACTIVE_STATUSES, Actor, BadInput, NotFound, Refused, ViewInfo
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, SavedView

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
    try:
        from deskterm.services.automation import sla  # noqa: F401
    except ImportError:
        return False
    return True


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
    return ViewInfo(row.id, row.name, row.query, owner=owner, builtin=False)


def saved_views(username: str) -> list[ViewInfo]:
    """The agent's own saved views and the shared ones, in sidebar order."""
    me = _agent(username)
    rows = (
        SavedView.select()
        .where((SavedView.agent == me.id) | (SavedView.agent.is_null()))
        .order_by(SavedView.position, SavedView.name)
    )
    return [_info(r) for r in rows]


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
    return f"view:{row.name} ({row.agent.username if row.agent_id else 'shared'})"


@retry_when_busy
def delete_view(actor: Actor, view_id: int) -> None:
    """Delete one of the agent's saved views (shared views only by admins)."""
    from deskterm.services.trust import access, audit

    me = _agent(actor.name)
    with write_transaction():
        row = SavedView.get_or_none(SavedView.id == view_id)
        if row is None:
            raise NotFound(f"no saved view {view_id}")
        if row.agent_id is None:
            access.check(actor, access.Action.SHARE_VIEWS)
        elif row.agent_id != me.id:
            raise Refused("you can only delete your own views")
        else:
            access.check(actor, access.Action.OWN_VIEWS)
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
