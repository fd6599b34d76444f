"""The one app factory (deskapp.factory.make_app): what the command line, the screenshots and
the tests build the console with."""

from __future__ import annotations

import pytest

from deskapp.factory import make_app


def test_a_console_on_a_store_takes_its_clock(seeded, clock):
    app = make_app(seeded, clock, start="review")
    assert app.store is seeded and app.clock is clock and app.start == "review"
    assert make_app(seeded).clock is seeded.clock


def test_a_console_opening_its_own_database_has_no_store_yet(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    app = make_app(store_url=url)
    assert app.store is None and app.store_url == url and not app.demo


def test_a_store_and_a_url_at_once_are_refused(seeded):
    with pytest.raises(ValueError, match="not both"):
        make_app(seeded, store_url="sqlite:///elsewhere.db")
    with pytest.raises(ValueError, match="not both"):
        make_app(seeded, demo=True)
