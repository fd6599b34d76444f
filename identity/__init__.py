"""Caller verification for the desk: normalising, validating, matching, lockout (V-1 .. V-8).

Pure Python: decides from the values it is given, opens no database and never imports the
console. Importing it loads ``phonenumbers`` core and ``email_validator`` only (never the
phonenumbers geocoder or carrier data).
"""

from identity.credentials import check_free_text, find_credential
from identity.errors import (
    CredentialInFreeText,
    IdentityError,
    InvalidAddress,
    InvalidName,
    InvalidPhone,
    InvalidText,
    InvalidUrl,
    InvalidUserId,
)
from identity.keys import (
    ClaimKeys,
    OrganizationKeys,
    PersonKeys,
    address_key,
    claim_keys,
    organization_fact_keys,
    organization_keys,
    person_fact_keys,
    person_keys,
    phone_key_on_file,
    phone_needs_region,
    url_key,
    user_id_key,
)
from identity.lockout import LockoutPolicy, LockoutState, lockout_state
from identity.normalize import (
    DISGUISING_CHARACTERS,
    INVISIBLE_LETTERS,
    Address,
    check_storable_text,
    check_undisguised_text,
    is_invisible,
    normalize_address,
    normalize_org_name,
    normalize_person_name,
    normalize_text,
    normalize_url,
)
from identity.phone import ParsedPhone, format_as_you_type, parse_phone, phone_key
from identity.session import CALL_AUTHORISATION, VerifiedCaller
from identity.userid import normalize_user_id
from identity.verification import (
    CALLER_ROLES,
    SUBSCRIPTION_ADMIN_ROLES,
    CallerClaim,
    Factor,
    OrganizationOnFile,
    PersonOnFile,
    VerificationOutcome,
    check_claim_format,
    organization_keys_of,
    verify,
    verify_keys,
)

__all__ = [
    "organization_fact_keys",
    "person_fact_keys",
    "ClaimKeys",
    "OrganizationKeys",
    "PersonKeys",
    "address_key",
    "claim_keys",
    "organization_keys",
    "organization_keys_of",
    "person_keys",
    "phone_key",
    "phone_key_on_file",
    "phone_needs_region",
    "url_key",
    "user_id_key",
    "verify_keys",

    "DISGUISING_CHARACTERS",
    "INVISIBLE_LETTERS",
    "CALLER_ROLES",
    "CALL_AUTHORISATION",
    "SUBSCRIPTION_ADMIN_ROLES",
    "Address",
    "CallerClaim",
    "CredentialInFreeText",
    "Factor",
    "IdentityError",
    "InvalidAddress",
    "InvalidName",
    "InvalidPhone",
    "InvalidUrl",
    "InvalidText",
    "InvalidUserId",
    "LockoutPolicy",
    "LockoutState",
    "OrganizationOnFile",
    "ParsedPhone",
    "PersonOnFile",
    "VerificationOutcome",
    "VerifiedCaller",
    "check_claim_format",
    "check_free_text",
    "check_storable_text",
    "check_undisguised_text",
    "is_invisible",
    "find_credential",
    "format_as_you_type",
    "lockout_state",
    "normalize_address",
    "normalize_org_name",
    "normalize_person_name",
    "normalize_text",
    "normalize_url",
    "normalize_user_id",
    "parse_phone",
    "verify",
]
