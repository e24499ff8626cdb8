"""Validation, normalisation and masking of residents' phone and ID numbers.

These are personal data: callers show `mask_*` output in lists and never log the raw values.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ－（）　", "0123456789XX-() ")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def canonical_phone(value: str) -> str:
    """The one stored form of a Chinese phone number typed any usual way; "" if it is not a valid one.

    Parsed by phonenumbers (Google's libphonenumber data): +86 / 0086 / 86 prefixes, spaces, dashes, dots,
    brackets and full-width digits are accepted. Mobiles are stored as 11 digits (13907316789); landlines as
    the area code with its leading 0, a hyphen and the local number (0731-87654321), however they were typed.
    """
    text = (value or "").translate(_FULLWIDTH).strip()
    if _MOBILE.match(text):
        return text
    if not text or not any(ch.isdigit() for ch in text):
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return ""
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return ""
    national = phonenumbers.national_significant_number(number)
    if _MOBILE.match(national):
        return national
    area = phonenumbers.length_of_geographical_area_code(number)
    if not area:
        return ""
    return f"0{national[:area]}-{national[area:]}"


def normalize_phone(value: str) -> str:
    """The canonical form (canonical_phone) when the number is valid; else strip spaces, a +86/86 prefix and
    brackets, keeping one hyphen after a landline's area code (validate_phone then explains what is wrong)."""
    canonical = canonical_phone(value)
    if canonical:
        return canonical
    text = (value or "").translate(_FULLWIDTH).strip()
    text = re.sub(r"[\s()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if text.startswith("1"):
        return text.replace("-", "")
    return text


def validate_phone(value: str) -> None:
    phone = normalize_phone(value)
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationError(_("电话号码格式不正确:应为11位手机号或带区号的固话"), code="bad_phone")


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; area code plus the last four digits for landlines."""
    phone = normalize_phone(value)
    if not phone:
        return ""
    if _MOBILE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}"
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s", "", (value or "").translate(_FULLWIDTH)).upper()


def id_number_checksum(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    """An 18-character resident ID with a valid birth date and a GB 11643 check character."""
    number = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("身份证号应为18位"), code="bad_id_length")
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    import datetime

    try:
        birth = datetime.date(year, month, day)
    except ValueError:
        birth = None
    if birth is None or not (1900 <= year) or birth > datetime.date.today():
        raise ValidationError(_("身份证号中的出生日期无效"), code="bad_id_birth")
    if id_number_checksum(number[:17]) != number[17]:
        raise ValidationError(_("身份证号校验位错误"), code="bad_id_checksum")


def mask_id_number(value: str) -> str:
    number = normalize_id_number(value)
    if not number:
        return ""
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
