"""The directory import: organizations, their people and subscriptions from one JSON file.

The directory is what the desk verifies callers against (spec: "The directory", V-1). It is
loaded from a documented JSON file, validated completely before anything is written, and
applied in one transaction: a file with any error changes nothing, and the error lists
*every* problem found, each with the record it is in and the field.

File format (``deskapp-directory``, version 1)
==============================================

One UTF-8 JSON object (a leading byte-order mark is allowed), at most 50 MB::

    {"format": "deskapp-directory", "version": 1,
     "organizations": [
      {"ref": "ORG-0001",
       "name": "Contoso Ltd.",
       "url": "contoso.crm.dynamics.com",
       "country": "GB",
       "address": {"street_lines": ["1 High Street", "Floor 3"], "city": "London",
                   "region": "", "postal_code": "SW1A 1AA"},
       "people": [
        {"user_id": "ann.smith@contoso.co.uk", "first_name": "Ann", "last_name": "Smith",
         "phone": "020 7946 0958", "primary_contact": true, "roles": ["admin", "billing_admin"]}],
       "subscriptions": [
        {"ref": "SUB-0001", "name": "Dynamics 365 Sales", "product": "d365", "channel": "online",
         "platform": "online_services", "state": "active",
         "purchased_at": "2025-01-10T00:00:00Z", "term_start": "2025-01-10T00:00:00Z",
         "term_end": "2026-01-10T00:00:00Z", "auto_renew": true, "licenses_assigned": 30,
         "custom_domains": ["contoso.co.uk"],
         "cancelled_at": null, "expedited_at": null, "data_deleted_at": null,
         "ims_campaigns": [
          {"ref": "IMS-0001", "name": "Spring search ads",
           "billing_admin_user_id": "ann.smith@contoso.co.uk", "state": "running"}],
         "renewal_resources": []}]}]}

Every object is closed: a key not listed here is an error. Refs are 1-40 characters (letters,
digits, ``. _ : / -``, starting with a letter or digit) and unique in the file per kind;
subscription, campaign and resource refs are global keys, not per organization.

Organization
    ``ref`` (required), ``name`` (required, as it shows on the subscription, at most 200
    characters), ``url`` (the Dynamics 365 organization URL, a host name with or without
    ``https://``; null or absent unless the organization has a ``d365`` subscription, then
    required), ``country`` (required, ISO 3166-1 alpha-2 such as ``GB``; it is also the
    default region for reading phone numbers), ``address`` (required: ``street_lines``, a list
    of 1-5 non-empty lines; ``city`` required; ``region`` and ``postal_code`` optional, default
    ``""``), ``people`` (a list with exactly one ``primary_contact``), ``subscriptions``
    (a list, may be empty).
Person
    ``user_id`` (required, the sign-in address; stored in its validated, lower-cased form and
    unique across the whole directory), ``first_name`` and ``last_name`` (required),
    ``phone`` (required, any written form; read with the organization's country as default
    region, must be a valid number and is stored as E.164), ``primary_contact`` (boolean,
    default false), ``roles`` (a list of ``admin``, ``billing_admin``,
    ``ims_billing_admin``; default empty: a person who is no admin).
Subscription
    ``ref``, ``name``, ``product`` (``o365``, ``intune``, ``d365``, ``cloud``), ``channel``
    (``online``, ``product_key``, ``open``, ``fpp``, ``trial``), ``platform``
    (``online_services`` or ``commerce_transaction``; required for ``d365``, null or absent
    otherwise), ``state`` (``active``, ``cancelled``, ``expired``, ``deleted``),
    ``purchased_at``, ``term_start``, ``term_end`` (all required; ``term_end`` after
    ``term_start``), ``auto_renew`` (boolean, default true), ``licenses_assigned`` (whole number
    >= 0, default 0), ``custom_domains`` (list of domain names, default empty),
    ``cancelled_at`` (required when the state is ``cancelled``), ``expedited_at``,
    ``data_deleted_at`` (optional), ``ims_campaigns`` (``d365`` only), ``renewal_resources``
    (``cloud`` only).
IMS campaign
    ``ref``, ``name``, ``billing_admin_user_id`` (the user ID of one of the organization's
    people: the campaign's billing admin, I-1), ``state`` (``running``, ``paused``,
    ``cancelled``).
Renewal resource
    ``ref``, ``description``, ``effective_at``, ``state`` (``inactive``, ``unsubscribed``),
    the U-1 conditions ``transaction_in_progress``, ``special_unsubscription_pending``,
    ``in_promotion``, ``invoice_issued`` (booleans, default false), and ``cash_coupons_used``,
    ``discount_coupons_used`` (whole numbers >= 0 in minor units, default 0; U-3).

Date-times are ISO 8601 strings with a zone (``2025-01-10T00:00:00Z`` or ``+01:00``); they are
stored in UTC. Strings are trimmed; control characters are refused, and so are invisible
characters that can disguise text (bidi overrides and isolates U+202A-U+202E, U+2066-U+2069,
zero-width U+200B-U+200D, U+2060, U+FEFF, separators U+2028, U+2029). JSON ``NaN`` and
``Infinity`` are refused, and so is a key given twice in one object. Only the first 50 MB of a
file are read, whatever its size says (a pipe or a device has none).

How an import applies
=====================
Organizations, subscriptions, campaigns and resources are inserted or updated in place by
``ref``, people by ``user_id``; database ids stay the same on a re-import. A user ID that
belongs to a person of *another* organization already in the database is an error, and so is
a subscription (campaign, resource) ref that belongs to another organization (subscription).
The people of an organization in the file that the file no longer lists are removed, unless a
verification attempt refers to them (then they are kept, and counted as kept). Organizations,
subscriptions, campaigns and resources that the file does not mention are left as they are.
One audit event ``directory.imported`` records the counts; the summary always says how many
people were removed and kept.
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
