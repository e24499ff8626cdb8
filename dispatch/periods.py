"""Job periods and their keys, in Asia/Shanghai local dates (visits.periods does the calendar).

A period is a half-open range of local dates [start, end). Keys: month "2026-12", ISO week "2026-W49",
旬 "2026-12-11" (the 1st/11th/21st it is issued on; it covers the ten-odd days before), day "2026-12-03",
quarter "2026-Q4", year "2026".
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from visits.periods import TZ, period_bounds

from .enums import JobName


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class JobPeriod:
    key: str
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


def today() -> datetime.date:
    return datetime.datetime.now(TZ).date()


def _decade_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1 if day.day < 11 else 11 if day.day < 21 else 21)


def month_period(key: str) -> JobPeriod:
    m = re.fullmatch(r"(\d{4})-(\d{2})", key)
    if not m or not 1 <= int(m[2]) <= 12:
        raise PeriodError(_("月份格式应为 2026-12"))
    start, end = period_bounds("month", datetime.date(int(m[1]), int(m[2]), 1))
    return JobPeriod(key, start, end)


def _week(key: str) -> JobPeriod:
    m = re.fullmatch(r"(\d{4})-W(\d{2})", key)
    try:
        start = datetime.date.fromisocalendar(int(m[1]), int(m[2]), 1) if m else None
    except ValueError:
        start = None
    if start is None:
        raise PeriodError(_("周的格式应为 2026-W49"))
    return JobPeriod(key, start, start + datetime.timedelta(days=7))


def _day(key: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(key) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", key) else None
    except ValueError:
        return None


def _decade(key: str) -> JobPeriod:
    day = _day(key)
    if day is None or day.day not in (1, 11, 21):
        raise PeriodError(_("旬调度日期应为某月1日、11日或21日,如 2026-12-11 (a 1st, 11th or 21st)"))
    before = day - datetime.timedelta(days=1)
    return JobPeriod(key, _decade_start(before), day)


def _daily(key: str) -> JobPeriod:
    day = _day(key)
    if day is None:
        raise PeriodError(_("日期格式应为 2026-12-03"))
    return JobPeriod(key, day, day + datetime.timedelta(days=1))


def _quarter(key: str) -> JobPeriod:
    m = re.fullmatch(r"(\d{4})-Q([1-4])", key)
    if not m:
        raise PeriodError(_("季度格式应为 2026-Q4"))
    start, end = period_bounds("quarter", datetime.date(int(m[1]), 3 * int(m[2]) - 2, 1))
    return JobPeriod(key, start, end)


def _year(key: str) -> JobPeriod:
    if not re.fullmatch(r"\d{4}", key):
        raise PeriodError(_("年度格式应为 2026"))
    start, end = period_bounds("year", datetime.date(int(key), 1, 1))
    return JobPeriod(key, start, end)


PARSERS = {
    JobName.TASK_LISTS: month_period,
    JobName.OVERDUE_DIGESTS: _week,
    JobName.DECADE_DISPATCH: _decade,
    JobName.ISSUE_DEADLINES: _daily,
    JobName.QUARTER_REVIEW: _quarter,
    JobName.YEAR_REVIEW: _year,
    JobName.COMPLIANCE_SNAPSHOTS: _daily,
}

EXAMPLES = {
    JobName.TASK_LISTS: "2026-12",
    JobName.OVERDUE_DIGESTS: "2026-W49",
    JobName.DECADE_DISPATCH: "2026-12-11",
    JobName.ISSUE_DEADLINES: "2026-12-03",
    JobName.QUARTER_REVIEW: "2026-Q4",
    JobName.YEAR_REVIEW: "2026",
    JobName.COMPLIANCE_SNAPSHOTS: "2026-12-03",
}


def parse_period(job: str, key: str) -> JobPeriod:
    """The job's period for a key; refuses malformed keys and periods that have not begun."""
    period = PARSERS[JobName(job)]((key or "").strip())
    if period.start > today():
        raise PeriodError(_("不能为尚未开始的周期运行"))
    if job in (JobName.QUARTER_REVIEW, JobName.YEAR_REVIEW) and period.end > today():
        raise PeriodError(_("季讲评/年总评只能在周期结束后生成"))
    return period


def default_key(job: str, on: datetime.date | None = None) -> str:
    """The period a scheduled run on `on` works for."""
    on = on or today()
    job = JobName(job)
    if job == JobName.TASK_LISTS:
        return f"{on:%Y-%m}"
    if job == JobName.OVERDUE_DIGESTS:
        year, week, _weekday = on.isocalendar()
        return f"{year}-W{week:02d}"
    if job == JobName.DECADE_DISPATCH:
        return _decade_start(on).isoformat()
    if job in (JobName.ISSUE_DEADLINES, JobName.COMPLIANCE_SNAPSHOTS):
        return on.isoformat()
    if job == JobName.QUARTER_REVIEW:
        last = period_bounds("quarter", on)[0] - datetime.timedelta(days=1)
        return f"{last.year}-Q{(last.month - 1) // 3 + 1}"
    return str(on.year - 1)


def recent_months(current: datetime.date, n: int = 6) -> list[datetime.date]:
    """The month of `current` and the n-1 before it (first days), newest first, for a month picker."""
    months = [current.replace(day=1)]
    for _i in range(n - 1):
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))
    return months
