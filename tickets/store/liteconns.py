"""SQLite: the driver connections of the raw scopes (tickets.store.rawsql's Raw.transaction and
Raw.reading), kept between uses apart from SQLAlchemy's pool.

A pool checkout and its return (the fairy, its record, the queue's lock, the reset on return)
cost a filing or a verification's read more CPU than two of its statements. A connection for a
raw scope is made by the engine's pool (so its connect events ran: WAL, synchronous=FULL,
foreign keys, the chain's SQL function), then detached from it, and kept here, up to `KEEP` an
engine, for the next raw scope of any thread (sqlite3 connections of the store are made with
check_same_thread=False). One is kept only idle (no transaction open) and valid; the engine's
dispose() closes the kept ones, and a process that inherited them by fork() leaves them alone,
as SQLAlchemy's pool does. Only for an engine whose pool is a QueuePool (a database file):
an in-memory database is one connection's own, and stays with its pool.
"""

from __future__ import annotations

import os
import threading
import weakref

from sqlalchemy import Engine, event
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

KEEP = 8  # idle connections kept an engine (more are closed as they come back)

_lock = threading.Lock()
_kept: weakref.WeakKeyDictionary[Engine, tuple[int, list[PoolProxiedConnection]]] = weakref.WeakKeyDictionary()
# After fork(): the parent's kept connections, referenced so that the child never closes them
# (closing a connection the parent still uses is what SQLite says never to do across a fork).
_inherited: list[list[PoolProxiedConnection]] = []


# This process's id, kept current across fork() (os.getpid() is a system call, and a raw scope
# asked it twice).
_pid = os.getpid()


def _forked() -> None:
    global _pid, _last
    _pid, _last = os.getpid(), None


os.register_at_fork(after_in_child=_forked)

# The engine last looked up and its kept connections (by a weak reference: the process's store
# is nearly always the one engine), found without WeakKeyDictionary's Python frame.
_last: tuple[weakref.ref[Engine], list[PoolProxiedConnection]] | None = None


def _free(engine: Engine) -> list[PoolProxiedConnection] | None:
    """The engine's kept connections (made on first use), or None if it keeps none."""
    global _last
    last = _last
    if last is not None and last[0]() is engine:
        return last[1]
    found = _kept.get(engine)
    if found is not None and found[0] == _pid:
        _last = (weakref.ref(engine), found[1])
        return found[1]
    if engine.dialect.name != "sqlite" or not isinstance(engine.pool, QueuePool):
        return None
    with _lock:
        found = _kept.get(engine)
        if found is None:
            event.listen(engine, "engine_disposed", _close_kept)
        elif found[0] == _pid:
            return found[1]
        else:
            _inherited.append(found[1])
        free: list[PoolProxiedConnection] = []
        _kept[engine] = (_pid, free)
        _last = (weakref.ref(engine), free)
        return free


def checkout(engine: Engine) -> PoolProxiedConnection:
    """A kept connection, else one made by the engine's pool (detached from it if it can be
    kept). The driver's errors are raised as they come."""
    free = _free(engine)
    if free:
        try:
            return free.pop()
        except IndexError:  # another thread took the last one
            pass
    fairy = engine.raw_connection()
    if free is not None:
        fairy.detach()
    return fairy


def give_back(engine: Engine, fairy: PoolProxiedConnection) -> None:
    """Kept if idle and valid and there is room; otherwise closed (a detached connection is
    closed for good, a pooled one goes back to its pool)."""
    free = _free(engine)
    if free is not None and fairy.is_valid and len(free) < KEEP:
        connection = fairy.dbapi_connection
        if connection is not None and not getattr(connection, "in_transaction", True):
            free.append(fairy)
            return
    fairy.close()


def _close_kept(engine: Engine) -> None:
    found = _kept.get(engine)
    if found is None or found[0] != os.getpid():
        return
    free = found[1]
    while free:
        try:
            fairy = free.pop()
        except IndexError:
            break
        fairy.close()
