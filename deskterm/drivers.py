"""Database drivers are imported when a desk needs them, not when peewee is imported.

peewee imports every driver it knows at its own import (psycopg, pymysql), which costs
a SQLite desk's console and CLI a few hundred milliseconds at start for nothing. `install`
(run by `import deskterm`) makes peewee's own import see them as absent; the PostgreSQL
backend then calls `attach_psycopg`, which imports psycopg and hands it to peewee exactly
as peewee's import would have.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType

#: Drivers peewee tries at import that no deskterm desk needs until it opens one.
DEFERRED = ("psycopg", "pymysql")


class _PeeweeLoader:
    """Runs peewee's module with the deferred drivers hidden from its `import`.

    (Duck-typed like the finder: `importlib.abc` alone costs 10 ms to import.)
    """

    def __init__(self, inner) -> None:  # noqa: ANN001 - an importlib loader
        self.inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = [name for name in DEFERRED if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment] - `import` raises ImportError
        try:
            self.inner.exec_module(module)
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]


class _PeeweeFinder:
    """Finds peewee the usual way, once, and wraps its loader."""

    def find_spec(self, fullname: str, path=None, target=None) -> ModuleSpec | None:  # noqa: ANN001
        if fullname != "peewee":
            return None
        uninstall()
        spec = PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PeeweeLoader(spec.loader)
        return spec


_FINDER = _PeeweeFinder()


def install() -> None:
    """Defer the drivers for peewee's import (nothing to do once peewee is imported)."""
    if "peewee" not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def attach_psycopg() -> None:
    """Import psycopg 3 and give peewee what its import gives it when psycopg is there."""
    import peewee
    import psycopg

    if peewee.psycopg is not None:
        return
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    peewee.psycopg, peewee.TransactionStatus = psycopg, TransactionStatus
    peewee.Json_pg3, peewee.Jsonb_pg3 = Json, Jsonb
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN
