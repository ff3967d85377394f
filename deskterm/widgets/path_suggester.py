"""File-system completion for an Input: `~/Doc` suggests `~/Documents/`, tab or → takes it."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester


def complete_path(value: str) -> str | None:
    """`value` completed with the entries of the folder it points into: the part all
    matches share, or the first match (a folder gets a `/`). Hidden entries only when the
    typed name starts with a dot. None when nothing matches or there is nothing to add."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, slash, start = expanded.rpartition("/")
    base = Path(folder if slash and folder else ("/" if slash else "."))
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(base)
            if entry.name.startswith(start) and (start.startswith(".") or entry.name[0] != ".")
        )
    except OSError:
        return None
    if not names:
        return None
    shared = os.path.commonprefix(names)
    name = shared if len(shared) > len(start) else names[0]
    completed = value + name[len(start) :]
    if name in names and (base / name).is_dir():
        completed += "/"
    return completed if completed != value else None


class PathSuggester(Suggester):
    """Suggests completions of a file path as it is typed (no cache: folders change)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)
