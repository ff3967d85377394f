"""The one filter language (DESIGN.md), parsed here and nowhere else.

`status:open,pending queue:billing assignee:me -tag:spam older:30d "printer jam" #1042`
parses into a `TicketQuery`; `listing.apply` turns that into SQL. A bad token raises
BadInput naming the token and what it expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from deskterm import clock
from deskterm.domain import BadInput, Channel, Priority, Status
from deskterm.services.values import resolve_ref
from deskterm.services.when import parse_duration, parse_when

_TOKEN = re.compile(
    r'(?P<neg>-)?(?P<key>[a-z_]+)(?P<op>:|>=|<=|>|<)(?:"(?P<qval>[^"]*)"|(?P<val>\S*))'
    r"|(?P<ref>#[0-9]+)(?!\S)"
    r'|(?P<negphrase>-)?"(?P<phrase>[^"]*)"'
    r"|(?P<word>\S+)"
)

SORT_KEYS = (
    "updated",
    "created",
    "priority",
    "status",
    "id",
    "subject",
    "requester",
    "queue",
    "assignee",
    "due",
)
KEYS = (
    "status",
    "queue",
    "assignee",
    "team",
    "priority",
    "tag",
    "requester",
    "org",
    "has",
    "sla",
    "older",
    "newer",
    "created",
    "updated",
    "sort",
    "channel",
    "id",
)


@dataclass(frozen=True)
class Condition:
    """One filter term. `op` is `in` for lists, or a comparison for dates."""

    key: str
    op: str
    values: tuple[str, ...] = ()
    when: datetime | None = None
    negate: bool = False


@dataclass(frozen=True)
class TicketQuery:
    """A parsed filter: conditions (all must hold), full-text terms and a sort order."""

    conditions: tuple[Condition, ...] = ()
    text: tuple[str, ...] = ()
    excluded_text: tuple[str, ...] = ()
    ticket_id: int | None = None
    sort: str = "-updated"
    source: str = ""

    def with_conditions(self, *extra: Condition) -> TicketQuery:
        """A copy with more conditions (used by faces to add chips like status:open)."""
        return replace(self, conditions=self.conditions + tuple(extra))


def _values(key: str, raw: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if not values:
        raise BadInput(f"bad filter {key}: it needs a value, e.g. {key}:{_EXAMPLES.get(key, 'x')}")
    return values


_EXAMPLES = {
    "status": "open,pending",
    "queue": "billing",
    "assignee": "me",
    "team": "tier2",
    "priority": "high,urgent",
    "tag": "vip",
    "requester": "ana@example.com",
    "org": "acme",
    "has": "attachment",
    "sla": "breached",
    "older": "30d",
    "newer": "2h",
    "created": "2026-11-01",
    "updated": '"3 days ago"',
    "sort": "-updated",
    "channel": "email",
}


def _check_enum(token: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    normalised = tuple(" ".join(v.lower().split()).replace("-", "_").replace(" ", "_")
                       for v in values)
    for value, typed in zip(normalised, values, strict=True):
        if value not in allowed:
            names = ", ".join(a.replace("_", " ") for a in allowed)
            raise BadInput(f"bad filter {token!r}: {typed!r} is not one of {names}")
    return normalised


def _parse_token(
    token: str, neg: bool, key: str, op: str, raw: str, me: str | None,
    zone: tzinfo | None = None,
) -> Condition | str:
    """Return a Condition, or the sort spec string for `sort:`."""
    if key not in KEYS:
        raise BadInput(f"unknown filter {key!r} in {token!r}: expected one of {', '.join(KEYS)}")
    date_keys = ("created", "updated")
    if key in date_keys:
        if op == ":":
            raise BadInput(f"bad filter {token!r}: use {key}>DATE or {key}<DATE")
        try:
            return Condition(key, op, when=parse_when(raw, zone=zone), negate=neg)
        except BadInput as exc:
            raise BadInput(f"bad filter {token!r}: {exc}") from None
    if op != ":":
        raise BadInput(f"bad filter {token!r}: {key} takes {key}:VALUE")
    if key == "sort":
        name = raw.lstrip("-")
        if name not in SORT_KEYS:
            raise BadInput(f"bad filter {token!r}: sort by one of {', '.join(SORT_KEYS)}")
        return raw
    if key in ("older", "newer"):
        try:
            span = parse_duration(raw)
        except BadInput:
            raise BadInput(
                f"bad filter {token!r}: expected a duration such as 30d, 2h, 15m"
            ) from None
        return Condition(key, "<" if key == "older" else ">", when=clock.now() - span, negate=neg)
    values = _values(key, raw)
    if key == "status":
        values = _check_enum(token, values, tuple(s.value for s in Status) + ("active",))
    elif key == "priority":
        values = _check_enum(token, values, tuple(p.value for p in Priority))
    elif key == "has":
        values = _check_enum(token, values, ("attachment", "followers", "tags", "assignee"))
    elif key == "assignee":
        if "me" in values:
            if not me:
                raise BadInput(f"bad filter {token!r}: 'me' needs an agent (--as AGENT)")
            values = tuple(me if v == "me" else v for v in values)
    elif key == "id":
        try:
            values = tuple(str(resolve_ref(v)) for v in values)
        except BadInput:
            raise BadInput(
                f"bad filter {token!r}: id takes ticket numbers, e.g. id:12,40"
            ) from None
    elif key == "sla":
        return _sla_condition(token, op, raw, neg)
    elif key == "channel":
        values = _check_enum(token, values, tuple(c.value for c in Channel))
    if key in _NAMED:
        values = _check_known(token, key, values)
    return Condition(key, "in", values, negate=neg)


#: Keys whose values name rows of the desk; an unknown name is an error, not an empty list.
_NAMED = {"queue": "queue", "team": "team", "assignee": "agent", "org": "organisation"}
_NOBODY = ("none", "unassigned", "disabled")  # disabled: assigned to a disabled agent


#: The names each named key may take (read with every filter parsed: prepared SQL).
_NAMES_SQL = {
    "queue": 'SELECT "slug" FROM "queue"',
    "team": 'SELECT "slug" FROM "team"',
    "assignee": 'SELECT "username" FROM "agent"',
    "org": 'SELECT "name" FROM "organisation"',
}


def _known_names(key: str) -> dict[str, str]:
    """Lower-cased name -> name as stored, for the rows `key` refers to."""
    from deskterm.store.db import db

    return {name.lower(): name for (name,) in db.execute_sql(_NAMES_SQL[key])}


def _check_known(token: str, key: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """The values as the desk spells them; BadInput when one names no queue, team, agent or
    organisation of this desk. Checked only when a desk is open (a query can be parsed
    without one, e.g. from a file)."""
    from deskterm.store.db import db

    if db.database is None or db.is_closed():
        return values
    if all(key == "assignee" and v.lower() in _NOBODY for v in values):
        return values
    known = _known_names(key)
    result = []
    for value in values:
        if key == "assignee" and value.lower() in _NOBODY:
            result.append(value.lower())
        elif value.lower() in known:
            result.append(known[value.lower()])
        else:
            what = _NAMED[key]
            names = sorted(known.values())
            listed = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            hint = f"; known: {listed}" if names else f"; this desk has no {what}s yet"
            if key == "assignee":
                hint += ", or none, or disabled"
            raise BadInput(f"bad filter {token!r}: no {what} named {value!r}{hint}")
    return tuple(result)


def _sla_condition(token: str, op: str, raw: str, neg: bool) -> Condition:
    if raw in ("breached", "ok", "none"):
        return Condition("sla", raw, negate=neg)
    match = re.fullmatch(r"due<=?(.+)", raw)
    if match:
        try:
            span = parse_duration(match[1])
        except BadInput:
            raise BadInput(f"bad filter {token!r}: expected sla:due<1h") from None
        return Condition("sla", "due", when=clock.now() + span, negate=neg)
    raise BadInput(f"bad filter {token!r}: expected sla:breached, sla:ok, sla:none or sla:due<1h")


def parse_query(
    text: str | None, me: str | None = None, *, zone: tzinfo | None = None
) -> TicketQuery:
    """Parse filter text into a TicketQuery (BadInput names the offending token); human
    times are read in `zone` (the acting agent's; default: local time)."""
    text = text or ""
    conditions: list[Condition] = []
    words: list[str] = []
    excluded: list[str] = []
    ticket_id = None
    sort = "-updated"
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if match["key"]:
            raw = match["qval"] if match["qval"] is not None else match["val"]
            result = _parse_token(
                token, bool(match["neg"]), match["key"], match["op"], raw, me, zone
            )
            if isinstance(result, str):
                sort = result
            else:
                conditions.append(result)
        elif match["ref"]:
            try:
                ticket_id = resolve_ref(match["ref"])
            except BadInput as error:
                raise BadInput(f"bad ticket reference {match['ref']!r}: {error}") from None
        elif match["phrase"] is not None:
            target = excluded if match["negphrase"] else words
            if match["phrase"].strip():
                target.append(f'"{match["phrase"]}"')
        else:
            word = match["word"]
            if word.startswith("-") and len(word) > 1:
                excluded.append(word[1:])
            elif ":" in word and not word.startswith(("http", "mailto")):
                key = word.split(":", 1)[0].lstrip("-")
                raise BadInput(
                    f"unknown filter {key!r} in {word!r}: expected one of {', '.join(KEYS)}"
                )
            else:
                words.append(word)
    return TicketQuery(
        conditions=tuple(conditions),
        text=tuple(words),
        excluded_text=tuple(excluded),
        ticket_id=ticket_id,
        sort=sort,
        source=text,
    )


def older_than(span: timedelta) -> Condition:
    """Condition: last updated more than `span` ago."""
    return Condition("older", "<", when=clock.now() - span)
