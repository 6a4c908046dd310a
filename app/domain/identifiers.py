"""The child's identifiers (issue 24), each optional while recording: the case system's person
ID, the NHS number (modulus 11 check digit) and the unique pupil number (check letter)."""

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from app.domain.fields import _blank_to_none

# Check letters of a unique pupil number (DfE "Unique pupil numbers (UPN)" guidance): I, O and S
# are left out.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def identifier_key(value: str | None) -> str:
    """An identifier as it is stored and searched: no spaces or hyphens, in capitals."""
    return re.sub(r"[\s-]+", "", value or "").upper()


def nhs_number_valid(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return check != 10 and (check % 11) == int(digits[9])


def upn_valid(upn: str) -> bool:
    """A 13-character UPN: check letter, 11 digits, then a digit (or a letter: a temporary
    UPN); the check letter is the weighted sum (weights 2 to 13) modulo 23."""
    if not re.fullmatch(rf"[{UPN_LETTERS}][0-9]{{11}}[0-9{UPN_LETTERS}]", upn):
        return False
    values = [int(c) if c.isdigit() else UPN_LETTERS.index(c) for c in upn[1:]]
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23] == upn[0]


def _checked(check: Callable[[str], bool], message: str,
             keep_as_typed: bool = False) -> Callable[[str | None], str | None]:
    def validate(value: str | None) -> str | None:
        if value is None:
            return None
        key = identifier_key(value)
        if not check(value if keep_as_typed else key):
            raise ValueError(message)
        return value if keep_as_typed else key
    return validate


def _person_id_valid(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9/_.-]{0,35}", value) is not None


# Kept as typed: the case system's own spelling is what the returns carry.
PersonId = Annotated[Annotated[str, Field(max_length=40), AfterValidator(_checked(
    _person_id_valid,
    "Enter the case-system ID as it is shown there: up to 36 letters, digits, '-' or '/'",
    keep_as_typed=True))] | None, BeforeValidator(_blank_to_none)]
NhsNumber = Annotated[Annotated[str, Field(max_length=40), AfterValidator(_checked(
    nhs_number_valid, "Enter a real NHS number: 10 digits, like 943 476 5919 (the last digit "
    "is a check digit)"))] | None, BeforeValidator(_blank_to_none)]
Upn = Annotated[Annotated[str, Field(max_length=40), AfterValidator(_checked(
    upn_valid, "Enter a real unique pupil number: a letter and 12 more characters, like "
    "A123456789012 (the first letter is a check letter)"))] | None, BeforeValidator(_blank_to_none)]
