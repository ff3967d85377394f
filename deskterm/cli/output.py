"""How commands print: a table on a terminal, JSON with --json, errors as one line.

Text from data (subjects, names, mail, rule names) is never read as Rich markup: both
consoles have markup and emoji codes off, every string is turned into a `Text` by
`SafeConsole.print`, and `clean` replaces control characters (a customer's `ESC [2J`
would otherwise reach the agent's terminal) and drops bidi overrides that would reorder
the rest of the line. Styling is added with `styled`, never by markup in a string.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deskterm.domain import DomainError

#: C0 and C1 control characters other than newline and tab.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Bidi embeddings, overrides and isolates: they reorder everything after them on the line.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: A replacement for a control character: visible, one cell wide.
REPLACEMENT = "\ufffd"


def clean(value: Any, *, one_line: bool = False) -> str:
    """`value` as text safe for a terminal: no control characters, no bidi overrides.

    With `one_line` newlines and tabs become spaces (table cells, confirmations).
    """
    text = "" if value is None else str(value)
    text = _BIDI.sub("", _CONTROL.sub(REPLACEMENT, text))
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from argv


def styled(value: Any, style: str = "", *, one_line: bool = True) -> Text:
    """Data as a styled Text (never parsed as markup)."""
    return Text(clean(value, one_line=one_line), style=style)


class SafeConsole(Console):
    """A Console whose `print` treats every string as plain text, cleaned."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - Console's name
        kwargs.pop("markup", None)
        safe = [Text(clean(o)) if isinstance(o, str) else o for o in objects]
        super().print(*safe, markup=False, **kwargs)

#: Wide when piped, so tables in logs and `| less` are not squeezed to 80 columns.
out = SafeConsole(
    highlight=False,
    markup=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else 200,
)
err = SafeConsole(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)

_json_errors = False


def use_json_errors(enabled: bool) -> None:
    """With --json, errors go to stderr as `{"error": ..., "code": ...}` too."""
    global _json_errors
    _json_errors = enabled


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


def print_json_list(head: dict[str, Any], key: str, items: Iterable[Any]) -> None:
    """`print_json({**head, key: list(items)})` written item by item, one line each, so
    a long list (an import's messages) never sits in memory a second time as one text."""
    text = json.dumps(plain({**head, key: []}), ensure_ascii=False, indent=2)
    opening, closing = text.rsplit("[]", 1)
    write = sys.stdout.write
    write(opening)
    first = True
    for item in items:
        write(("[\n    " if first else ",\n    ") + json.dumps(plain(item), ensure_ascii=False))
        first = False
    write(("[]" if first else "\n  ]") + closing + "\n")


def print_table(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], title: str | None = None
) -> None:
    """A table with the given column headers; every cell is plain, cleaned text."""
    table = Table(
        title=styled(title) if title else None,
        box=box.SQUARE,  # lines every common monospace font has (deskterm/wgl4.py)
        show_edge=False,
        header_style="bold",
    )
    for column in columns:
        table.add_column(styled(column))
    for row in rows:
        table.add_row(*(styled(v) for v in row))
    out.print(table)


_KINDS = {1: "refused", 2: "bad_input", 70: "internal", 75: "temporary"}


def say_error(message: str, code: int, *, kind: str | None = None, prefix: str = "error") -> None:
    """Print one error line on stderr: `deskterm: error: …`, or JSON under --json."""
    if _json_errors:
        payload = {"error": clean(message, one_line=True), "code": code,
                   "kind": kind or _KINDS.get(code, "error")}
        sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    line = Text("deskterm: ")
    line.append(f"{prefix}:", style="red" if prefix == "error" else "yellow")
    line.append(" " + clean(message, one_line=True))
    err.print(line)


def warn(message: str) -> None:
    """One warning line on stderr (the command goes on)."""
    if _json_errors:
        sys.stderr.write(json.dumps({"warning": clean(message, one_line=True)}) + "\n")
    else:
        say_error(message, 0, prefix="warning")


def notice(message: str, **fields: Any) -> None:
    """An informational line on stderr, kept out of piped output (e.g. a capped listing);
    under --json a JSON line: `{"notice": …, **fields}`."""
    if _json_errors:
        payload = {"notice": clean(message, one_line=True), **fields}
        sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        err.print(Text(clean(message, one_line=True), style="dim"))


def fail(message: str, code: int = 1, *, kind: str | None = None) -> typer.Exit:
    """Print one error line on stderr and return the Exit to raise."""
    say_error(message, code, kind=kind)
    return typer.Exit(code)


def _kind(error: DomainError) -> str:
    name = type(error).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def exit_for(error: DomainError) -> typer.Exit:
    """The one place a domain error becomes a stderr line and an exit code."""
    return fail(str(error), error.exit_code, kind=_kind(error))


def confirm_or_refuse(question: str, *, yes: bool) -> None:
    """Go on with --yes; ask on a terminal; refuse (exit 1) when nobody can answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(f"{question} Refusing without --yes (standard input is not a terminal).")
    if not typer.confirm(clean(question, one_line=True), default=False):
        raise fail("cancelled, nothing changed")
