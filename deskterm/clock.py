"""The one source of "now" (UTC, aware), so tests and rules can freeze time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Freeze `now()` at `instant` inside the block (tests, rule simulations)."""
    global _frozen
    previous = _frozen
    _frozen = to_utc(instant)
    try:
        yield
    finally:
        _frozen = previous


def to_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_db(value: datetime | None) -> datetime | None:
    """Store instants as naive UTC (SQLite has no time zones)."""
    return None if value is None else to_utc(value).replace(tzinfo=None)
