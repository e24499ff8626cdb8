"""The period a dashboard or ledger covers: a month, a quarter, a year or a custom range of local dates.

Ranges are half-open [start, end) in Asia/Shanghai (visits/periods.py), turned into aware datetimes at local
midnight for queries, so a contact at 23:59 on the last day counts and one at 00:00 the next day does not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from visits.enums import Period
from visits.periods import aware_bounds, period_bounds

from .enums import PeriodKind

MAX_CUSTOM_DAYS = 366 * 3


class PeriodError(ValueError):
    """Bad period input; the message is user-facing (Chinese first, English gloss)."""


@dataclass(frozen=True)
class ReportPeriod:
    kind: str
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        return aware_bounds((self.start, self.end))

    @property
    def status_day(self) -> datetime.date:
        """The day compliance is judged on: the period's last day, or today while the period is running."""
        return min(self.last_day, timezone.localdate())

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return _("%(y)s年%(m)s月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == PeriodKind.QUARTER:
            return _("%(y)s年第%(q)s季度") % {"y": self.start.year, "q": (self.start.month - 1) // 3 + 1}
        if self.kind == PeriodKind.YEAR:
            return _("%(y)s年") % {"y": self.start.year}
        return f"{self.start:%Y-%m-%d} — {self.last_day:%Y-%m-%d}"

    def months(self) -> list[datetime.date]:
        """First days of the months the period touches (the trend chart's x axis)."""
        months, day = [], self.start.replace(day=1)
        while day < self.end:
            months.append(day)
            day = period_bounds(Period.MONTH, day)[1]
        return months

    def as_params(self) -> dict[str, str]:
        return {
            "period": self.kind,
            "start": self.start.isoformat(),
            "end_inclusive": self.last_day.isoformat(),
        }


def period_of(kind: str, on: datetime.date) -> ReportPeriod:
    mapping = {
        PeriodKind.MONTH: Period.MONTH,
        PeriodKind.QUARTER: Period.QUARTER,
        PeriodKind.YEAR: Period.YEAR,
    }
    start, end = period_bounds(mapping[PeriodKind(kind)], on)
    return ReportPeriod(kind, start, end)


def custom_period(start: datetime.date, last_day: datetime.date) -> ReportPeriod:
    if last_day < start:
        raise PeriodError(_("结束日期不能早于开始日期"))
    if (last_day - start).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError(_("时间范围不能超过三年"))
    return ReportPeriod(PeriodKind.CUSTOM, start, last_day + datetime.timedelta(days=1))
