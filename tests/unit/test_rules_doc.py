"""docs/rules.md explains, for agents and supervisors, every rule ID the product cites: each ID
found in deskapp/, identity/ and tickets/ has its own entry there, and every ID of the catalog
(tickets.policy.catalog) too. README links there, not outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from tickets.policy.catalog import RULE_CATALOG

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
RULE_ID = re.compile(r"\b[VCXMRIUTAE]-\d+\b")
# An entry: a paragraph that starts with the ID in bold, "**V-1 [all] ...**" or "**T-1 ...**".
ENTRY = re.compile(r"^\*\*([VCXMRIUTAE]-\d+) ", flags=re.MULTILINE)


def _cited_in_code() -> dict[str, str]:
    """Every rule ID in the product's source, with one file that cites it."""
    cited: dict[str, str] = {}
    for package in ("deskapp", "identity", "tickets"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in {".py", ".tcss", ".json"}:
                for rule in RULE_ID.findall(path.read_text(encoding="utf-8")):
                    cited.setdefault(rule, str(path.relative_to(ROOT)))
    return cited


def _documented() -> list[str]:
    return ENTRY.findall(RULES.read_text())


def test_every_rule_the_code_cites_is_explained():
    cited = _cited_in_code()
    assert len(cited) >= 30, "the grep found too few rule IDs to mean anything"
    missing = {rule: where for rule, where in cited.items() if rule not in _documented()}
    assert not missing, f"rule IDs cited in the code but not explained in docs/rules.md: {missing}"


def test_every_rule_of_the_catalog_is_explained_once_in_order():
    documented = _documented()
    assert len(documented) == len(set(documented)), "a rule is explained twice"
    assert set(RULE_CATALOG) <= set(documented)
    assert documented == list(RULE_CATALOG), "docs/rules.md lists the rules in another order than the catalog"


def test_every_entry_says_something():
    text = RULES.read_text()
    for rule in _documented():
        entry = text[text.index(f"**{rule} ") :].split("\n\n")[0]
        assert len(entry.split()) >= 12, f"{rule}: the entry is too short to explain the rule"


def test_readme_links_the_rules_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "docs/rules.md" in readme
    assert "../shared" not in readme and "domain.md" not in readme
    targets = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert "docs/rules.md" in targets
    for target in targets:
        assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"
