"""Who you are: one rule for the CLI, the console and every later face.

The OS user you are decides which agent you are (`agent.os_user`). `--as NAME` is for
admins (their changes are recorded as "admin X as Y") and for demo desks; an unknown
name is refused everywhere; an OS user who is not an agent can do nothing and is told
how an admin adds them.
"""

from __future__ import annotations

import os
import pwd
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskterm.domain import Actor, NotFound, Refused, Role
from deskterm.store.db import db
from deskterm.store.models import Agent, Setting


def os_user() -> str:
    """The login name of the effective user id (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"uid{os.geteuid()}"


def is_demo_desk() -> bool:
    """True on a desk made by `deskterm demo` (anyone may be anyone there)."""
    return Setting.get_or_none(Setting.key == "demo") is not None


def agent_for_os_user(user: str) -> Agent | None:
    """The agent row mapped to an OS user, if any."""
    return Agent.get_or_none(Agent.os_user == user)


def _not_an_agent(user: str) -> Refused:
    return Refused(
        f"OS user {user!r} is not an agent of this desk; an admin can add you with "
        f"`deskterm agent add NAME --os-user {user}`"
    )


def resolve(requested: str | None = None, user: str | None = None) -> Actor:
    """The Actor for the OS user `user` (default: the one running), acting as `requested`.

    Refused when the OS user is no agent, or asks for `--as` without being an admin on a
    desk that is not a demo; NotFound when `requested` names no agent.
    """
    user = user or os_user()
    me = agent_for_os_user(user)
    if requested:
        target = Agent.get_or_none(Agent.username == requested)
        if target is None:
            raise NotFound(f"no agent named {requested!r}")
        if me is not None and me.id == target.id:
            return _actor(target)
        if is_demo_desk():
            return _actor(target)
        if me is None:
            raise _not_an_agent(user)
        if me.role != Role.ADMIN.value or not me.enabled:
            raise Refused(
                f"--as is for admins and demo desks: you are {me.username} ({me.role}); "
                "drop --as to act as yourself"
            )
        return _actor(target, via=me.username)
    if me is None:
        raise _not_an_agent(user)
    return _actor(me)


def _actor(row: Agent, via: str | None = None) -> Actor:
    if not row.enabled:
        raise Refused(
            f"agent {row.username} is disabled and can do nothing; an admin can enable "
            f"them with `deskterm agent set {row.username} --enable`"
        )
    return Actor("agent", row.username, agent_id=row.id, via=via)


def map_os_user_to_admin(username: str, user: str | None = None) -> Agent:
    """Make `user` (default: the OS user running) the admin agent `username` (init, demo).

    Keeps an existing mapping of `user` when there is one.
    """
    user = user or os_user()
    mapped = agent_for_os_user(user)
    if mapped is not None:
        return mapped
    row = Agent.get(Agent.username == username)
    row.os_user = user
    row.role = Role.ADMIN.value
    row.enabled = True
    row.save()
    return row


def zone_of(actor: Actor | None) -> tzinfo:
    """The time zone `actor` reads and writes times in: an agent's own (`agent.timezone`),
    UTC for everyone else (customers' zones are the portal's, rules and the desk use UTC).

    Faces print times in it and read human times (`tomorrow 9:00`) in it, so the console
    and the CLI mean the same instant.
    """
    if actor is None or not actor.is_agent:
        return UTC
    # Read with every filter a face parses: one column by prepared SQL, not the ORM's row.
    row = db.execute_sql('SELECT "timezone" FROM "agent" WHERE "id" = ?',
                         (actor.agent_id,)).fetchone()
    return zone_named(row[0] if row is not None else None)


def zone_named(name: str | None) -> tzinfo:
    """The zone called `name`; UTC for none or an unknown name."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
