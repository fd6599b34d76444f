"""The schema check without Alembic (tickets.store.revision) answers as Alembic does: the same
head and the same chain of revisions, and the same stored revision read from a database; on
both engines."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tickets.errors import SchemaOutOfDate
from tickets.store import revision
from tickets.store.schema import _config, check_schema, current_revision


def test_the_head_and_the_chain_are_alembics():
    scripts = ScriptDirectory.from_config(_config())
    assert revision.head() == scripts.get_current_head()
    chain = {script.revision: script.down_revision for script in scripts.walk_revisions()}
    assert revision.revisions() == chain and len(chain) >= 8


def test_the_stored_revision_is_read_as_alembic_reads_it(store):
    with store.engine.connect() as connection:
        alembic_says = MigrationContext.configure(connection).get_current_revision()
    assert current_revision(store.engine) == alembic_says == revision.head()
    check_schema(store.engine)  # up to date: no error


def test_an_old_a_newer_and_no_schema_are_refused_with_what_to_run():
    where = "sqlite:///x.db"
    with pytest.raises(SchemaOutOfDate, match="is at schema 0001, this deskapp needs .*run `deskapp db upgrade`"):
        revision.check("0001", where)
    with pytest.raises(SchemaOutOfDate, match="upgraded by a newer deskapp .*schema 9999"):
        revision.check("9999", where)
    with pytest.raises(SchemaOutOfDate, match="has no deskapp schema yet"):
        revision.check(None, where)


@pytest.mark.engine("sqlite")  # what a process imports does not depend on the engine
def test_a_command_checks_the_schema_without_loading_alembic(store_url, backend):
    probe = ("import sys; from deskapp.cli import main; code = main(['agents', 'list', '--db', sys.argv[1]]); "
             "print(code, 'alembic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, store_url], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "0 False", result.stderr
