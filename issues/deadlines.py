"""Deadlines and overdue, computed in the town's time zone (Asia/Shanghai).

A deadline counted in days ends at 24:00 local time on the last day, so an issue raised at 00:30 on
1 February with three days is due at the end of 4 February, whatever the UTC date was. A deadline
counted in hours is exact.
"""

import datetime

from django.utils import timezone

from .enums import DurationUnit

END_OF_DAY = datetime.time(23, 59, 59)


def local_tz() -> datetime.tzinfo:
    return timezone.get_default_timezone()


def start_of_local_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=local_tz())


def end_of_local_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, END_OF_DAY, tzinfo=local_tz())


def deadline_after(moment: datetime.datetime, *, amount: int, unit: str) -> datetime.datetime:
    if unit == DurationUnit.HOUR:
        return moment + datetime.timedelta(hours=amount)
    local_day = timezone.localtime(moment, local_tz()).date()
    return end_of_local_day(local_day + datetime.timedelta(days=amount))


def is_overdue(deadline: datetime.datetime | None, *, now: datetime.datetime | None = None) -> bool:
    return deadline is not None and deadline < (now or timezone.now())
