"""Parse the next batch of messages in worker processes while the importer writes this one.

Parsing (MIME, charsets, addresses) is most of an import's work and needs nothing from the
database, so a large import hands it to other processes: `ParseAhead.submit(items)` starts
parsing a batch and returns a function that waits for the results. With no workers (one
CPU) or a small batch it gives None for every message: the importer parses them itself.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from deskterm.mail.parse import MessageKey, ParsedMail, parse_message

#: What parsing one message gave: the message, or why it could not be parsed.
Parsed = ParsedMail | str
_CHUNK = 25


def _parse(raw: bytes, key: MessageKey | None) -> Parsed:
    try:
        return parse_message(raw, key)
    except Exception as error:  # the email package gave up: the importer keeps the bytes
        return f"cannot parse: {error!r}"[:500]


def _parse_chunk(items: list[tuple[bytes, MessageKey | None]]) -> list[Parsed]:
    return [_parse(raw, key) for raw, key in items]


def default_workers() -> int:
    """One worker per CPU beyond the importer's own (none on one CPU), at most three."""
    return max(0, min(3, (os.cpu_count() or 1) - 1))


class ParseAhead:
    """A pool of parsing processes for one import (a context manager)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParseAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: the workers start at once with the modules already loaded; they never
            # touch the database connection they inherit
            context = multiprocessing.get_context(
                "fork" if "fork" in multiprocessing.get_all_start_methods() else None)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def submit(self, items: Sequence[tuple[bytes, MessageKey | None] | None]
               ) -> Callable[[], list[Parsed | None]]:
        """Start parsing (None items are skipped); the returned function waits for the
        results, in order."""
        todo = [(i, item) for i, item in enumerate(items) if item is not None]
        # forking a process that runs other threads (the console) could copy a held lock
        alone = threading.active_count() == 1 or self._pool is not None
        if not self.workers or len(todo) < 2 * _CHUNK or not alone:
            return lambda: [None] * len(items)
        pool = self._executor()
        futures: list[tuple[list[int], Future]] = []
        for start in range(0, len(todo), _CHUNK):
            chunk = todo[start:start + _CHUNK]
            futures.append(([i for i, _ in chunk],
                            pool.submit(_parse_chunk, [item for _, item in chunk])))

        def results() -> list[Parsed | None]:
            out: list[Parsed | None] = [None] * len(items)
            for indexes, future in futures:
                for index, parsed in zip(indexes, future.result(), strict=True):
                    out[index] = parsed
            return out

        return results
