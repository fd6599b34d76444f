"""docs/formats.md is the one description of the directory file and the export, and it is the
one the code is checked against: its example imports, its key tables are the importer's
records, its export table is the JSON Schema and the exporter's field order. README and the
module docstrings point there instead of holding copies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tickets import directory
from tickets.directory import (
    AddressIn,
    CampaignIn,
    OrganizationIn,
    PersonIn,
    ResourceIn,
    SubscriptionIn,
    parse_directory,
)
from tickets.enums import Product, TicketKind, TicketStatus
from tickets.export import records as export
from tickets.export.records import FIELDS, load_schema

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "docs" / "formats.md"


def _section(heading: str) -> str:
    """The text under `heading` (any level) up to the next heading of the same or a higher level."""
    text = FORMATS.read_text()
    level = heading.split(" ")[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text[start:], flags=re.MULTILINE)]
    return text[start : start + ends[0]] if ends else text[start:]


def _table(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table under `heading`, cells stripped, header excluded."""
    lines = [line for line in _section(heading).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _code(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# --- the directory file ----------------------------------------------------------------------


def test_the_documented_example_is_a_valid_directory():
    example = re.search(r"```json\n(.+?)\n```", _section("## The directory file"), flags=re.DOTALL)
    assert example, "no JSON example under 'The directory file'"
    parsed = parse_directory(example.group(1))
    [org] = parsed.organizations
    assert org.people[0].phone == "+442079460958"
    assert org.subscriptions[0].ims_campaigns[0].billing_admin_user_id == "ann.smith@contoso.co.uk"


RECORDS = {
    "### Organization": OrganizationIn,
    "### Address": AddressIn,
    "### Person": PersonIn,
    "### Subscription": SubscriptionIn,
    "### IMS campaign": CampaignIn,
    "### Renewal resource": ResourceIn,
}


@pytest.mark.parametrize("heading", RECORDS, ids=lambda h: h.removeprefix("### "))
def test_each_key_table_is_the_importers_record(heading):
    # Every object is closed (extra="forbid"): the table must list exactly the keys it takes,
    # in the model's order, and say which are required as the model does.
    model = RECORDS[heading]
    rows = _table(heading)
    documented = [_code(row[0])[0] for row in rows]
    assert documented == list(model.model_fields), f"{heading}: keys differ from {model.__name__}"
    for row in rows:
        key, required = _code(row[0])[0], row[1]
        assert required in ("yes", "no"), row
        assert (required == "yes") == model.model_fields[key].is_required(), f"{heading} `{key}`: required?"


def test_the_document_table_names_the_format_and_version():
    rows = {_code(row[0])[0]: row for row in _table("### Document")}
    assert list(rows) == ["format", "version", "organizations"]
    assert f'`"{directory.FORMAT}"`' in rows["format"][2] and f"`{directory.VERSION}`" in rows["version"][2]


# --- the export ------------------------------------------------------------------------------


def _schema_type(prop: dict) -> tuple[str, bool, list[str] | None]:
    """(base type as the table words it, nullable, enumerated values) of a schema property."""
    options = prop.get("anyOf") or [prop]
    nullable = any(o.get("type") == "null" for o in options) or "null" in (prop.get("type") or [])
    main = next(o for o in options if o.get("type") != "null")
    if "const" in main or "enum" in main:
        return "string", nullable, main.get("enum") or [main["const"]]
    ref = main.get("$ref", "")
    if ref.endswith("/datetime"):
        return "date-time", nullable, None
    if ref.endswith("/date"):
        return "date", nullable, None
    kind = main["type"]
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    return kind, nullable, None


def test_the_export_table_is_the_schema_and_the_field_order():
    schema = load_schema()
    rows = _table("## The export")
    assert [int(row[0]) for row in rows] == list(range(1, len(FIELDS) + 1))
    assert [_code(row[1])[0] for row in rows] == list(FIELDS) == list(schema["properties"])
    for row in rows:
        field, cell = _code(row[1])[0], row[2]
        base, nullable, values = _schema_type(schema["properties"][field])
        assert cell.split(",")[0].split(":")[0].split(" ")[0] == base, f"`{field}`: {cell!r} is not {base}"
        assert cell.endswith("or null") == nullable, f"`{field}`: {cell!r} nullable should be {nullable}"
        if values is not None:
            shown = [v.strip('"') for v in _code(cell)]
            assert shown == values, f"`{field}`: the table lists {shown}, the schema {values}"


def test_the_export_table_lists_every_kind_status_and_product_of_the_code():
    rows = {_code(row[1])[0]: _code(row[2]) for row in _table("## The export")}
    assert rows["kind"] == [k.value for k in TicketKind]
    assert rows["status"] == [s.value for s in TicketStatus]
    assert rows["product"] == [p.value for p in Product]


def test_the_export_section_names_the_schema_it_ships():
    schema = load_schema()
    section = _section("## The export")
    assert f"`$id` `{schema['$id']}`" in section
    assert f"Schema version {export.SCHEMA_VERSION}." in section


# --- one copy --------------------------------------------------------------------------------


def test_readme_and_the_modules_point_to_the_formats_page_instead_of_copying_it():
    readme = (ROOT / "README.md").read_text()
    assert "docs/formats.md#the-directory-file" in readme and "docs/formats.md#the-export" in readme
    for copy in (readme, directory.__doc__, export.__doc__, json.dumps(load_schema())):
        assert '"billing_admin_user_id": "ann.smith@contoso.co.uk"' not in copy  # the example
        assert "| 29 | `reason` |" not in copy  # the export table
        assert "`special_unsubscription_pending` | no |" not in copy  # a key table
    assert "docs/formats.md" in directory.__doc__ and "docs/formats.md" in export.__doc__
