"""Imports run one way, deskapp -> tickets -> identity (style.md; lint-imports checks the same
statically, from pyproject.toml). These tests check what really loads, in a fresh interpreter:

- every module of `identity` and `tickets`, found by walking the packages (a new module is
  covered without touching this file), and every Alembic migration script, loads neither
  Textual nor the console;
- every module of `identity` loads no database layer, no `tickets` and no phone geodata;
- the command line's help path loads no database or validation library (start-up).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import identity
import tickets

CONSOLE = ("textual", "deskapp")
NOT_IN_IDENTITY = (
    *CONSOLE, "tickets", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "dns",
    "phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone",
    "phonenumbers.geodata", "phonenumbers.carrierdata", "phonenumbers.tzdata",
)

# Imports each named module in turn in one fresh interpreter and reports, per module, the
# forbidden modules that first appeared with it (so a finding names its culprit). With
# "migrations" it then loads every Alembic revision script, as `deskapp db upgrade` does.
_PROBE = """
import importlib, json, sys
names, forbidden, migrations = json.loads(sys.argv[1])
def bad():
    return {m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden)}
found, seen = {}, bad()
for name in names:
    importlib.import_module(name)
    now = bad()
    if now - seen:
        found[name] = sorted(now - seen)
    seen = now
if migrations:
    from alembic.script import ScriptDirectory
    from tickets.store.schema import _config
    revisions = list(ScriptDirectory.from_config(_config()).walk_revisions())
    assert revisions, "no migration scripts found"
    if bad() - seen:
        found["tickets/store/migrations"] = sorted(bad() - seen)
print(json.dumps({"found": found, "imported": names}))
"""


def _modules_of(package) -> list[str]:
    names = [package.__name__]
    names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return names


def _probe(names: list[str], forbidden: tuple[str, ...], *, migrations: bool = False) -> dict:
    argument = json.dumps([names, list(forbidden), migrations])
    result = subprocess.run([sys.executable, "-c", _PROBE, argument], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_the_walk_finds_every_module_of_the_core():
    # A walk that silently found nothing would make the checks below vacuous.
    names = _modules_of(identity) + _modules_of(tickets)
    for expected in (
        "identity.credentials",
        "identity.phone",
        "tickets.store.database",
        "tickets.export.records",
        "tickets.audit.chain",
    ):
        assert expected in names
    assert len(names) >= 25


@pytest.mark.parametrize("package", [identity, tickets], ids=lambda p: p.__name__)
def test_no_module_of_the_core_loads_textual_or_the_console(package):
    report = _probe(_modules_of(package), CONSOLE, migrations=package is tickets)
    assert report["imported"] == _modules_of(package)
    assert report["found"] == {}, f"the core loads the console: {report['found']}"


def test_no_module_of_identity_loads_the_database_tickets_or_phone_geodata():
    report = _probe(_modules_of(identity), NOT_IN_IDENTITY)
    assert report["found"] == {}, f"identity loads more than it should: {report['found']}"


def test_the_probe_names_the_module_that_loads_a_forbidden_one():
    # The check can fail: deskapp.app imports textual, and the probe says so.
    report = _probe(["identity", "deskapp.app"], CONSOLE)
    assert "identity" not in report["found"]
    assert "textual" in report["found"]["deskapp.app"]


def test_cli_help_path_does_not_load_the_database_layer():
    report = _probe(["deskapp.cli"], ("sqlalchemy", "sqlmodel", "textual", "phonenumbers"))
    assert report["found"] == {}


def test_ci_checks_the_import_contracts_statically():
    # The contracts in pyproject.toml are what lint-imports checks on every import statement;
    # they once sat unused because import-linter refused the configuration.
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["include_external_packages"] is True  # the console contract names textual
    sources = {module for contract in config["contracts"] for module in contract.get("source_modules", [])}
    assert {"identity", "tickets"} <= sources
    assert any(contract["type"] == "layers" for contract in config["contracts"])
    assert "\n.venv/bin/lint-imports " in (root / ".ci" / "run").read_text()


_COMMAND_PROBE = """
import sys
from deskapp.cli import main
code = main(sys.argv[2:])
heavy = ("sqlalchemy", "sqlmodel", "alembic", "textual", "pydantic", "phonenumbers", "email_validator")
print(code, sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}), file=sys.stderr)
"""


@pytest.mark.engine("sqlite")  # the standard library's path is SQLite's
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_on_sqlite_loads_no_orm_alembic_or_textual(fmt, store_url, backend):
    result = subprocess.run([sys.executable, "-c", _COMMAND_PROBE, "-", "export", "--format", fmt, "--db", store_url],
                            capture_output=True, text=True, timeout=60)
    assert result.stderr.splitlines()[-1] == "0 []", result.stderr[-2000:]
    assert result.stdout.startswith("schema_version,") if fmt == "csv" else result.stdout == ""


@pytest.mark.parametrize("url", ["sqlite:///rel/x.db", "sqlite:////abs/x.db", "sqlite+pysqlite:////abs/y.db",
                                 "sqlite:///./x y.db", "sqlite:///", "sqlite:///:memory:", "sqlite:///x.db?mode=ro",
                                 "sqlite:///file:x.db", "postgresql://u@h/d", "sqlite:///a%20b.db"])
def test_the_standard_library_reads_sqlite_urls_as_sqlalchemy_does(url):
    from tickets.store.database import sqlite_path
    from tickets.store.lite import sqlite_file

    found = sqlite_file(url)
    assert found is None or found == sqlite_path(url)  # None: left to the Store
    assert (found is None) == (url.startswith("postgresql") or any(c in url for c in "?%")
                               or url.endswith(("///", ":memory:")) or "file:" in url)
