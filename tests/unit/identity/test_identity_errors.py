"""Errors name the field and the rule, and never carry the typed value."""

import copy
import pickle

import pytest

from identity import (
    CredentialInFreeText,
    IdentityError,
    InvalidAddress,
    InvalidName,
    InvalidPhone,
    InvalidUrl,
    InvalidUserId,
)


@pytest.mark.parametrize(
    "cls", [InvalidUserId, InvalidPhone, InvalidName, InvalidAddress, InvalidUrl, CredentialInFreeText]
)
def test_every_error_is_an_identity_error_and_a_value_error(cls: type[IdentityError]) -> None:
    error = cls("phone", "V-3", "is too short")
    assert isinstance(error, IdentityError)
    assert isinstance(error, ValueError)
    assert (error.field, error.rule, error.message) == ("phone", "V-3", "is too short")
    assert str(error) == "phone: is too short (V-3)"


def test_errors_survive_pickle_and_copy() -> None:
    error = InvalidPhone("phone", "V-3", "is too short")
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is InvalidPhone
        assert str(clone) == str(error)
