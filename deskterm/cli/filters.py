"""The filter options shared by `ticket list` and the `bulk` commands.

They are turned into filter-language text (DESIGN.md) so that parsing happens in one
place, `services.query.parse_query`.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable
from typing import Annotated, Any

import typer

from deskterm.cli.context import state
from deskterm.cli.inputs import read_stdin
from deskterm.domain import BadInput

_FILTER_OPTIONS: dict[str, tuple[Any, Any]] = {
    "query": (
        str | None,
        typer.Option("--query", "-q", help='Filter text, e.g. "status:open tag:vip"'),
    ),
    "status": (
        list[str] | None,
        typer.Option("--status", "-s", help="Status (repeat or comma-separate)"),
    ),
    "queue": (list[str] | None, typer.Option("--queue", help="Queue slug")),
    "assignee": (list[str] | None, typer.Option("--assignee", "-a", help="Agent, 'me' or 'none'")),
    "team": (list[str] | None, typer.Option("--team", help="Team slug")),
    "priority": (
        list[str] | None,
        typer.Option("--priority", "-p", help="low, normal, high, urgent"),
    ),
    "tag": (list[str] | None, typer.Option("--tag", "-t", help="Has this tag")),
    "requester": (str | None, typer.Option("--requester", help="Requester address or name part")),
    "org": (str | None, typer.Option("--org", help="Requester's organisation")),
    "older_than": (
        str | None,
        typer.Option("--older-than", help="Not updated for this long (30d, 2h)"),
    ),
    "newer_than": (str | None, typer.Option("--newer-than", help="Updated within (2h, 7d)")),
    "created_after": (
        str | None,
        typer.Option("--created-after", help="2026-11-01 or '3 days ago'"),
    ),
    "created_before": (
        str | None,
        typer.Option("--created-before", help="2026-11-01 or '3 days ago'"),
    ),
    "updated_after": (str | None, typer.Option("--updated-after", help="Date or '3 days ago'")),
    "updated_before": (str | None, typer.Option("--updated-before", help="Date or '3 days ago'")),
    "text": (str | None, typer.Option("--text", help="Full-text search in subjects and threads")),
    "sort": (
        str | None,
        typer.Option("--sort", help="updated, -priority, created, ... (- = descending)"),
    ),
}

_TOKENS = {
    "status": "status:{}",
    "queue": "queue:{}",
    "assignee": "assignee:{}",
    "team": "team:{}",
    "priority": "priority:{}",
    "tag": "tag:{}",
    "requester": "requester:{}",
    "org": "org:{}",
    "older_than": "older:{}",
    "newer_than": "newer:{}",
    "created_after": "created>{}",
    "created_before": "created<{}",
    "updated_after": "updated>{}",
    "updated_before": "updated<{}",
    "sort": "sort:{}",
}


def _quoted(value: str) -> str:
    if '"' in value:
        raise BadInput(f"filter values cannot contain double quotes: {value!r}")
    return f'"{value}"' if any(ch.isspace() for ch in value) else value


def _option_tokens(options: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(option as typed, its value, its filter token) for each filter option given."""
    found = []
    for name, template in _TOKENS.items():
        value = options.get(name)
        if not value:
            continue
        values = value if isinstance(value, list) else [value]
        joined = ",".join(v.strip() for item in values for v in item.split(",") if v.strip())
        flag = "--" + name.replace("_", "-")
        found.append((flag, joined, template.format(_quoted(joined))))
    return found


def filter_text(options: dict[str, Any]) -> str:
    """Build filter-language text from the option values."""
    parts = [options["query"]] if options.get("query") else []
    parts += [token for _, _, token in _option_tokens(options)]
    if options.get("text"):
        parts.append(options["text"])
    return " ".join(parts)


_BAD_FILTER = re.compile(r"^(?:bad|unknown) filter (?:'[^']*'|\"[^\"]*\")(?: in \S+)?: ")


def check_options(options: dict[str, Any], me: str | None) -> None:
    """Parse each filter option on its own, so a bad value is reported as that option's."""
    from deskterm.services.finding.query import parse_query

    for flag, value, token in _option_tokens(options):
        try:
            parse_query(token, me)
        except BadInput as error:
            detail = _BAD_FILTER.sub("", str(error))
            raise BadInput(f"bad {flag} {value!r}: {detail}") from None


def with_filters(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options to a command; it receives them as `filters: str`."""
    hints = typing.get_type_hints(func, include_extras=True)
    signature = inspect.signature(func)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
        if p.name != "filters"
    ]
    for name, (annotation, option) in _FILTER_OPTIONS.items():
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[annotation, option],
                default=None,
            )
        )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {name: kwargs.pop(name, None) for name in _FILTER_OPTIONS}
        ctx = kwargs.get("ctx") or next(a for a in args if isinstance(a, typer.Context))
        st = state(ctx)
        st.open()
        check_options(options, st.agent_name)
        return func(*args, filters=filter_text(options), **kwargs)

    params = _ordered(params)
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _ordered(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    kinds = [inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY]
    return sorted(params, key=lambda p: kinds.index(p.kind) if p.kind in kinds else 0)


def refs_from(args: list[str] | None) -> list[int] | None:
    """Ticket refs given as arguments, or read one per line from stdin for `-`."""
    from deskterm.services.tickets import resolve_ref

    if not args:
        return None
    words: list[str] = []
    for arg in args:
        if arg == "-":
            words.extend(read_stdin().split())
        else:
            words.append(arg)
    return [resolve_ref(w) for w in words]
