"""Refusing credentials in free text (V-6).

V-6: passwords are never asked for, typed or stored. The D365 article asks callers to have their
password ready, so an agent may be read one; the desk refuses free text (notes, reasons) that
looks like a credential. Three heuristics, on the NFKC form of the text so full-width tricks do
not slip through:

1. a password word with a value: "password is X", "pwd: X", "pw=X", "passcode X",
   also in German, French, Spanish and Chinese ("Kennwort: X", "mot de passe: X", "密码：X");
2. a 4-8 digit number next to a code word: "PIN 1234", "code 123 456", "123456 is the OTP" ...
   ("postal code", "error code", "order 12345678" and the like are not codes);
3. a token that looks generated: 8+ characters mixing lower case, digits and upper case or
   symbols, with a part that alternates letters, digits and symbols ("Tr0ub4dor&3",
   "hunter2!Xy"), not simple parts joined by separators ("Win10-x64", "v2.3.1-beta");
   e-mail addresses, host names, URLs and GUIDs excepted.

The reason returned never echoes the secret.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from identity.errors import CredentialInFreeText
from identity.normalize import require_str

__all__ = [
    "LOOKS_LIKE_ONE_TIME_CODE",
    "LOOKS_LIKE_PASSWORD",
    "LOOKS_LIKE_PIN",
    "check_free_text",
    "find_credential",
]

LOOKS_LIKE_PASSWORD = "looks like a password"
LOOKS_LIKE_ONE_TIME_CODE = "looks like a one-time code"
LOOKS_LIKE_PIN = "looks like a PIN"

_FLAGS = re.IGNORECASE

# 1. Password words, then ":", "=", "is", "was" or just a space, then the value. After a bare
# space the value must not read as a plain word ("password reset requested" is a note).
_PASSWORD_WORD = (
    r"pass[\s_-]?words?|passwd|passphrase|pass[\s_-]phrase|passcode|pass[\s_-]code"
    r"|secret|security[\s_-]answer|memorable[\s_-]word"
    # The same word in the languages callers of the desk use (German, French, Spanish).
    r"|kennw[oö]rt(?:er)?|passw[oö]rt(?:er)?|mot[\s_-]de[\s_-]passe|contrase[nñ]as?"
)
# Chinese has no spaces between words, so these match anywhere: 密码 and 口令 ("password").
_PASSWORD_WORD_CJK = r"密码|口令"
_PASSWORD = re.compile(
    rf"(?:\b(?P<kw>{_PASSWORD_WORD}|pwd|pw)\b|(?P<cjk>{_PASSWORD_WORD_CJK}))"
    r"(?P<sep> ?(?::|=|-(?= )) ?| (?:is|was|will be|=) | ?(?:是|为) ?| )"
    r"(?P<value>\S+)",
    _FLAGS,
)
# Words that may follow "password is/was" in an ordinary note.
_BENIGN_AFTER_PASSWORD = frozenset(
    """
    a an the not no never now still also already too very being been be going
    reset expired wrong incorrect invalid locked lost forgotten forgot unknown correct changed
    unchanged required needed missing ready set blank empty same different weak strong ok okay
    fine known shared stored saved managed handled sent due case sensitive in on at for to of
    with by his her their my your our its this that manager policy protected field prompt
    request requests requested hint hints change changes update updated reuse rules rule
    expiry expiration requirements and or but if when so
    """.split()
)

# 2. Code words; "code" alone is ambiguous, so the word before it is checked.
_CODE_WORD = (
    r"one[\s-]*time[\s-]*(?:pass[\s-]?)?(?:code|word|pin)s?|otp|2fa(?:[\s-]*code)?|mfa(?:[\s-]*code)?"
    r"|verification[\s-]*code|security[\s-]*code|auth(?:entication|orization|orisation)?[\s-]*code"
    r"|sms[\s-]*code|access[\s-]*code|pin(?:[\s-]*(?:code|number|no))?|passcode|code"
)
# 4 to 8 digits, maybe grouped ("123 456"), not part of a longer number such as a phone number.
_DIGITS = r"(?<!\w)(?<!\d[ -])(?P<digits>\d(?:[ -]?\d){3,7})(?!\w)(?![ -]\d)"
_CODE_THEN_DIGITS = re.compile(
    rf"\b(?P<kw>{_CODE_WORD})\b ?(?:(?:is|was|no\.?|number|of) |[:=#-] ?)?{_DIGITS}",
    _FLAGS,
)
_DIGITS_THEN_CODE = re.compile(
    rf"{_DIGITS} ?(?:[(:=-] ?|(?:is|was) (?:(?:the|my|his|her|their|your|our|a) )?)?\b(?P<kw>{_CODE_WORD})\b",
    _FLAGS,
)
# "postal code 12345" is an address, "error code 1234" a symptom, "order 12345678" an order.
_BENIGN_BEFORE_CODE = frozenset(
    """
    postal post zip postcode area country dialing dialling calling error status reason exit
    response http product promo promotion discount coupon voucher tax sort bank branch iso region
    source confirmation reference order invoice tracking campaign activity item sku billing
    """.split()
)

# 3. Generated-looking tokens.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST_OR_URL = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://\S*|www\.\S+|(?:[a-z0-9-]+\.)+[a-z]{2,63}(?::\d+)?(?:[/?#]\S*)?)$",
    _FLAGS,
)
_GUID = re.compile(r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$", _FLAGS)
_TRIM_START = "([{\"'“‘<"
_TRIM_END = ".,;:!?)]}\"'”’>"
_SEPARATORS = re.compile(r"[-_./:+]")


def _class_of(ch: str) -> str:
    if ch.isalpha():
        return "a"
    if ch.isdigit():
        return "d"
    return "s"


def _runs(text: str) -> int:
    """How many runs of letters, digits and other characters ``text`` is made of."""
    return 1 + sum(1 for a, b in pairwise(text) if _class_of(a) != _class_of(b)) if text else 0


def _alternates(part: str) -> bool:
    """A part with letters and digits in at least four runs ("Tr0ub4dor", not "Windows11Pro")."""
    return _runs(part) >= 4 and any(ch.isalpha() for ch in part) and any(ch.isdigit() for ch in part)


def _looks_generated(token: str) -> bool:
    token = token.lstrip(_TRIM_START).rstrip(_TRIM_END)
    if len(token) < 8 or len(token) > 128:
        return False
    has_lower = any(ch.islower() for ch in token)
    has_upper = any(ch.isupper() for ch in token)
    has_digit = any(ch.isdigit() for ch in token)
    has_symbol = any(not ch.isalnum() for ch in token)
    if not (has_lower and has_digit and (has_upper or has_symbol)):
        return False
    # Product names and versions ("Win10-x64", "Office365-E3", "v2.3.1-beta") are simple parts
    # joined by separators; a generated secret has a part that itself alternates letters,
    # digits and symbols ("Tr0ub4dor&3", "hunter2!Xy").
    if not any(_alternates(part) for part in _SEPARATORS.split(token)):
        return False
    return not (_EMAIL.match(token) or _HOST_OR_URL.match(token) or _GUID.match(token))


def _word_before(text: str, index: int) -> str:
    words = re.findall(r"\w+", text[max(0, index - 40) : index])
    return words[-1].casefold() if words else ""


def _password_value_is_secret(sep: str, value: str) -> bool:
    value = value.lstrip(_TRIM_START).rstrip(_TRIM_END)
    bare = value.casefold()
    if not bare:
        return False
    if sep.strip() in (":", "=", "-"):
        # "Password: X" is a value being written down, whatever X is.
        return True
    if bare in _BENIGN_AFTER_PASSWORD:
        return False
    if not sep.strip():
        # "password hunter2": only a value that does not read as a word.
        return any(not ch.isalpha() for ch in bare) or value != value.lower() and value != value.capitalize()
    return True


def _code_reason(keyword: str) -> str:
    keyword = keyword.casefold()
    if keyword.startswith("pin"):
        return LOOKS_LIKE_PIN
    if keyword.startswith(("passcode", "pass")):
        return LOOKS_LIKE_PASSWORD
    return LOOKS_LIKE_ONE_TIME_CODE


def find_credential(text: str) -> str | None:
    """V-6: ``None`` if ``text`` looks clean, else a short reason that does not echo the secret."""
    require_str(text)
    # One space between words, so the patterns need no unbounded white space (no backtracking).
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    for match in _PASSWORD.finditer(text):
        if _password_value_is_secret(match["sep"], match["value"]):
            return LOOKS_LIKE_PASSWORD
    if text.isascii() and _ASCII_DIGIT.search(text) is None:
        # Heuristics 2 and 3 need a digit (2: four or more; 3: a token with one): an ASCII
        # text without any has none ("Filed as asked.", most notes and reasons).
        return None
    return _code_or_generated(text)


_ASCII_DIGIT = re.compile("[0-9]")


def _code_or_generated(text: str) -> str | None:
    """Heuristics 2 and 3 of `find_credential` on its one-spaced NFKC text."""
    for pattern in (_CODE_THEN_DIGITS, _DIGITS_THEN_CODE):
        for match in pattern.finditer(text):
            keyword = match["kw"]
            if keyword.casefold() == "code" and pattern is _CODE_THEN_DIGITS:
                if _word_before(text, match.start("kw")) in _BENIGN_BEFORE_CODE:
                    continue
            return _code_reason(keyword)
    if any(_looks_generated(token) for token in text.split()):
        return LOOKS_LIKE_PASSWORD
    return None


def check_free_text(text: str, field: str) -> None:
    """Raise ``CredentialInFreeText`` (V-6) if ``text`` looks like it holds a credential."""
    reason = find_credential(text)
    if reason is not None:
        raise CredentialInFreeText(
            field,
            "V-6",
            f"{reason}: never take or type a caller's password, PIN or one-time code; "
            "remove it and describe the request without it",
        )
