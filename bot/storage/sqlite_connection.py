"""aiosqlite connections whose close() cannot wait forever.

aiosqlite 0.22 runs each connection in a worker thread that ends at the first stop it
reads. Each call of `stop()` queues one and returns a future for it, and `close()` ends by
calling `stop()` and awaiting that future. When a task is cancelled in the middle of a query,
SQLAlchemy terminates the connection: a graceful `close()`, and `stop()` when that close is
cancelled too. If the close is then cancelled again (at shutdown every task is), it queues a
second stop behind the first, the thread has already ended, and the close waits forever:
the shutdown hangs (seen as a test run that never ended, and reproduced in
tests/unit/test_sqlite_connection.py). Here the first stop is the only one; later calls
wait for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Any

import aiosqlite

ITER_CHUNK_SIZE = 64  # aiosqlite.connect's default


class StopOnceConnection(aiosqlite.Connection):
    _first_stop: asyncio.Future[Any] | None = None

    def stop(self) -> asyncio.Future[Any] | None:
        if self._running:  # aiosqlite's own flag: stop() is its only writer
            self._first_stop = super().stop()
            return self._first_stop
        first = self._first_stop
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if first is None or first.get_loop() is not loop:
            return None  # nothing this loop could wait for
        later = loop.create_future()  # its own: a cancelled waiter must not cancel the first

        def follow(_: asyncio.Future[Any]) -> None:
            if not later.done():
                later.set_result(None)

        first.add_done_callback(follow)
        return later


def connect(database: str, **kwargs: Any) -> StopOnceConnection:
    """What aiosqlite.connect does, with the connection above. SQLAlchemy calls it with the
    arguments it would give aiosqlite (see make_engine's do_connect)."""
    connection = StopOnceConnection(partial(sqlite3.connect, database, **kwargs),
                                    ITER_CHUNK_SIZE)
    # As SQLAlchemy does for its own aiosqlite connections: a connection nobody closed
    # (a crash) must not keep the process alive.
    connection._thread.daemon = True
    return connection
