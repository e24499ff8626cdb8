import datetime
import uuid
import zoneinfo

import pytest
from django.utils import timezone

from issues.models import IssueCategory
from issues.services import issue_raise

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0, ss=0) -> datetime.datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


@pytest.fixture
def category(db):
    return IssueCategory.objects.get(name="基础设施")


@pytest.fixture
def raise_issue(town, category):
    """raise_issue(persona="member_a", household=ha1, **kwargs) → a new issue raised by that persona."""

    def _raise(persona="member_a", household=None, place=None, **kwargs):
        if household is None and place is None:
            household = town.ha1
        kwargs.setdefault("description", "村道塌方,需要修复")
        return issue_raise(
            user=town.user(persona), category=category, household=household, place=place, **kwargs
        )

    return _raise


@pytest.fixture
def clock(monkeypatch):
    """clock.set(aware datetime) freezes django.utils.timezone.now (services, auto_now and overdue use it)."""

    class Clock:
        def set(self, moment):
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


@pytest.fixture
def contact_for(town):
    """contact_for(persona, household) → a home visit that found a problem, recorded through visits' service."""
    from visits.services import contact_record

    def _contact(persona="member_a", household=None, summary="路灯坏了三个月,晚上出行不便"):
        return contact_record(
            user=town.user(persona),
            kind="home_visit",
            occurred_at=timezone.now() - datetime.timedelta(minutes=5),
            duties=["demands"],
            household=household or town.ha1,
            summary=summary,
            found_problem=True,
            client_id=uuid.uuid4(),
        )

    return _contact


@pytest.fixture
def ladder(town, raise_issue):
    """Helpers that walk an issue up the ladder with the right personas."""

    class Ladder:
        def to_grid(self, **kwargs):
            return raise_issue(escalate_reason="现场无法解决", **kwargs)

        def to_village(self, **kwargs):
            from issues.services import issue_escalate

            issue = self.to_grid(**kwargs)
            return issue_escalate(
                user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, reason="需村里协调"
            )

        def to_centre(self, **kwargs):
            from issues.services import issue_escalate

            issue = self.to_village(**kwargs)
            return issue_escalate(
                user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, reason="村级无力解决"
            )

        def whistled(self, departments=None, kind="routine", **kwargs):
            from issues.services import issue_whistle

            issue = self.to_centre(**kwargs)
            return issue_whistle(
                user=town.user("town_staff"),
                issue_id=issue.pk,
                version=issue.version,
                departments=departments or [town.department, town.other_department],
                kind=kind,
                note="请两部门协同办理",
            )

    return Ladder()
