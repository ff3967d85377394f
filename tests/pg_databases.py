"""PostgreSQL databases for tests: one migrated template per kind, a fresh copy per test.

Enabled by `DESKTERM_TEST_BACKEND=postgresql`; `DESKTERM_TEST_PG_DSN` names a superuser
connection to the server (`.ci/postgres.sh start` prints one).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DSN = os.environ.get("DESKTERM_TEST_PG_DSN", "postgresql://deskterm@127.0.0.1:5432/postgres")

_admin: list = []
_templates: dict[str, str] = {}
_template_files: dict[str, Path] = {}
_counter = itertools.count()


def enabled() -> bool:
    """True when the suite runs on PostgreSQL."""
    return os.environ.get("DESKTERM_TEST_BACKEND", "sqlite") == "postgresql"


def _sql(statement: str) -> None:
    import psycopg

    if not _admin:
        _admin.append(psycopg.connect(DSN, autocommit=True))
    _admin[0].execute(statement)


def url_of(name: str) -> str:
    """The URL of database `name` on the test server."""
    return urlunsplit(urlsplit(DSN)._replace(path="/" + name))


def template_url(kind: str) -> str:
    return _templates[kind]


def template_files(kind: str) -> Path | None:
    """The attachments folder the template was built with (copied into each test's)."""
    return _template_files.get(kind)


def fresh_database(kind: str, build: Callable[[str], None]) -> str:
    """A new database copied from the `kind` template (built by `build(url)` once)."""
    if kind not in _templates:
        name = f"deskterm_tpl_{kind}_{os.getpid()}"
        _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _sql(f'CREATE DATABASE "{name}"')
        build(url_of(name))
        from deskterm import paths

        _templates[kind] = url_of(name)
        _template_files[kind] = paths.attachments_dir(url_of(name))
    name = f"deskterm_t{os.getpid()}_{next(_counter)}"
    template = urlsplit(_templates[kind]).path.strip("/")
    _sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return url_of(name)


def copy_database(url: str) -> str:
    """A new database copied from the database at `url` (nobody may be connected to it)."""
    name = f"deskterm_t{os.getpid()}_{next(_counter)}"
    source = urlsplit(url).path.strip("/")
    _sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    return url_of(name)


def drop_database(url: str) -> None:
    _sql(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.strip("/")}" WITH (FORCE)')


def cleanup() -> None:
    """Drop the templates (end of the session)."""
    for url in _templates.values():
        drop_database(url)
    _templates.clear()
