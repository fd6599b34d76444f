"""One SQL statement written once with `:name` parameters, in each driver's own style, without
SQLAlchemy (tickets.store.rawsql runs them on a session's or a pooled connection; commands on a
plain sqlite3 connection run them too)."""

from __future__ import annotations

import re
from functools import partial

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Sql:
    """One statement, written once with `:name` parameters."""

    __slots__ = ("text", "_pyformat")

    def __init__(self, text: str, *, postgresql: str | None = None) -> None:
        self.text = text
        # psycopg's pyformat: a literal % doubles, each :name becomes %(name)s. PostgreSQL may
        # be sent a text of its own (`postgresql`: the same columns, by the same names).
        self._pyformat = _NAMED.sub(r"%(\1)s", (postgresql or text).replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.text if dialect == "sqlite" else self._pyformat


def json_as_text(text: str, *columns: str) -> str:
    """`text` with each of its JSON `columns` (each "alias.name" or "name" as written there,
    maybe followed by its own "AS alias") read as its text, by the same name: as sqlite3 gives
    it. For PostgreSQL, where psycopg would otherwise decode every one on every row: the reader
    decodes the few it uses when it uses them (a role list, a subscription's domains, each
    one of a handful of distinct texts, are decoded once a text by their readers)."""
    for column in columns:
        name = column.rsplit(".", 1)[-1]
        pattern = rf"(?<![\w.]){re.escape(column)}(?: AS (\w+))?(?=,| FROM)"
        text, found = re.subn(pattern, partial(_cast, column, name), text)
        if found != 1:
            raise ValueError(f"{column} is not once a column of: {text}")
    return text


def _cast(column: str, name: str, written: re.Match[str]) -> str:
    return f"CAST({column} AS text) AS {written.group(1) or name}"
