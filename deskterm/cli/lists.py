"""How every listing command prints its rows, in one place.

`@lists(SPEC)` gives a command `--format table|json|csv|ids` (with `--json` and `--ids`
as short forms), `--columns a,b,c`, `--limit N` / `--all` and `--utc`, and hands it a
`Listing` to fetch with and print through. A capped list says so on stderr
(`50 of 89 shown (--limit 0 for all)`); `--ids` prints every match unless `--limit` is
given. Tables and CSV write times in the agent's zone with its offset; JSON keeps the
rows as they are (ISO 8601, UTC).
"""

from __future__ import annotations

import csv
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer

from deskterm.cli import times
from deskterm.cli.output import clean, notice, out, print_json, print_table
from deskterm.domain import BadInput
from deskterm.services.values import MAX_ID

FORMATS = ("table", "json", "csv", "ids")


@dataclass(frozen=True)
class Column:
    """One column: its `--columns` name, its table header and how a row gives its cell."""

    name: str
    header: str
    value: Callable[[Any], Any]
    #: Shown without `--columns`.
    default: bool = True
    #: Table cells are cut to this many characters (CSV keeps the whole value).
    width: int | None = None


@dataclass(frozen=True)
class ListSpec:
    """What a listing command prints."""

    #: What is listed, for messages: "tickets", "agents".
    noun: str
    columns: tuple[Column, ...]
    #: What `--ids` prints for a row.
    ref: Callable[[Any], Any]
    #: Rows shown without `--limit` (None: every row).
    default_limit: int | None = None
    #: Printed instead of an empty table.
    empty: str | None = None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def pick(self, names: str | None) -> list[Column]:
        """The columns `--columns` names (in its order), or the default ones."""
        if names is None:
            return [c for c in self.columns if c.default]
        by_name = {c.name: c for c in self.columns}
        chosen = [n.strip().lower() for n in names.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in by_name]
        if unknown or not chosen:
            what = f"unknown column {unknown[0]!r}" if unknown else "no column given"
            raise BadInput(
                f"{what} for {self.noun}: expected one of {', '.join(self.column_names())}"
            )
        return [by_name[n] for n in chosen]


@dataclass
class Listing:
    """The output options of one listing command as given, and the printing."""

    spec: ListSpec
    format: str
    columns: list[Column]
    #: Rows to show; None: all.
    limit: int | None

    @property
    def fetch(self) -> int:
        """The row count to ask a service for: one past the limit (to know there are more),
        or -1 for every row."""
        return -1 if self.limit is None else self.limit + 1

    def show(
        self,
        rows: Sequence[Any],
        *,
        total: int | Callable[[], int] | None = None,
        offset: int = 0,
        newest_last: bool = False,
    ) -> None:
        """Print `rows` (fetched with `fetch`, or the whole list) in the chosen format, and
        the capped notice when more rows match than were shown. `total` counts every
        match (default: the rows given are all of them). With `newest_last` (a trail,
        oldest first) a capped list keeps the last rows, not the first."""
        if self.limit is None or len(rows) <= self.limit:
            shown = list(rows)
        else:
            shown = list(rows[-self.limit :] if newest_last else rows[: self.limit])
        {"table": self._table, "json": print_json, "csv": self._csv, "ids": self._ids}[
            self.format
        ](shown)
        if len(shown) < len(rows):
            count = total() if callable(total) else total
            count = len(rows) + offset if count is None else count
            if count > offset + len(shown):
                notice(
                    f"{len(shown)} of {count} shown (--limit 0 for all)",
                    shown=len(shown),
                    total=count,
                )

    def _table(self, rows: list[Any]) -> None:
        if not rows and self.spec.empty:
            out.print(self.spec.empty)
            return
        print_table(
            ([_cell(c, row) for c in self.columns] for row in rows),
            [c.header for c in self.columns],
        )

    def _csv(self, rows: list[Any]) -> None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.name for c in self.columns])
        for row in rows:
            writer.writerow([_csv_cell(c.value(row)) for c in self.columns])

    def _ids(self, rows: list[Any]) -> None:
        sys.stdout.write("".join(f"{clean(self.spec.ref(row), one_line=True)}\n" for row in rows))


def _cell(column: Column, row: Any) -> str:
    value = column.value(row)
    if isinstance(value, datetime):
        return times.when(value)
    text = "-" if value is None or value == "" else str(value)
    if column.width and len(text) > column.width:
        text = text[: column.width - 1] + "…"
    return text


def _csv_cell(value: Any) -> str:
    if isinstance(value, datetime):
        return times.iso(value)
    return "" if value is None else clean(value, one_line=True)


def _limit_help(spec: ListSpec) -> str:
    if spec.default_limit is None:
        return "At most this many rows (default: all)"
    return f"At most this many rows (0: all; default {spec.default_limit}, all with --ids)"


def _options(spec: ListSpec) -> dict[str, Any]:
    names = ", ".join(spec.column_names())
    return {
        "output_format": (
            str | None,
            typer.Option("--format", "-f", help="table, json, csv or ids (default: table)"),
        ),
        "as_json": (bool, typer.Option("--json", help="Print JSON for scripts (--format json)")),
        "ids": (bool, typer.Option("--ids", help="Print only refs, one per line (--format ids)")),
        "columns": (
            str | None,
            typer.Option("--columns", help=f"Table and CSV columns, comma separated: {names}"),
        ),
        "limit": (
            int | None,
            typer.Option("--limit", help=_limit_help(spec), min=0, max=MAX_ID),
        ),
        "all_rows": (bool, typer.Option("--all", help="Every row (as --limit 0)")),
        "utc": (bool, typer.Option("--utc", help="Times in UTC (default: your time zone)")),
    }


def _format(output_format: str | None, as_json: bool, ids: bool) -> str:
    chosen = {f for f, on in (("json", as_json), ("ids", ids)) if on}
    if output_format is not None:
        name = output_format.strip().lower()
        if name not in FORMATS:
            raise BadInput(
                f"bad --format {output_format!r}: expected one of {', '.join(FORMATS)}"
            )
        chosen.add(name)
    if len(chosen) > 1:
        raise BadInput(f"choose one output format, not {' and '.join(sorted(chosen))}")
    return chosen.pop() if chosen else "table"


def listing_for(
    spec: ListSpec,
    *,
    output_format: str | None = None,
    as_json: bool = False,
    ids: bool = False,
    columns: str | None = None,
    limit: int | None = None,
    all_rows: bool = False,
    utc: bool = False,
) -> Listing:
    """The Listing the options describe (BadInput for a bad format or column)."""
    fmt = _format(output_format, as_json, ids)
    if columns is not None and fmt in ("json", "ids"):
        raise BadInput(f"--columns applies to --format table or csv, not {fmt}")
    picked = spec.pick(columns)
    times.force_utc(utc)
    if all_rows or limit == 0:
        cap = None
    elif limit is not None:
        cap = limit
    else:
        cap = None if fmt == "ids" else spec.default_limit
    return Listing(spec, fmt, picked, cap)


def lists(spec: ListSpec) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the output options of `spec` to a command; it receives `listing: Listing`."""
    options = _options(spec)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(func, include_extras=True)
        signature = inspect.signature(func)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
            if p.name != "listing"
        ]
        for name, (annotation, option) in options.items():
            default = False if annotation is bool else None
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=Annotated[annotation, option],
                    default=default,
                )
            )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, None) for name in options}
            listing = listing_for(spec, **{k: v for k, v in given.items() if v is not None})
            return func(*args, listing=listing, **kwargs)

        kinds = [inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY]
        params.sort(key=lambda p: kinds.index(p.kind) if p.kind in kinds else 0)
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate
