"""A PostgreSQL driver connection kept in autocommit between a store's hot actions.

Each hot read and each function call (tickets.store.calls) is one statement in autocommit; a
checkout from SQLAlchemy's pool for each, with the autocommit switched on and off around it
and the pool's reset at checkin, cost the client more CPU than the statement's own round trip.
`Held` keeps one pooled connection out of the pool, idle in autocommit, for the next such
action of any thread (one at a time: an action takes it, another meanwhile checks out of the
pool as before). It is checked as the pool's checkout checks one (a poll of its socket for the
server's goodbye, tickets.store.database._gone) and is given back only if it is idle and
unbroken; anything else (an error that broke it, a transaction left open) sends it back to
the pool's own handling. `Engine.dispose()` closes it too, so a test that disposes to get fresh
backends gets them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import PoolProxiedConnection

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open


class Held:
    """At most one idle pooled connection in autocommit, for `connection()`."""

    __slots__ = ("_engine", "_idle", "_gone", "__weakref__")

    def __init__(self, engine: Engine, gone: Callable[[Any], bool]) -> None:
        self._engine = engine
        self._idle: list[PoolProxiedConnection] = []
        self._gone = gone
        event.listen(engine, "engine_disposed", self._on_dispose)

    @staticmethod
    def wanted(engine: Engine) -> bool:
        """Only on PostgreSQL, and only where the pool has room for it: a pool of one
        connection (and its one overflow) would be left a single one for everything else."""
        size = getattr(engine.pool, "size", None)
        return engine.dialect.name == "postgresql" and callable(size) and size() >= 2

    def take(self) -> PoolProxiedConnection:
        """The held connection if it is still good, else a fresh checkout put in autocommit."""
        while self._idle:
            try:
                fairy = self._idle.pop()
            except IndexError:  # another thread took it meanwhile
                break
            driver = fairy.dbapi_connection
            if driver is not None and not self._gone(driver):
                return fairy
            self._discard(fairy)
        dialect = self._engine.dialect
        try:
            fairy = self._engine.raw_connection()
        except dialect.loaded_dbapi.Error as error:
            Connection._handle_dbapi_exception_noconnection(error, dialect, self._engine)
        try:
            driver = fairy.dbapi_connection
            assert driver is not None
            driver.autocommit = True
        except BaseException:
            self._discard(fairy)
            raise
        return fairy

    def give(self, fairy: PoolProxiedConnection) -> None:
        """Kept for the next action if idle, unbroken and none is kept yet; else back to the pool."""
        driver = fairy.dbapi_connection
        if (driver is None or driver.closed or driver.broken or driver.pgconn.transaction_status != _IDLE
                or self._idle):
            self._discard(fairy)
            return
        self._idle.append(fairy)

    @staticmethod
    def _discard(fairy: PoolProxiedConnection) -> None:
        """Back to the pool as it came out of it (not in autocommit), or invalidated if it cannot be."""
        try:
            driver = fairy.dbapi_connection
            if driver is not None:
                driver.autocommit = False
        except Exception:
            fairy.invalidate()
        fairy.close()

    @contextmanager
    def connection(self) -> Iterator[PoolProxiedConnection]:
        """The held connection (or a fresh checkout), in autocommit, for one action's statements."""
        fairy = self.take()
        try:
            yield fairy
        finally:
            self.give(fairy)

    def close(self) -> None:
        while self._idle:
            try:
                fairy = self._idle.pop()
            except IndexError:
                return
            self._discard(fairy)

    def _on_dispose(self, _engine: Engine) -> None:
        self.close()
