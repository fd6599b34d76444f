"""What agents and supervisors read is in the desk's words, rule IDs kept."""

from __future__ import annotations

import pytest

from deskapp.widgets.format import error_text, field_label, field_value, roles_text
from identity import parse_phone
from identity.errors import InvalidPhone
from tickets.errors import InvalidInput


def test_core_errors_name_fields_by_their_labels_and_keep_the_rule():
    error = InvalidInput({"org_name": "organization name is required (V-1)", "user_id": "not an address (V-3)",
                          "it_contact": "an e-mail address (M-3)"})
    text = error_text(error)
    assert text == ("Organization name: organization name is required (V-1); User ID: not an address (V-3); "
                    "IT contact e-mail: an e-mail address (M-3)")
    assert "org_name" not in text and "user_id" not in text and "it_contact" not in text
    assert error_text(InvalidInput("V-6: remove the password")) == "V-6: remove the password"


def test_roles_and_values_as_people_say_them():
    assert roles_text(["admin", "billing_admin", "ims_billing_admin"]) == (
        "admin, billing admin, Internet Marketing billing admin")
    assert roles_text([]) == "no admin role"
    assert (field_label("refund_requested"), field_value("refund_requested", True)) == ("Refund requested", "yes")
    assert field_label("some_new_field") == "Some new field"


@pytest.mark.parametrize("typed", ["abc", "phone", "--"])
def test_a_phone_that_is_not_a_number_is_not_called_a_phone_number_twice(typed):
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(typed, "GB")
    message = caught.value.message
    assert "phone number is not a phone number" not in message and message.count("phone number") <= 1
    assert caught.value.rule == "V-3"
