"""The schema check every command makes before it works, without Alembic (about 0.15 s of CPU
to import) or SQLAlchemy: the revision stored in `alembic_version` against the head of the
migration scripts shipped beside this module, found by reading their `revision` and
`down_revision` lines. tests/store checks it against Alembic's own answer; migrating still goes
through Alembic (tickets.store.schema.upgrade)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from tickets.errors import SchemaOutOfDate
from tickets.i18n import _

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)\s*$", re.MULTILINE)
# Where the stored revision is; the statement to read it on any engine.
READ_CURRENT = "SELECT version_num FROM alembic_version"
TABLE_SQLITE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
TABLE_POSTGRESQL = "SELECT to_regclass('alembic_version') IS NOT NULL"


@cache
def revisions() -> dict[str, str | None]:
    """Each migration script's revision -> the revision it follows."""
    found: dict[str, str | None] = {}
    for script in sorted(VERSIONS.glob("*.py")):
        values = dict((name, value or None) for name, value in _LINE.findall(script.read_text(encoding="utf-8")))
        if "revision" in values and values["revision"]:
            found[values["revision"]] = values.get("down_revision")
    return found


@cache
def head() -> str:
    """The one revision no other follows (a second would be a branch Alembic refuses too)."""
    known = revisions()
    heads = sorted(set(known) - {down for down in known.values() if down})
    if len(heads) != 1:
        raise RuntimeError(f"the migration scripts have {len(heads)} heads: {', '.join(heads) or 'none'}")
    return heads[0]


def is_newer(revision: str | None) -> bool:
    """A revision this deskapp does not know: written by a newer deskapp."""
    return revision is not None and revision not in revisions()


def newer_error(where: str, current: str) -> SchemaOutOfDate:
    return SchemaOutOfDate(
        _(
            "the database at {where} was upgraded by a newer deskapp (schema {current}; this one knows up to "
            "{head}): install that newer deskapp to use it"
        ).format(where=where, current=current, head=head())
    )


def check(current: str | None, where: str) -> None:
    """Refuse to run on a schema this code does not match, saying what to run."""
    wanted = head()
    if current == wanted:
        return
    if is_newer(current):
        raise newer_error(where, current or "")
    if current is None:
        raise SchemaOutOfDate(
            _("the database at {where} has no deskapp schema yet: run `deskapp db upgrade`").format(where=where)
        )
    raise SchemaOutOfDate(
        _(
            "the database at {where} is at schema {current}, this deskapp needs {wanted}: run `deskapp db upgrade`"
        ).format(where=where, current=current, wanted=wanted)
    )


def read_current(cursor, dialect: str) -> str | None:
    """The stored revision through a DB-API cursor (None without the table or a row)."""
    cursor.execute(TABLE_POSTGRESQL if dialect == "postgresql" else TABLE_SQLITE)
    row = cursor.fetchone()
    if not row or not row[0]:
        return None
    cursor.execute(READ_CURRENT)
    row = cursor.fetchone()
    return row[0] if row else None
