import datetime

import pytest
from django.utils import timezone

from visits.enums import Period
from visits.periods import (
    CLOCK_SKEW,
    TZ,
    aware_bounds,
    local_date,
    no_contact_after,
    period_bounds,
    previous_bounds,
)

D = datetime.date


@pytest.mark.parametrize(
    ("period", "on", "expected"),
    [
        (Period.WEEK, D(2025, 6, 15), (D(2025, 6, 9), D(2025, 6, 16))),  # Sunday → week began Monday
        (Period.WEEK, D(2025, 6, 16), (D(2025, 6, 16), D(2025, 6, 23))),  # Monday starts a week
        (Period.WEEK, D(2025, 1, 1), (D(2024, 12, 30), D(2025, 1, 6))),  # a week across the new year
        (Period.MONTH, D(2024, 2, 29), (D(2024, 2, 1), D(2024, 3, 1))),
        (Period.MONTH, D(2025, 12, 31), (D(2025, 12, 1), D(2026, 1, 1))),
        (Period.QUARTER, D(2025, 3, 31), (D(2025, 1, 1), D(2025, 4, 1))),
        (Period.QUARTER, D(2025, 4, 1), (D(2025, 4, 1), D(2025, 7, 1))),
        (Period.QUARTER, D(2025, 11, 30), (D(2025, 10, 1), D(2026, 1, 1))),
        (Period.YEAR, D(2025, 7, 1), (D(2025, 1, 1), D(2026, 1, 1))),
    ],
)
def test_period_bounds(period, on, expected):
    assert period_bounds(period, on) == expected


def test_previous_bounds():
    assert previous_bounds(Period.WEEK, D(2025, 6, 16)) == (D(2025, 6, 9), D(2025, 6, 16))
    assert previous_bounds(Period.MONTH, D(2025, 1, 15)) == (D(2024, 12, 1), D(2025, 1, 1))
    assert previous_bounds(Period.QUARTER, D(2025, 1, 15)) == (D(2024, 10, 1), D(2025, 1, 1))
    assert previous_bounds(Period.YEAR, D(2025, 1, 15)) == (D(2024, 1, 1), D(2025, 1, 1))


def test_aware_bounds_are_local_midnight():
    start, end = aware_bounds((D(2025, 4, 1), D(2025, 7, 1)))
    # Midnight in Shanghai is 16:00 UTC the day before.
    assert start.astimezone(datetime.UTC) == datetime.datetime(2025, 3, 31, 16, 0, tzinfo=datetime.UTC)
    assert end.astimezone(datetime.UTC) == datetime.datetime(2025, 6, 30, 16, 0, tzinfo=datetime.UTC)


def test_local_date_of_utc_evening_is_next_day():
    moment = datetime.datetime(2025, 3, 31, 16, 30, tzinfo=datetime.UTC)
    assert local_date(moment) == D(2025, 4, 1)
    assert moment.astimezone(TZ).hour == 0


def test_no_contact_after_allows_for_a_fast_phone_clock():
    """Contacts may be stamped up to CLOCK_SKEW ahead: a period ending sooner than that is not yet safe for
    the "on or after the start" shortcut (LastContact), one ending later is."""
    now = timezone.now()
    assert not no_contact_after(now + CLOCK_SKEW - datetime.timedelta(seconds=30))
    assert no_contact_after(now + CLOCK_SKEW + datetime.timedelta(seconds=30))
    assert not no_contact_after(now - datetime.timedelta(days=1))
