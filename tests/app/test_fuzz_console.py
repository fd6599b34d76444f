"""Console fuzzing, short: ~300 random keys and pastes to each screen of the console on the demo
store; the app never crashes, never shows a traceback or an unexpected error, and shows no
stored personal detail before the caller passed verification (V-4).

The full drill (1000 keys a screen, and a type-ahead pass) is `.venv/bin/python tests/drills/run.py`.
"""

from __future__ import annotations

import pytest

from drills import console
from drills.common import full_scale


@pytest.mark.parametrize("scenario", console.SCENARIOS)
async def test_random_keys_and_pastes_never_crash_or_leak(seeded, clock, scenario):
    result = await console.fuzz(seeded, clock, scenario, keys=1000 if full_scale() else 300, seed=11, sessions_max=1)
    assert result.failures == []
    assert result.target, "the drivers did not reach the screen"
    # Random keys leave the target screen now and then (escape, palette); enough must land on it
    # for the run to mean something, but the exact count depends on the seed and timing.
    assert result.on_target >= 20, f"only {result.on_target} keys reached {result.target}"
    if scenario not in ("sign-in", "account", "ticket form", "ticket list", "ticket view"):
        assert result.leak_checks > 0


def test_the_fuzzer_knows_the_demo_directorys_personal_details():
    values = console.forbidden_values()
    kinds = set(values.values())
    assert {"e-mail address", "phone number", "contact name"} <= kinds
    assert any(k.startswith("street line") for k in kinds)
    assert "+442079460958" in values and "020 7946 0958" in values and "Ann Smith" in values


async def _type_ahead(seeded, clock, drive, keys):
    """Drive the console to a screen, then queue `keys` at once (as a terminal delivers keys
    typed faster than the console handles them); returns the exception the app died of."""
    from deskapp.factory import make_app

    app = make_app(seeded, clock)
    try:
        async with app.run_test(size=console.SIZE) as pilot:
            await console._reach(pilot, drive, seeded)
            console._post_keys(app, keys)
            await pilot.pause()
            await console._settle(pilot)
    except Exception as error:  # noqa: BLE001 - run_test re-raises what the app died of
        return error
    return app._exception


async def test_verify_typed_ahead_while_the_form_mounts_does_not_crash(seeded, clock):
    # Back from the form to the organizations found (focus on the list), then enter + ctrl+s.
    error = await _type_ahead(seeded, clock, "verification", ["escape", "enter", "ctrl+s"])
    assert error is None, f"the console died: {type(error).__name__}: {error}"


async def test_page_down_typed_ahead_into_the_command_palette_does_not_crash(seeded, clock):
    error = await _type_ahead(seeded, clock, "sign-in", ["ctrl+p", "pagedown"])
    assert error is None, f"the console died: {type(error).__name__}: {error}"
