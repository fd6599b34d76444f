"""One SQL statement written once with `:name` parameters, in each driver's own style, without
SQLAlchemy (tickets.store.rawsql runs them on a session's or a pooled connection; commands on a
plain sqlite3 connection run them too)."""

from __future__ import annotations

import re

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Sql:
    """One statement, written once with `:name` parameters."""

    __slots__ = ("text", "_pyformat")

    def __init__(self, text: str) -> None:
        self.text = text
        # psycopg's pyformat: a literal % doubles, each :name becomes %(name)s.
        self._pyformat = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.text if dialect == "sqlite" else self._pyformat
