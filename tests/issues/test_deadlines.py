"""Deadlines in Asia/Shanghai: day counts end at local midnight, hour counts are exact; overdue everywhere."""

import datetime

import pytest

from issues.deadlines import deadline_after, is_overdue
from issues.models import WhistleSetting
from issues.selectors import filter_issues, status_counts
from issues.services import issue_whistle

from .conftest import at

UTC = datetime.UTC


@pytest.mark.parametrize(
    "moment,amount,unit,expected",
    [
        # 00:30 on 1 Feb in Shanghai is still 31 Jan in UTC: the local day counts.
        (datetime.datetime(2024, 1, 31, 16, 30, tzinfo=UTC), 3, "day", at(2024, 2, 4, 23, 59, 59)),
        # 23:30 on 31 Jan in Shanghai: the same UTC date, a different local day.
        (datetime.datetime(2024, 1, 31, 15, 30, tzinfo=UTC), 3, "day", at(2024, 2, 3, 23, 59, 59)),
        # month ends: a leap February, a 30-day month, the year end
        (at(2024, 2, 27, 10), 7, "day", at(2024, 3, 5, 23, 59, 59)),
        (at(2023, 2, 27, 10), 7, "day", at(2023, 3, 6, 23, 59, 59)),
        (at(2024, 4, 30, 23, 50), 1, "day", at(2024, 5, 1, 23, 59, 59)),
        (at(2024, 12, 31, 23, 59), 30, "day", at(2025, 1, 30, 23, 59, 59)),
        # hours are exact, across midnight and the month end
        (at(2024, 1, 31, 23, 30), 24, "hour", at(2024, 2, 1, 23, 30)),
        (at(2024, 2, 29, 12, 0), 24, "hour", at(2024, 3, 1, 12, 0)),
    ],
)
def test_deadline_after(moment, amount, unit, expected):
    assert deadline_after(moment, amount=amount, unit=unit) == expected


def test_overdue_turns_at_local_midnight():
    deadline = at(2024, 2, 4, 23, 59, 59)
    assert not is_overdue(deadline, now=at(2024, 2, 4, 23, 59, 58))
    assert is_overdue(deadline, now=at(2024, 2, 5, 0, 0, 0))
    assert not is_overdue(None, now=at(2030, 1, 1))


def test_whistle_deadlines_follow_the_settings(town, ladder, clock):
    clock.set(at(2024, 1, 31, 23, 30))
    issue = ladder.to_centre()
    issue = issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        departments=[town.department],
        kind="emergency",
    )
    assert issue.assignments.get().deadline == at(2024, 2, 1, 23, 30)
    assert issue.deadline == at(2024, 2, 1, 23, 30)

    WhistleSetting.objects.filter(kind="routine").update(amount=10)
    issue = ladder.to_centre()
    issue = issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        departments=[town.department],
        kind="routine",
    )
    assert issue.assignments.get().deadline == at(2024, 2, 10, 23, 59, 59)
    issue = ladder.to_centre()
    issue = issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        departments=[town.department],
        kind="hard",
    )
    assert issue.assignments.get().deadline == at(2024, 3, 1, 23, 59, 59)


def test_level_deadlines_are_set_on_each_step(town, ladder, clock):
    clock.set(at(2024, 2, 28, 0, 10))
    issue = ladder.to_grid()
    assert issue.deadline == at(2024, 3, 2, 23, 59, 59)  # grid: 3 days, across the leap day
    issue = ladder.to_village()
    assert issue.deadline == at(2024, 3, 4, 23, 59, 59)  # village: 5 days


def test_overdue_is_counted_and_filtered_in_the_database(town, ladder, clock):
    clock.set(at(2024, 1, 31, 23, 30))
    late = ladder.to_grid()  # due 3 Feb 23:59:59
    ladder.to_village()  # due 5 Feb
    done = ladder.to_grid()
    from issues.services import issue_resolve

    issue_resolve(user=town.user("grid_head_a1"), issue_id=done.pk, version=done.version, result="已修")
    from issues.models import Issue

    now = at(2024, 2, 4, 0, 0, 1)
    counts = status_counts(Issue.objects.all(), now=now)
    assert (counts["overdue"], counts["open"], counts["resolved"], counts["total"]) == (1, 2, 1, 3)
    assert list(filter_issues(Issue.objects.all(), overdue=True, now=now)) == [late]
    assert not list(filter_issues(Issue.objects.all(), overdue=True, now=at(2024, 2, 3, 23, 59, 59)))
    clock.set(now)
    late.refresh_from_db()
    done.refresh_from_db()
    assert (late.is_overdue, done.is_overdue) == (True, False)  # a resolved issue is never overdue
