"""V-6: free text that looks like a password, PIN or one-time code is refused."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import CredentialInFreeText, check_free_text, find_credential

CREDENTIALS = {
    "password is Hunter2": "looks like a password",
    "Password: correcthorse": "looks like a password",
    "pwd: s3cr3t": "looks like a password",
    "pw=letmein": "looks like a password",
    "PASSWORD = Summer2024!": "looks like a password",
    "her pwd was P@ssw0rd": "looks like a password",
    "her password was summer": "looks like a password",
    'password is "tiger"': "looks like a password",
    "Pass word: qwerty": "looks like a password",
    "caller gave passcode 8812": "looks like a password",
    "secret: xK9#mQ2!": "looks like a password",
    "Tr0ub4dor&3": "looks like a password",
    "caller read out hunter2!Xy, stopped them": "looks like a password",
    "PIN 1234": "looks like a PIN",
    "pin: 4321": "looks like a PIN",
    "PIN number 9876": "looks like a PIN",
    "ＰＩＮ　１２３４": "looks like a PIN",  # full-width
    "customer said 5521 is her pin": "looks like a PIN",
    "code 123456": "looks like a one-time code",
    "OTP 654321": "looks like a one-time code",
    "otp:654321": "looks like a one-time code",
    "one-time code: 123 456": "looks like a one-time code",
    "One Time Code 123456": "looks like a one-time code",
    "verification code is 908172": "looks like a one-time code",
    "123456 is the code": "looks like a one-time code",
    "The 2FA code 246810 was read out": "looks like a one-time code",
    "security code 0420": "looks like a one-time code",
    "typed P@ssw0rd by mistake": "looks like a password",
    "aB3dE5fG": "looks like a password",
}

ORDINARY = [
    "Customer wants to cancel on 2026-12-01",
    "ticket TK-000123",
    "Call back on +44 20 7946 0958",
    "Call back on +1 (425) 555-0100 ext. 1234",
    "jane.doe@contoso.com",
    "SW1A 1AA",
    "order 12345678",
    "contoso.crm.dynamics.com",
    "https://contoso.crm.dynamics.com/main.aspx?appid=1234&pagetype=entitylist",
    "Caller has their password ready; told them never to read it out",
    "Customer forgot their password; advised self-service reset",
    "password is not needed to cancel",
    "Customer's PIN was not requested",
    "zip code 90210",
    "postal code 12345",
    "area code 020 7946",
    "country code +44",
    "error code 0x80070005",
    "error code 1234 on login",
    "reference code 5566",
    "Subscription 3f2504e0-4f89-11d3-9a0c-0305e82c3301 has 24 licenses",
    "Office365 E3 trial, 30 days since purchase",
    "Dynamics365 migration scheduled 2026-11-30 14:00 UTC",
    "Caller: Jane O'Brien-Smith, IMS billing admin",
    "Invoice INV-2026-0001 issued",
    "KB4012345 applied",
    "contoso365.sharepoint.com",
    "Subscriptions > Manage > Turn auto-renew off",
    "25 licenses assigned, purchased 2026-10-02",
    "Runs Win10-x64 and v2.3.1-beta of the x64-based client",
    "Moving from Office365-E3-trial to Windows11Pro, loves Dynamics365!",
    "iPhone15-Pro user, TLSv1.2 only, SKU:O365_E3",
    "Call scheduled 2026-12-01T14:00Z",
    "",
]


@pytest.mark.parametrize(("text", "reason"), CREDENTIALS.items())
def test_v6_credentials_are_found(text: str, reason: str) -> None:
    assert find_credential(text) == reason


@pytest.mark.parametrize("text", ORDINARY)
def test_v6_ordinary_notes_are_clean(text: str) -> None:
    assert find_credential(text) is None
    check_free_text(text, "note")


def test_v6_lists_are_large_enough() -> None:
    assert len(CREDENTIALS) >= 15 and len(ORDINARY) >= 15


@pytest.mark.parametrize("text", CREDENTIALS)
def test_v6_check_free_text_refuses_without_echoing_the_secret(text: str) -> None:
    with pytest.raises(CredentialInFreeText) as info:
        check_free_text(text, "note")
    error = info.value
    assert (error.field, error.rule) == ("note", "V-6")
    assert "never take or type a caller's password" in error.message
    for secret in ("Hunter2", "correcthorse", "s3cr3t", "letmein", "1234", "654321", "Tr0ub4dor", "tiger"):
        if secret in text:
            assert secret not in str(error)


PIECES = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(list(" :=-#0123456789aZ!") + ["pin ", "code ", "password ", "otp ", " is ", "pwd", "１２３４"]),
)
TEXT = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_v6_find_credential_never_raises(text: str) -> None:
    assert find_credential(text) in (None, "looks like a password", "looks like a one-time code", "looks like a PIN")


LONG_INPUTS = {
    "code " + " " * 50_000 + "x": None,
    "code " + " " * 50_000 + "123456": "looks like a one-time code",  # the run collapses to one space
    "1" * 50_000 + " is": None,  # far longer than a code's 4-8 digits
    "password " + "-" * 50_000: "looks like a password",
    "a1!" * 20_000: None,
    "caller said " + "x" * 50_000 + " PIN 4321": "looks like a PIN",  # found after a long run
}


@pytest.mark.parametrize(("text", "expected"), LONG_INPUTS.items(), ids=range(len(LONG_INPUTS)))
def test_v6_long_input_is_handled_quickly(text: str, expected: str | None) -> None:
    # No catastrophic backtracking on long runs of separators or digits: each answer is right
    # and comes at once (a backtracking pattern takes minutes on 50,000 characters; these take
    # milliseconds, so one second leaves room for a busy machine).
    started = time.perf_counter()
    assert find_credential(text) == expected
    assert time.perf_counter() - started < 1.0


# find_credential's digit-free shortcut: an ASCII text without a digit has no code (heuristic 2)
# and no generated-looking token (heuristic 3); the general path finds none either.
ASCII_WITHOUT_DIGITS = st.one_of(
    st.text(st.characters(max_codepoint=127).filter(lambda ch: not ch.isdigit()), max_size=60),
    st.lists(st.sampled_from(["PIN", "code", "OTP", "is", "Tr!ub&dor", "hunter!Xy", "pass", "a-b_c.d", "x", "#",
                              "one-time", "Password:", "secret"]), max_size=8).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(ASCII_WITHOUT_DIGITS)
def test_v6_a_digit_free_ascii_text_has_no_code_nor_generated_token(text: str) -> None:
    from identity.credentials import _code_or_generated

    assert _code_or_generated(" ".join(text.split())) is None
