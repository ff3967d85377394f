"""Where deskterm keeps its database, attachments and config.

`DESKTERM_HOME` moves everything; `DESKTERM_DB` and `DESKTERM_CONFIG` override one file each.
"""

from __future__ import annotations

import os
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


def default_db_path() -> Path:
    """The database file used when neither `--db` nor `DESKTERM_DB` names one."""
    env = os.environ.get("DESKTERM_DB")
    return Path(env) if env else data_dir() / "deskterm.db"


def attachments_dir(db_path: Path) -> Path:
    """Attachments live beside the database, content-addressed by sha256."""
    return db_path.parent / (db_path.stem + "-files")


def config_path() -> Path:
    """The TOML config file (mail settings, keymap, address-to-queue routing)."""
    env = os.environ.get("DESKTERM_CONFIG")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "deskterm" / "config.toml"
