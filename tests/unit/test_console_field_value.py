"""deskapp.widgets.format.field_value reads a stored date-time field with tickets.dates, the
one date reader, choosing the fields by their type in the registry of kinds (tickets.kinds)."""

from deskapp.widgets.format import field_value


def test_a_datetime_field_reads_as_utc_to_the_minute():
    assert field_value("transfer_at", "2026-12-05T09:00:00+00:00") == "2026-12-05 09:00 UTC"
    assert field_value("transfer_at", "2026-12-05T10:00:00+01:00") == "2026-12-05 09:00 UTC"
    assert field_value("transfer_at", "not a time") == "not a time"


def test_other_fields_as_they_are():
    assert field_value("it_contact", "it@contoso.com") == "it@contoso.com"
    assert field_value("refund_requested", True) == "yes"
    assert field_value("note", "2026-12-05T09:00:00+00:00") == "2026-12-05T09:00:00+00:00"
