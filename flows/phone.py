"""Phone numbers: parse what people type, store E.164 (phonenumbers, NL default)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "NL"


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """Returns the number as E.164 (``+31612345678``), or None when it is not a valid number.

    Accepts the ways people write numbers: ``06-12345678``, ``+31 6 1234 5678``,
    ``0031612345678``, ``(0416) 123 456``.
    """
    text = raw.strip()
    if not text or len(text) > 40:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A readable form for staff: national for Dutch numbers (``06 12345678``), else
    international (``+44 20 7946 0958``), so a foreign number is never shown unreachable."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.region_code_for_number(number) == DEFAULT_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
