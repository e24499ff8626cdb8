"""Census import: one cell's value parsed and checked (text, yes/no, dates, phones, ID numbers, choices)."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.validators import (
    canonical_phone,
    normalize_id_number,
    normalize_phone,
)

from .columns import Column, _labels
from .files import _header_key
from .report import _Row

# IN lists are split so that no lookup exceeds what any backend accepts; 30 or 300 rows need one query each.
LOOKUP_CHUNK = 900
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "无", ""})


# --- cell values ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _required(row: _Row, column: Column, max_length: int | None = None) -> str:
    value = _text(row.values.get(column.key))
    if column.required and not value and column.key not in row.formulas:
        row.bad(_("“%(field)s”不能为空") % {"field": column.header})
    return _limited(row, column, value, max_length)


def _limited(row: _Row, column: Column, value: str, max_length: int | None) -> str:
    if max_length and len(value) > max_length:
        row.bad(_("“%(field)s”超过 %(max)d 个字") % {"field": column.header, "max": max_length})
    return value


def _yes_no(row: _Row, column: Column) -> bool:
    raw = row.values.get(column.key)
    if isinstance(raw, bool):
        return raw
    value = _text(raw).lower()
    if value in YES:
        return True
    if value not in NO:
        row.bad(_("“%(field)s”应填“是”或“否”") % {"field": column.header})
    return False


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(row: _Row, column: Column) -> datetime.date | None:
    raw = row.values.get(column.key)
    if raw is None or _text(raw) == "":
        if column.required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空") % {"field": column.header})
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = _text(raw)
    match = _DATE_RE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    row.bad(_("“%(field)s”不是有效日期,应为 2021-01-31 这样的格式") % {"field": column.header})
    return None


def _phone(row: _Row, column: Column) -> str:
    """A phone number in its one stored form (grids.validators.canonical_phone: phonenumbers), or a reason.

    +86 / 0086 prefixes, spaces, dashes, brackets and full-width digits are fine; mobiles are kept as 11 digits,
    landlines as 0731-87654321 however they were typed.
    """
    raw = _text(row.values.get(column.key))
    if not raw:
        if column.required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空") % {"field": column.header})
        return ""
    phone = canonical_phone(raw)
    if not phone:
        reason = _("电话号码格式不正确:应为11位手机号或带区号的固话")
        row.bad(f"{column.header}:{reason}")
        return normalize_phone(raw)  # only for the (masked) label
    return phone


def _id_number(row: _Row, column: Column) -> str:
    """A resident ID number checked with python-stdnum's cn.ric (length, format, checksum, birth date).

    The birthplace is not checked: stdnum's region table predates 宁乡市 (430182, 2017), so real numbers of
    this very town would be refused. A number the spreadsheet stored as a number has lost its last digits.
    """
    from stdnum import exceptions
    from stdnum.cn import ric

    raw = row.values.get(column.key)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 10**15:
        row.bad(
            _("“%(field)s”被存成了数字,末几位已丢失:请把该列设为文本格式后重新填写")
            % {"field": column.header}
        )
        return ""
    number = normalize_id_number(_text(raw))
    if not number:
        return ""
    number = ric.compact(number)
    message = None
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        message = _("身份证号应为18位")
    elif ric.calc_check_digit(number) != number[17]:
        message = _("身份证号校验位错误")
    else:
        try:
            birth = ric.get_birth_date(number)
        except exceptions.ValidationError:
            birth = None
        if birth is None or birth.year < 1900 or birth > timezone.localdate():
            message = _("身份证号中的出生日期无效")
    if message:
        row.bad(f"{column.header}:{message}")
    return number


def _choice(row: _Row, column: Column, choices, *, required: bool) -> str:
    """Accept the Chinese label (or the stored value) of a TextChoices member."""
    value = _text(row.values.get(column.key))
    if not value:
        if required and column.key not in row.formulas:
            row.bad(_("“%(field)s”不能为空") % {"field": column.header})
        return ""
    lookup = _choice_lookup(choices)  # cached per choices class
    found = lookup.get(_header_key(value))
    if found is None:
        row.bad(
            _("“%(field)s”的值“%(value)s”无法识别,应为:%(options)s")
            % {"field": column.header, "value": value[:30], "options": _labels(choices)}
        )
        return ""
    return found


@functools.cache
def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            lookup[_header_key(str(label))] = value
            lookup[_header_key(value)] = value
    return lookup


def _chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_message(exc: ValidationError) -> str:
    return str(exc.messages[0]) if exc.messages else str(exc)
