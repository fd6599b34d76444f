"""The desk's templates in its config file (deskapp.templates): read and checked at start; a bad
one stops the console with one sentence and exit 2, as every other bad setting does."""

from __future__ import annotations

import pytest

from deskapp.cli import main
from deskapp.config import ConfigError, config_file, load_settings

GOOD = """
[templates.wrap_up]
filed = "Ticket filed; the caller was told the dates and the consequences."
[templates.reason]
moving = "The organization moves to another provider."
budget = "Budget cut for next year."
"""


def _write(text: str) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_templates_are_read_by_group_in_the_files_order():
    _write(GOOD)
    settings = load_settings(environ={})
    assert settings["templates"] == {
        "wrap_up": {"filed": "Ticket filed; the caller was told the dates and the consequences."},
        "reason": {"moving": "The organization moves to another provider.", "budget": "Budget cut for next year."},
    }
    assert "config file" in settings.items["templates"].source
    config_file().unlink()
    assert load_settings(environ={})["templates"] == {}  # none without a file


@pytest.mark.parametrize(("text", "said"), [
    ('[templates.closing]\na = "x"\n', "unknown group 'closing'"),
    ('[templates]\nwrap_up = "x"\n', "templates.wrap_up: a table"),
    ('[templates.reason]\na = 5\n', "templates.reason.a: must be some text"),
    ('[templates.reason]\na = "   "\n', "templates.reason.a: must be some text"),
    ('[templates.reason]\na = "line one\\nline two"\n', "one line of plain text"),
    (f'[templates.reason]\na = "{"x" * 501}"\n', "at most 500 characters, not 501"),
    ('[templates.reason]\na = "the admin password is Winter2026!"\n', "(V-6)"),
    ('[templates.reason]\na = "caller gave PIN 4821"\n', "(V-6)"),
    ('[templates.reason]\n"9 lives" = "x"\n', "a name is a letter"),
    ("[templates.reason]\n" + "".join(f'a{i} = "x"\n' for i in range(10)), "at most 9 templates"),
])
def test_a_bad_template_is_one_sentence_naming_it(text, said):
    _write(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={})
    message = str(caught.value)
    assert said in message and "\n" not in message and "config file" in message
    assert "Winter2026" not in message and "4821" not in message  # the secret is not echoed


def test_a_bad_template_stops_the_command_with_exit_2(capsys):
    # The console reads its settings the same way (settings_from_args) before taking the screen.
    _write('[templates.reason]\na = "the admin password is Winter2026!"\n')
    for argv in (["config"], ["agents", "list"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("deskapp: error: templates.reason.a: ") and err.count("\n") == 1
        assert "Winter2026" not in err


def test_deskapp_config_lists_the_templates(capsys):
    _write(GOOD)
    assert main(["config"]) == 0
    assert "wrap_up: filed, reason: moving, budget" in capsys.readouterr().out
