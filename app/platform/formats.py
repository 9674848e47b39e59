"""The formats form fields (and every other input of the project) are checked against: ONE rule each.

Phone numbers: `phonenumbers` (Google's libphonenumber metadata), region CN: a mobile number, or a landline
with its area code (an extension may follow: 021-12345678-123), or a 400/800 service number; a bare local
number such as 1234567 is refused. E-mail: `email-validator` (syntax only, no DNS look-up).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from jsonschema import FormatChecker

REGION = "CN"
_EXTENSION = re.compile(r"(.+?)\s*(?:-|转|ext\.?|x|#)\s*(\d{1,6})\Z", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s/?#@]+\.[^\s/?#@.]+(?::\d{1,5})?(?:[/?#]\S*)?\Z", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII)

FORMAT_CHECKER = FormatChecker()


def _parse(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def parse_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """The phone number in `value`, or None when it is not a valid one."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text or len(text) > 40:
        return None
    number = _parse(text)
    if number is not None:
        return number
    match = _EXTENSION.match(text)
    if match is None:
        return None
    number = _parse(match[1])
    if number is None or phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return None  # extensions belong to landlines
    number.extension = match[2]
    return number


@FORMAT_CHECKER.checks("phone")
def is_phone(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return parse_phone(value) is not None


def normalise_phone(raw: str) -> str:
    """How a typed phone number is kept: without spaces and without a +86 / 0086 prefix; a mobile as its 11
    digits; a landline with its dashes (an invalid value stays for validation to report)."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip("-")
    number = parse_phone(text)
    if number is not None and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return str(number.national_number)
    return text


@FORMAT_CHECKER.checks("email")
def is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) > 254:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@FORMAT_CHECKER.checks("uri")
def is_web_address(value: object) -> bool:
    """A web address (http/https with a host name): what a form's URL field asks for."""
    if not isinstance(value, str):
        return True
    return bool(_URL.match(value))


@FORMAT_CHECKER.checks("date")
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@FORMAT_CHECKER.checks("future-date-time")
def is_future_datetime(value: object) -> bool:
    """A date-time (as "date-time") that has not passed yet: an appointment being made."""
    if not isinstance(value, str):
        return True
    if not is_datetime(value):
        return False
    moment = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    return moment.tzinfo is None or moment > datetime.now(moment.tzinfo)


@FORMAT_CHECKER.checks("date-time")
def is_datetime(value: object) -> bool:
    """RFC 3339 date-time with an offset (the built-in check needs the rfc3339-validator package)."""
    if not isinstance(value, str):
        return True
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True
