"""Hand-made data for rankings: contacts, issues and ratings written directly, so the arithmetic is exact."""

import datetime
import uuid
import zoneinfo

import pytest

from grids.enums import DepartmentKind
from grids.models import Department
from issues.models import Issue, IssueCategory, IssueFeedback
from rewards import services
from rewards.enums import Half
from visits.models import Contact, ContactHousehold

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR = 2026


def at(y, m, d, hh=10, mm=0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def office(town):
    """社会治安和应急管理办 of the persona town, with its own handler."""
    return Department.objects.create(
        place=town.town, name="社会治安和应急管理办", kind=DepartmentKind.TOWN_OFFICE
    )


@pytest.fixture
def make_round(town, office):
    def _make(year=YEAR, half=Half.MID_YEAR):
        return services.round_create(user=town.user("town_staff"), town=town.town, year=year, half=half)

    return _make


@pytest.fixture
def round_(make_round):
    """The persona town's 2026 mid-year round (1 January – 30 June 2026), in draft."""
    return make_round()


def contact(member, when, *, household=None, place=None, kind=None, duties=("policy",)):
    kind = kind or ("home_visit" if household else "grid_sinkdown")
    fields = {f"duty_{d}": True for d in duties}
    c = Contact.objects.create(
        member=member,
        kind=kind,
        occurred_at=when,
        household=household,
        place=place,
        path=(household or place).path,
        client_id=uuid.uuid4(),
        **fields,
    )
    if household is not None:
        ContactHousehold.objects.create(
            contact=c, household=household, member=member, kind=kind, occurred_at=when
        )
    return c


def issue(
    member, *, household=None, place=None, raised=None, resolved=None, level="", rating=None, rated=None
):
    category = IssueCategory.objects.first() or IssueCategory.objects.create(name="测试")
    obj = Issue.objects.create(
        category=category,
        description="测试",
        household=household,
        place=place,
        raised_by=member,
        resolved_at=resolved,
        resolved_level=level,
        status="closed" if resolved else "open",
    )
    Issue.objects.filter(pk=obj.pk).update(raised_at=raised or at(YEAR, 3, 1))
    if rating:
        fb = IssueFeedback.objects.create(issue=obj, satisfaction=rating, recorded_by=member)
        IssueFeedback.objects.filter(pk=fb.pk).update(recorded_at=rated or resolved or at(YEAR, 3, 2))
    return obj


@pytest.fixture
def office_handler(town, office):
    """A handler of 社会治安和应急管理办 (organises 优秀网格 and 先锋网格员)."""
    from members.enums import MemberRole, PositionKind

    from ..factories import MemberFactory, PositionFactory, UserFactory

    user = UserFactory(username="office_handler")
    member = MemberFactory(name="office_handler", role=MemberRole.TOWN_CADRE, home=town.town, user=user)
    PositionFactory(member=member, kind=PositionKind.DEPT_HANDLER, place=town.town, department=office)
    return user


def fill_all(user, round_):
    for award_type in round_.types.all():
        services.nomination_fill(user=user, award_type=award_type)


@pytest.fixture
def published(town, round_):
    """The persona town's round, filled from the rankings, approved and published."""
    staff, leader = town.user("town_staff"), town.user("leader")
    services.round_open(user=staff, round_=round_)
    fill_all(staff, round_)
    services.round_submit(user=staff, round_=round_)
    services.round_approve(user=leader, round_=round_)
    services.round_publish(user=leader, round_=round_)
    round_.refresh_from_db()
    return round_
