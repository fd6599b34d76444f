"""The lock files stay in step with pyproject.toml: every dependency pinned, within its range,
with hashes, and README's test command (which CI runs) installs from the lock; CI runs the lint
and type checks pyproject.toml configures."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=\S)", (ROOT / "requirements" / lock).read_text()):
        found = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if found:
            pins[canonicalize_name(found[1])] = (found[2], block.count("--hash=sha256:"))
    return pins


@pytest.mark.parametrize(("lock", "extras"), [("runtime.lock", ()), ("dev.lock", ("dev",))])
def test_every_dependency_is_pinned_in_range_with_hashes(lock, extras):
    pins = _pins(lock)
    wanted = [*PROJECT["dependencies"], *(d for extra in extras for d in PROJECT["optional-dependencies"][extra])]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements/{lock}: regenerate it (requirements/README.md)"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements/{lock} pins {requirement.name}=={version}, outside {requirement.specifier}: regenerate it"
        )
    assert all(hashes for _, hashes in pins.values()), f"a pin in requirements/{lock} has no hash"


def test_the_runtime_lock_holds_no_development_tool():
    assert not {"pytest", "ruff", "mypy"} & set(_pins("runtime.lock"))


def test_readme_test_command_installs_the_lock_with_hashes():
    readme = (ROOT / "README.md").read_text()
    test_command = re.findall(r"```\n(.+?)\n```", readme)[1]
    assert "--require-hashes -r requirements/dev.lock" in test_command
    assert "pip install -q --no-deps -e ." in test_command


def test_ci_runs_ruff_and_mypy_after_the_tests():
    """The lint and type checks configured in pyproject.toml are run by CI, after the tests."""
    ci = (ROOT / ".ci" / "run").read_text()
    tests = ci.index('bash -c "$TEST_COMMAND')
    assert ci.index("\n.venv/bin/ruff check deskapp identity tickets tests tools ") > tests
    assert ci.index("\n.venv/bin/mypy ") > tests
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"E", "F", "I", "B", "UP"} <= set(pyproject["tool"]["ruff"]["lint"]["select"])
    assert pyproject["tool"]["mypy"]["check_untyped_defs"] is True
