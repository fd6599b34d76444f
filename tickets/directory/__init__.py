"""The directory import: organizations, their people and subscriptions from one JSON file.

The directory is what the desk verifies callers against (spec: "The directory", V-1). It is
loaded from a documented JSON file, validated completely before anything is written, and
applied in one transaction: a file with any error changes nothing, and the error lists
*every* problem found, each with the record it is in and the field.

The file format (``deskapp-directory``, version 1: every key of every record) and how an
import applies are described once, in docs/formats.md ("The directory file");
tests/unit/test_formats_doc.py imports its example and checks its key tables against the
records in tickets.directory.records.
"""

from tickets.directory.applying import ImportReport, import_directory, import_directory_file
from tickets.directory.checking import parse_directory
from tickets.directory.reading import MAX_BYTES, DirectoryError, DirectoryInvalid
from tickets.directory.records import (
    FORMAT,
    VERSION,
    AddressIn,
    CampaignIn,
    OrganizationIn,
    ParsedDirectory,
    PersonIn,
    ResourceIn,
    SubscriptionIn,
)

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "AddressIn",
    "CampaignIn",
    "DirectoryError",
    "DirectoryInvalid",
    "ImportReport",
    "OrganizationIn",
    "ParsedDirectory",
    "PersonIn",
    "ResourceIn",
    "SubscriptionIn",
    "import_directory",
    "import_directory_file",
    "parse_directory",
]
