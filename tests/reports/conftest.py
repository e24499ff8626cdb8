"""Hand-counted fixtures for dashboards, ledgers and the assessment (September 2026 in Asia/Shanghai).

Contacts (recorded through visits.services.contact_record):
  c1 member_a  home_visit    ha1   2026-09-05 10:00  duties policy + demands, summary "=cmd|' /C calc'!A0"
  c2 member_a  online        ha1   2026-09-20 21:00  duty opinion
  c3 grid_head grid_sinkdown A1    2026-09-10 09:00  duty supervision
  c4 member_b  home_visit    hb1   2026-09-07 10:00  duty policy
  c5 member_a  home_visit    ha1   2026-10-03 10:00  duty policy            (October: outside September)
  c6 member_a  home_visit    ha1   2026-08-31 23:59  duty policy            (August: outside September)
Issues (raised through issues.services.issue_raise, clock frozen on the day):
  i1 member_a  ha1  2026-09-06  solved on the spot           → resolved, resolved_level on_spot
  i2 member_a  ha1  2026-09-08  escalated to the grid        → open at grid
  i3 member_b  hb1  2026-09-09  left at the spot level       → open on the spot
Households: ha1 (linked to member_a), ha2, ha3 (no link), hb1 (linked to member_b).
"""

import datetime
import uuid
import zoneinfo

import pytest
from django.utils import timezone

from issues.models import IssueCategory
from issues.services import issue_raise
from visits.services import contact_record

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SEPT = {"period": "month", "on": "2026-09-15"}


def at(y, m, d, hh=10, mm=0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Export files go to a temporary MEDIA_ROOT, removed after each test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        def set(self, moment):
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


@pytest.fixture
def data(town, clock, monkeypatch):
    def record(persona, kind, when, duties, summary="", **target):
        return contact_record(
            user=town.user(persona),
            kind=kind,
            occurred_at=when,
            duties=duties,
            summary=summary,
            client_id=uuid.uuid4(),
            **target,
        )

    contacts = {
        "c1": record(
            "member_a",
            "home_visit",
            at(2026, 9, 5),
            ["policy", "demands"],
            "=cmd|' /C calc'!A0",
            household=town.ha1,
        ),
        "c2": record("member_a", "online", at(2026, 9, 20, 21), ["opinion"], household=town.ha1),
        "c3": record(
            "grid_head_a1", "grid_sinkdown", at(2026, 9, 10, 9), ["supervision"], place=town.grid_a1
        ),
        "c4": record("member_b", "home_visit", at(2026, 9, 7), ["policy"], household=town.hb1),
        "c5": record("member_a", "home_visit", at(2026, 10, 3), ["policy"], household=town.ha1),
        "c6": record("member_a", "home_visit", at(2026, 8, 31, 23, 59), ["policy"], household=town.ha1),
    }
    category = IssueCategory.objects.get(name="基础设施")

    def raise_(persona, household, day, **kwargs):
        clock.set(at(2026, 9, day))
        return issue_raise(
            user=town.user(persona), category=category, household=household, description="村道塌方", **kwargs
        )

    issues = {
        "i1": raise_("member_a", town.ha1, 6, solved_result="当场修好"),
        "i2": raise_("member_a", town.ha1, 8, escalate_reason="需要网格协调"),
        "i3": raise_("member_b", town.hb1, 9),
    }
    monkeypatch.undo()  # back to the real clock
    return {"contacts": contacts, "issues": issues}
