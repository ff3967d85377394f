"""How commands print: a rich table on a terminal, JSON with --json, errors as one line."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from deskterm.domain import DomainError

#: Wide when piped, so tables in logs and `| less` are not squeezed to 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def plain(value: Any) -> Any:
    """Turn dataclasses, enums and datetimes into JSON-friendly values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Write `value` as JSON on stdout (Unicode kept as is)."""
    sys.stdout.write(json.dumps(plain(value), ensure_ascii=False, indent=2) + "\n")


def print_table(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], title: str | None = None
) -> None:
    """A rich table with the given column headers."""
    table = Table(title=title, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line on stderr and return the Exit to raise."""
    err.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(code)


def exit_for(error: DomainError) -> typer.Exit:
    """The one place a domain error becomes a stderr line and an exit code."""
    return fail(str(error), error.exit_code)


def confirm_or_refuse(question: str, *, yes: bool) -> None:
    """Go on with --yes; ask on a terminal; refuse (exit 1) when nobody can answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(f"{question} Refusing without --yes (standard input is not a terminal).")
    if not typer.confirm(question, default=False):
        raise fail("cancelled, nothing changed")
