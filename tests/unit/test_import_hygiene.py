"""The core never imports the console; the console defers its heavy imports (style.md)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_loads_no_textual_and_no_deskapp():
    loaded = _modules_after(
        "import identity, tickets, tickets.policy, tickets.filing, tickets.lifecycle, "
        "tickets.queries, tickets.verification, tickets.audit, tickets.account"
    )
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}
    assert not {m for m in loaded if m == "deskapp" or m.startswith("deskapp.")}


def test_identity_does_not_import_the_store_or_phonenumbers_extras():
    loaded = _modules_after("import identity")
    assert not {m for m in loaded if m.split(".")[0] in {"sqlalchemy", "sqlmodel", "tickets", "textual"}}
    assert "phonenumbers.geocoder" not in loaded and "phonenumbers.carrier" not in loaded


def test_cli_help_path_does_not_load_the_database_layer():
    loaded = _modules_after("import deskapp.cli")
    assert not {m for m in loaded if m.split(".")[0] in {"sqlalchemy", "sqlmodel", "textual", "phonenumbers"}}
