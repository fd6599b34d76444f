"""README's two commands are what a newcomer runs, and CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[str]:
    return re.findall(r"```\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_starts_with_the_two_commands():
    first, second = _commands()[:2]
    assert first.endswith("deskapp --demo") and first.startswith("python3 -m venv .venv")
    assert second.startswith("python3 -m venv .venv") and "pytest" in second


def test_ci_runs_readme_test_command_exactly():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _commands()[1]
    assert f"TEST_COMMAND='{test_command}'" in ci


def test_where_things_live_names_paths_that_exist():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Where things live") :]
    section = section[: section.index("\n## ", 1)]
    paths = [p for p in re.findall(r"`([\w./*-]+)`", section) if "/" in p and "*" not in p]
    assert len(paths) >= 15, paths
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"README's 'Where things live' names paths that do not exist: {missing}"


def test_readme_stays_under_3000_words():
    # Long logs and tables (drills, tamper runs, settings, commands) live in docs/*.md, linked.
    words = len((ROOT / "README.md").read_text().split())
    assert words < 3000, f"README has {words} words: move a long part to docs/ and link it"


def test_the_parts_moved_out_of_readme_are_linked_from_it():
    readme = (ROOT / "README.md").read_text()
    for page in ("operations", "architecture", "console", "drills", "security", "performance"):
        assert f"](docs/{page}.md" in readme, page
        assert (ROOT / "docs" / f"{page}.md").exists(), page
    for anchor in ("configuration", "time-zone", "logs", "administration", "commands", "running-a-call-centre"):
        assert f"docs/operations.md#{anchor}" in readme
        assert f"\n## {anchor.replace('-', ' ').capitalize()}\n" in (ROOT / "docs" / "operations.md").read_text()
