"""One rule for every date a user types or sends: 2000-01-01 up to today + 2 years (Asia/Shanghai).

Filters, query parameters, page forms and API inputs all use these pieces, so an absurd date (9999-12-31,
0001-01-01) gets the same clear 400 / form error everywhere instead of an overflow deep in a period
calculation. Dates that cannot lie in the future (what happened) use the same range: the upper end only
matters for deadlines and "as of" days, and two years ahead is harmless for a look-up.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(2000, 1, 1)
YEARS_AHEAD = 2


def current_time() -> datetime.datetime:
    """`timezone.now()`, looked up at each call (as `auto_now_add` does): the default of the stamps a service
    may also set itself from its `now=` (issue events, contacts...)."""
    return timezone.now()


def latest() -> datetime.date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def out_of_range_message():
    return _("日期须在 %(earliest)s 至 %(latest)s 之间") % {
        "earliest": EARLIEST.isoformat(),
        "latest": latest().isoformat(),
    }


def validate_date_in_range(value: datetime.date) -> None:
    """The shared validator: raises django's ValidationError (code "date_range")."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if value is not None and not EARLIEST <= value <= latest():
        raise ValidationError(out_of_range_message(), code="date_range")


class BoundedDateField(forms.DateField):
    """A form DateField inside the shared range (page forms, django-filter filters)."""

    default_validators = [validate_date_in_range]


def parse_bounded_date(raw: str) -> datetime.date:
    """A YYYY-MM-DD query parameter in the shared range; ValidationError with a message otherwise."""
    field = BoundedDateField()
    return field.clean(raw)


def month_in_range(year: int, month: int) -> bool:
    """Whether a month (its first day) lies in the shared range: used by month pickers (?month=2026-12)."""
    return EARLIEST <= datetime.date(year, month, 1) <= latest()


class BoundedDateFilter(django_filters.DateFilter):
    """A django-filter DateFilter inside the shared range: the API answers 400 with the message."""

    field_class = BoundedDateField
