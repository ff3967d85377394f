"""The rules file: TOML in, validated `RuleSpec`s out, errors with line numbers.

```toml
[[rule]]
name = "Round-robin new tickets"
when = "created"                 # or "customer replied", "pending for 14d", "sla breached" ...
match = "all"                    # all | any (of the conditions)
[rule.if]
status = "new"
assignee = "none"
[rule.then]                      # actions run in the order written
assign = { method = "round-robin" }
```
Pure: no database. Names of queues, teams, agents and canned replies are checked when
the rules are loaded (`rules.load_rules`).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from deskterm.domain import BadInput, Priority
from deskterm.services.automation.business_time import format_duration, parse_duration
from deskterm.services.values import STATUS_NAMES, parse_status

EVENT_TRIGGERS = {
    "created": "created",
    "ticket created": "created",
    "customer replied": "customer_replied",
    "agent replied": "agent_replied",
    "status changed": "status_changed",
    "assigned": "assigned",
}
#: Which signal kinds (services.signals.Change.kind) start which event trigger.
SIGNAL_TRIGGERS = {
    "created": "created",
    "customer_message": "customer_replied",
    "reply": "agent_replied",
    "status": "status_changed",
    "assignee": "assigned",
    "team": "assigned",
}
TIME_TRIGGERS = ("status_for", "sla_due", "sla_breached")
SLA_TARGETS = ("first_response", "next_response", "resolution")
_STATUS_FOR = re.compile(r"^(?P<status>[a-z_ ]+?) for (?P<span>.+)$")
_SLA_DUE = re.compile(
    r"^(?P<target>sla|first response|next response|resolution) due in (?P<span>.+)$"
)
_SLA_BREACHED = re.compile(r"^(?P<target>sla|first response|next response|resolution) breached$")

LIST_FIELDS = (
    "queue",
    "priority",
    "status",
    "channel",
    "team",
    "assignee",
    "tag",
    "requester",
    "organisation",
    "language",
)
TEXT_FIELDS = ("subject", "body", "text")
CONDITION_FIELDS = (*LIST_FIELDS, *TEXT_FIELDS, "business_hours", "query")
ACTIONS = ("set", "assign", "add_tags", "remove_tags", "note", "reply", "notify", "close")
SET_FIELDS = ("status", "priority", "queue", "team")


class RulesFileError(BadInput):
    """A rules file that cannot be loaded; `errors` holds one `file:line: message` each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Trigger:
    """When a rule is considered: an event kind, or a time condition for `rules run`."""

    kind: str
    status: str | None = None
    span: timedelta | None = None
    target: str | None = None  # an SLA target, None = any
    text: str = ""

    @property
    def timed(self) -> bool:
        return self.kind in TIME_TRIGGERS


@dataclass(frozen=True)
class Condition:
    """`field` compared by `op` (in, not_in, contains, not_contains, matches, not_matches, is)."""

    field: str
    op: str
    values: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Action:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSpec:
    name: str
    trigger: Trigger
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = ()
    match: str = "all"
    enabled: bool = True
    description: str = ""
    line: int = 0

    def to_json(self) -> str:
        """The definition as stored on the `Rule` row."""
        data = asdict(self)
        data["trigger"] = self.trigger.text
        for cond in data["conditions"]:
            cond["values"] = list(cond["values"])
        return json.dumps(data, ensure_ascii=False)


def spec_from_json(text: str) -> RuleSpec:
    """Rebuild a RuleSpec from `RuleSpec.to_json` output."""
    data = json.loads(text)
    return RuleSpec(
        name=data["name"],
        trigger=parse_trigger(data["trigger"]),
        conditions=tuple(
            Condition(c["field"], c["op"], tuple(c["values"]), c.get("line", 0))
            for c in data["conditions"]
        ),
        actions=tuple(Action(a["kind"], a["params"]) for a in data["actions"]),
        match=data["match"],
        enabled=data["enabled"],
        description=data.get("description", ""),
        line=data.get("line", 0),
    )


# --- triggers -------------------------------------------------------------------------


def _target(word: str) -> str | None:
    return None if word == "sla" else word.replace(" ", "_")


def parse_trigger(text: str) -> Trigger:
    """`created`, `customer replied`, `pending for 14d`, `sla due in 30m`, `sla breached`..."""
    cleaned = " ".join(str(text).lower().split())
    if cleaned in EVENT_TRIGGERS:
        return Trigger(EVENT_TRIGGERS[cleaned], text=cleaned)
    if match := _SLA_DUE.match(cleaned):
        span = parse_duration(match["span"])
        return Trigger("sla_due", span=span, target=_target(match["target"]), text=cleaned)
    if match := _SLA_BREACHED.match(cleaned):
        return Trigger("sla_breached", target=_target(match["target"]), text=cleaned)
    if match := _STATUS_FOR.match(cleaned):
        if not _is_status(match["status"]):
            raise BadInput(f"bad status {match['status']!r} in when = {text!r}")
        status = parse_status(match["status"]).value
        return Trigger(
            "status_for", status=status, span=parse_duration(match["span"]), text=cleaned
        )
    raise BadInput(
        f"bad when = {text!r}: expected one of {', '.join(sorted(EVENT_TRIGGERS))}, "
        "'<status> for <duration>', 'sla due in <duration>' or 'sla breached'"
    )


# --- conditions ------------------------------------------------------------------------


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise BadInput(f"{what}: expected a text or a list of texts")
    return tuple(v.strip() for v in items)


def _check_values(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    if name == "status":  # "on hold", "on-hold" and "on_hold" alike, as everywhere
        try:
            return tuple(parse_status(v).value for v in values)
        except BadInput:
            bad = next(v for v in values if not _is_status(v))
            raise BadInput(f"status: bad value {bad!r} (expected {STATUS_NAMES})") from None
    allowed = {"priority": [p.value for p in Priority]}
    if name in allowed:
        lowered = tuple(v.lower() for v in values)
        for value in lowered:
            if value not in allowed[name]:
                raise BadInput(f"{name}: bad value {value!r} (expected {', '.join(allowed[name])})")
        return lowered
    return values


def _is_status(value: str) -> bool:
    try:
        parse_status(value)
    except BadInput:
        return False
    return True


def parse_condition(name: str, value: Any) -> Condition:
    """One `[rule.if]` entry: `queue = ["a", "b"]`, `subject = { matches = "..." }`..."""
    if name not in CONDITION_FIELDS:
        raise BadInput(
            f"unknown condition {name!r} (expected one of {', '.join(CONDITION_FIELDS)})"
        )
    if name == "business_hours":
        if not isinstance(value, bool):
            raise BadInput("business_hours: expected true or false")
        return Condition(name, "is", ("true" if value else "false",))
    if name == "query":
        return Condition(name, "query", _strings(value, name))
    if isinstance(value, dict):
        if len(value) != 1:
            raise BadInput(f"{name}: give exactly one operator, e.g. {{ not = ... }}")
        ((op, operand),) = value.items()
        ops = {"not": "not_in"} if name in LIST_FIELDS else {}
        if name in TEXT_FIELDS:
            ops = {
                "contains": "contains",
                "not_contains": "not_contains",
                "matches": "matches",
                "not_matches": "not_matches",
            }
        if op not in ops:
            raise BadInput(f"{name}: unknown operator {op!r} (expected {', '.join(ops)})")
        values = _strings(operand, name)
        if ops[op] in ("matches", "not_matches"):
            for pattern in values:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise BadInput(f"{name}: bad regular expression {pattern!r}: {exc}") from None
        return Condition(name, ops[op], _check_values(name, values))
    values = _strings(value, name)
    return Condition(name, "contains" if name in TEXT_FIELDS else "in", _check_values(name, values))


# --- actions ---------------------------------------------------------------------------


def _keys(value: Any, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise BadInput(f"{what}: expected a table like {{ {allowed[0]} = ... }}")
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise BadInput(f"{what}: unknown key {unknown[0]!r} (expected {', '.join(allowed)})")
    missing = [k for k in required if k not in value]
    if missing:
        raise BadInput(f"{what}: missing {missing[0]!r}")
    return dict(value)


def parse_action(name: str, value: Any) -> Action:
    """One `[rule.then]` entry."""
    if name not in ACTIONS:
        raise BadInput(f"unknown action {name!r} (expected one of {', '.join(ACTIONS)})")
    if name == "set":
        params = _keys(value, "set", SET_FIELDS)
        if not params:
            raise BadInput("set: give at least one field")
        for key, val in params.items():
            checked = _check_values(key, _strings(val, f"set.{key}"))
            if key == "status" and isinstance(val, str):
                params[key] = checked[0]
        if params.get("status") in ("closed",):
            raise BadInput("set: use close = true to close a ticket")
        return Action(name, params)
    if name == "assign":
        if isinstance(value, str):
            return Action(name, {"method": "agent", "agent": value.strip()})
        params = _keys(value, "assign", ("method", "team", "agent"))
        method = params.get("method", "agent" if "agent" in params else "")
        if method not in ("round-robin", "least-loaded", "agent"):
            raise BadInput("assign: method must be 'round-robin' or 'least-loaded' (or give agent)")
        if method == "agent" and "agent" not in params:
            raise BadInput('assign: give agent = "username"')
        params["method"] = method
        return Action(name, params)
    if name in ("add_tags", "remove_tags"):
        return Action(name, {"tags": list(_strings(value, name))})
    if name == "note":
        return Action(name, {"body": _strings(value, name)[0]})
    if name == "reply":
        if isinstance(value, str):
            return Action(name, {"canned": value.strip()})
        params = _keys(value, "reply", ("canned", "body", "status"))
        if ("canned" in params) == ("body" in params):
            raise BadInput('reply: give either canned = "title" or body = "text"')
        if "status" in params:
            _check_values("status", _strings(params["status"], "reply.status"))
        return Action(name, params)
    if name == "notify":
        return Action(name, {"who": list(_strings(value, name)), "message": ""})
    if value is not True:
        raise BadInput("close: expected close = true")
    return Action(name, {})


# --- the file -------------------------------------------------------------------------


class _Lines:
    """Where things are in the TOML text, for error messages (tomllib has no positions)."""

    _HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
    _TABLE = re.compile(r"^\s*\[\s*rule\.(\w+)\s*\]")
    _KEY = re.compile(r"^\s*([\w.\"-]+)\s*=")

    def __init__(self, text: str):
        self.starts: list[int] = []
        self.keys: list[dict[tuple[str, str], int]] = []
        section = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if self._HEADER.match(line):
                self.starts.append(number)
                self.keys.append({})
                section = ""
            elif match := self._TABLE.match(line):
                section = match[1]
                if self.keys:
                    self.keys[-1][(section, "")] = number
            elif (match := self._KEY.match(line)) and self.keys:
                key = match[1].strip('"')
                sub, _, leaf = key.rpartition(".")
                self.keys[-1].setdefault((sub or section, leaf), number)

    def of(self, index: int, section: str = "", key: str = "") -> int:
        if index >= len(self.keys):
            return 1
        keys = self.keys[index]
        return keys.get((section, key)) or keys.get((section, "")) or self.starts[index]


def parse_rules(text: str, source: str = "rules.toml") -> list[RuleSpec]:
    """Validate a whole rules file; raise RulesFileError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{match[1]}" if match else "1"
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise RulesFileError([f"{source}:{where}: TOML syntax: {message}"]) from None
    lines = _Lines(text)
    errors: list[str] = []
    unknown_top = [k for k in data if k != "rule"]
    if unknown_top:
        errors.append(f"{source}:1: unknown top-level key {unknown_top[0]!r} (expected [[rule]])")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RulesFileError([f"{source}:1: 'rule' must be written as [[rule]] tables"])
    specs: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rules):
        spec = _parse_one(raw, index, lines, source, errors)
        if spec is None:
            continue
        if spec.name in seen:
            errors.append(
                f"{source}:{lines.of(index, '', 'name')}: duplicate rule name {spec.name!r} "
                f"(first at line {seen[spec.name]})"
            )
            continue
        seen[spec.name] = spec.line
        specs.append(spec)
    if errors:
        raise RulesFileError(errors)
    return specs


_RULE_KEYS = ("name", "description", "enabled", "when", "match", "if", "then")


def _parse_one(
    raw: dict, index: int, lines: _Lines, source: str, errors: list[str]
) -> RuleSpec | None:
    start = len(errors)

    def fail(section: str, key: str, message: str) -> None:
        errors.append(f"{source}:{lines.of(index, section, key)}: {label}{message}")

    name = raw.get("name")
    label = f"rule {name!r}: " if isinstance(name, str) and name.strip() else f"rule #{index + 1}: "
    for key in raw:
        if key not in _RULE_KEYS:
            fail("", key, f"unknown key {key!r} (expected one of {', '.join(_RULE_KEYS)})")
    if not isinstance(name, str) or not name.strip():
        fail("", "name", 'every rule needs a name = "..."')
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        fail("", "enabled", "enabled must be true or false")
    match_mode = raw.get("match", "all")
    if match_mode not in ("all", "any"):
        fail("", "match", 'match must be "all" or "any"')
    trigger = None
    if "when" not in raw:
        fail("", "when", 'missing when = "..." (e.g. "created")')
    else:
        try:
            trigger = parse_trigger(raw["when"])
        except BadInput as exc:
            fail("", "when", str(exc))
    conditions = []
    raw_if = raw.get("if", {})
    if not isinstance(raw_if, dict):
        fail("", "if", "if must be a table: [rule.if]")
        raw_if = {}
    for key, value in raw_if.items():
        try:
            cond = parse_condition(key, value)
            conditions.append(
                Condition(cond.field, cond.op, cond.values, lines.of(index, "if", key))
            )
        except BadInput as exc:
            fail("if", key, str(exc))
    actions = []
    raw_then = raw.get("then", {})
    if not isinstance(raw_then, dict) or not raw_then:
        fail("then", "", "needs at least one action under [rule.then]")
        raw_then = {}
    for key, value in raw_then.items():
        try:
            actions.append(parse_action(key, value))
        except BadInput as exc:
            fail("then", key, str(exc))
    if len(errors) > start or trigger is None:
        return None
    return RuleSpec(
        name=name.strip(),
        trigger=trigger,
        conditions=tuple(conditions),
        actions=tuple(actions),
        match=match_mode,
        enabled=enabled,
        description=str(raw.get("description", "")),
        line=lines.starts[index] if index < len(lines.starts) else 0,
    )


# --- writing back ---------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def _condition_value(cond: Condition) -> Any:
    if cond.op == "is":
        return cond.values[0] == "true"
    values: Any = cond.values[0] if len(cond.values) == 1 else list(cond.values)
    if cond.op in ("in", "query") or (cond.op == "contains" and cond.field in TEXT_FIELDS):
        return values
    return {"not" if cond.op == "not_in" else cond.op: values}


def _action_value(action: Action) -> Any:
    params = action.params
    if action.kind == "close":
        return True
    if action.kind in ("add_tags", "remove_tags"):
        return params["tags"]
    if action.kind == "note":
        return params["body"]
    if action.kind == "notify":
        return params["who"]
    if action.kind == "assign" and params.get("method") == "agent":
        return params["agent"]
    return {k: v for k, v in params.items()}


def dump_rules(specs: list[RuleSpec]) -> str:
    """Write rules back as a TOML file that `parse_rules` reads to the same specs."""
    out: list[str] = []
    for spec in specs:
        out += ["[[rule]]", f"name = {_toml_value(spec.name)}"]
        if spec.description:
            out.append(f"description = {_toml_value(spec.description)}")
        out += [
            f"enabled = {_toml_value(spec.enabled)}",
            f"when = {_toml_value(spec.trigger.text)}",
        ]
        if spec.match != "all":
            out.append(f"match = {_toml_value(spec.match)}")
        if spec.conditions:
            out.append("[rule.if]")
            out += [f"{c.field} = {_toml_value(_condition_value(c))}" for c in spec.conditions]
        out.append("[rule.then]")
        out += [f"{a.kind} = {_toml_value(_action_value(a))}" for a in spec.actions]
        out.append("")
    return "\n".join(out)


def describe_trigger(trigger: Trigger) -> str:
    """The trigger as people read it (`pending for 14d`)."""
    if trigger.kind == "status_for" and trigger.span is not None:
        return f"{trigger.status} for {format_duration(trigger.span)}"
    return trigger.text
