"""Where deskterm keeps its database, attachments and config.

`DESKTERM_HOME` moves everything; `DESKTERM_DB` and `DESKTERM_CONFIG` override one file each
(`DESKTERM_DB` may also be a `postgresql://` URL).
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def data_dir() -> Path:
    """The per-user data directory (XDG on Linux), created on demand."""
    home = os.environ.get("DESKTERM_HOME")
    if home:
        base = Path(home)
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "deskterm"
    base.mkdir(parents=True, exist_ok=True)
    return base


def default_db_path() -> Path | str:
    """The database used when `--db` names none: `DESKTERM_DB` (a file or a
    `postgresql://` URL) or the per-user file."""
    env = os.environ.get("DESKTERM_DB")
    if env:
        return db_target(env)
    return data_dir() / "deskterm.db"


def db_target(value: Path | str) -> Path | str:
    """A `--db` value as a target: a URL stays a string, anything else is a file path."""
    from deskterm.store.backends import is_server_url

    return str(value) if is_server_url(value) else Path(value)


def side_dir(db_path: Path | str, kind: str) -> Path:
    """A folder of the desk's files (`files`, `mail`).

    Beside a SQLite file (`desk-files/`); for PostgreSQL under `DESKTERM_FILES_DIR` (a
    folder every host shares) or the data directory, named after the server and database.
    """
    from deskterm.store.backends import is_server_url

    if not is_server_url(db_path):
        path = Path(db_path)
        return path.parent / f"{path.stem}-{kind}"
    from urllib.parse import urlsplit

    parts = urlsplit(str(db_path))
    name = f"{parts.hostname or 'local'}-{parts.port or 5432}-{parts.path.strip('/')}"
    base = Path(os.environ.get("DESKTERM_FILES_DIR") or data_dir())
    return base / (re.sub(r"[^\w.-]", "_", name) + f"-{kind}")


def attachments_dir(db_path: Path | str) -> Path:
    """Attachments live beside the database, content-addressed by sha256."""
    return side_dir(db_path, "files")


def config_path() -> Path:
    """The TOML config file (mail settings, keymap, address-to-queue routing)."""
    env = os.environ.get("DESKTERM_CONFIG")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "deskterm" / "config.toml"
