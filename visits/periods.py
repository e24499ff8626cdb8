"""Quota periods in Asia/Shanghai: weeks start on Monday, months, quarters and years are calendar ones.

A period is a half-open range of local dates [start, end); `aware_bounds` turns it into aware datetimes at
local midnight, so a contact at 23:59 on Sunday counts in that week and one at 00:00 Monday in the next,
whatever the server's or the database's time zone.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from .enums import Period

TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(TZ).date()


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=TZ)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_bounds(period: str, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period containing `on`, as local dates [start, end)."""
    period = Period(period)
    if period == Period.WEEK:
        start = on - datetime.timedelta(days=on.weekday())
        return start, start + datetime.timedelta(days=7)
    if period == Period.MONTH:
        start = on.replace(day=1)
        return start, _add_months(start, 1)
    if period == Period.QUARTER:
        start = datetime.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
        return start, _add_months(start, 3)
    start = datetime.date(on.year, 1, 1)
    return start, datetime.date(on.year + 1, 1, 1)


def previous_bounds(period: str, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    start, _end = period_bounds(period, on)
    return period_bounds(period, start - datetime.timedelta(days=1))


def aware_bounds(bounds: tuple[datetime.date, datetime.date]) -> tuple[datetime.datetime, datetime.datetime]:
    return local_midnight(bounds[0]), local_midnight(bounds[1])


# A contact may be stamped this far ahead of the server's clock (a phone's clock runs fast); never further.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def no_contact_after(end: datetime.datetime) -> bool:
    """True when no contact can lie at or after `end` (visits.services refuses times beyond now + CLOCK_SKEW):
    for such a period, "in the period" is the same as "on or after its start" (LastContact's fast paths)."""
    return end > timezone.now() + CLOCK_SKEW
