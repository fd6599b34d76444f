"""identity is the bottom layer: no console, no database, no phonenumbers geocoder/carrier."""

import subprocess
import sys

FORBIDDEN = ("textual", "deskapp", "tickets", "sqlalchemy", "sqlmodel", "alembic", "psycopg",
             "phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone", "dns")


def test_importing_identity_loads_no_ui_database_or_geodata() -> None:
    code = (
        "import sys, identity\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m in {FORBIDDEN!r}"
        " or m.startswith(('phonenumbers.geodata', 'phonenumbers.carrierdata', 'phonenumbers.tzdata')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
