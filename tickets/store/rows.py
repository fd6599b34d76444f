"""Rows read by column name: named tuples of a statement's columns (tickets.store.rawsql).

The row type of each statement is remembered by (dialect, the driver's text): psycopg builds
`description` anew, a column object and a type lookup per column, at each reading, which on
the function path cost more CPU than the rest of the statement's client side.
"""

from __future__ import annotations

from collections import namedtuple
from functools import partial
from typing import Any

# One named-tuple type per list of column names, made when a statement first returns rows.
_ROW_TYPES: dict[tuple[str, ...], Any] = {}


def row_type(names: tuple[str, ...]) -> Any:
    """The named-tuple type of rows with these columns: `row.ref`, as the model names it.
    Names are the columns' (or their `AS` alias): the same on both drivers for a plain column
    (`s.ref` is `ref`). An expression without an alias is named by each driver its own way, and
    a name given twice, or one that is no identifier, becomes its place (`_3`): a statement
    read by name aliases those (tests/store/test_store_rawsql.py)."""
    found = _ROW_TYPES.get(names)
    if found is None:
        found = _ROW_TYPES[names] = namedtuple("Row", names, rename=True)
    return found


# The row type of each statement the store has run, by (dialect, the driver's text): psycopg
# builds `description` anew, a column object and a type lookup per column, at each reading,
# which on the function path cost more CPU than the rest of the statement's client side.
_TYPE_OF: dict[tuple[str, str], tuple[Any, int]] = {}
_TYPE_OF_LIMIT = 4_096  # texts with spread lists (SqlList) vary: the cache stops growing here


def named_rows(cur: Any, key: tuple[str, str] | None = None) -> list[Any]:
    """A cursor's rows, each a named tuple of the cursor's column names (the driver's
    `description`): read by name, never by position. With `key` (the dialect and the
    statement's text), the names are read once per statement, and again only if the number of
    columns changes (a `SELECT *` after a migration)."""
    fetched = cur.fetchall()
    if not fetched:
        return fetched
    if key is not None:
        known = _TYPE_OF.get(key)
        if known is not None and known[1] == len(fetched[0]):
            return list(map(known[0], fetched))
    if cur.description is None:
        return fetched
    # tuple.__new__ of the row type, as its _make does but with no Python frame a row (the
    # driver's rows have the description's columns; a known statement's count is checked above).
    make = partial(tuple.__new__, row_type(tuple(column[0] for column in cur.description)))
    if key is not None and len(_TYPE_OF) < _TYPE_OF_LIMIT:
        _TYPE_OF[key] = (make, len(fetched[0]))
    return list(map(make, fetched))
