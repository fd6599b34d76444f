"""tickets.store.rawsql on both engines: driver errors raised as SQLAlchemy raises them (the store's
retries and C-9 / T-3 handling depend on it), list parameters, one Raw per transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from tickets.errors import StoreUnavailable
from tickets.store import rawsql

_AGENT = rawsql.Sql(
    "INSERT INTO agent (name, display_name, role, pin_hash, active, created_at) "
    "VALUES (:name, 'A', 'agent', 'h', :active, :at)"
)
_NAMES = rawsql.SqlList("SELECT name FROM agent WHERE name IN (:names) AND active = :active ORDER BY name", "names")


def _add(session, name: str) -> None:
    from datetime import UTC, datetime

    raw = rawsql.Raw(session)
    raw.execute(
        _AGENT, {"name": name, "active": True, "at": rawsql.bind_time(datetime(2026, 1, 1, tzinfo=UTC), raw.dialect)}
    )


def test_a_unique_violation_is_sqlalchemys_integrity_error_with_the_drivers_cause(store):
    with store.write() as session:
        _add(session, "ada")
    with pytest.raises(IntegrityError) as caught:
        with store.write() as session:
            _add(session, "ada")
    assert isinstance(caught.value.orig, store.engine.dialect.loaded_dbapi.IntegrityError)
    with store.read() as session:  # the failed transaction left nothing behind, the store still works
        assert rawsql.Raw(session).rows(*_NAMES.bind({"names": ["ada"], "active": True})) == [("ada",)]


def test_a_bad_statement_is_wrapped_too(store):
    with pytest.raises((OperationalError, ProgrammingError, StoreUnavailable)):
        with store.read() as session:
            rawsql.Raw(session).rows(rawsql.Sql("SELECT no_such_column FROM agent"))


def test_list_parameters_of_any_length(store):
    with store.write() as session:
        for name in ("ada", "alan", "grace"):
            _add(session, name)
    with store.read() as session:
        raw = rawsql.Raw(session)
        for names, expected in (([], []), (["alan"], ["alan"]), (["grace", "ada", "nobody"], ["ada", "grace"])):
            assert [r[0] for r in raw.rows(*_NAMES.bind({"names": names, "active": True}))] == expected
    sql, params = _NAMES.bind({"names": ["a", "b"], "active": False})
    assert ":names_0, :names_1" in sql.text and params == {"names_0": "a", "names_1": "b", "active": False}


def test_one_raw_per_transaction(store):
    with store.write() as session:
        first = rawsql.Raw(session)
        assert rawsql.Raw(session) is first
    with store.read() as session:
        assert rawsql.Raw(session) is not first
