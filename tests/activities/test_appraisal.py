"""The member's entry in the yearly appraisal (reports' 年度考核, cadre sheet): volunteer hours, activities
attended, signed up but absent, required trainings missed — from the database in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.enums import RequiredGroup
from activities.models import Activity, SignUp
from members.enums import MemberRole, PositionKind
from members.models import Position
from reports.assessment import assessment_build

from ..factories import MemberFactory

pytestmark = pytest.mark.django_db


def _held(town, place, *, days_ago, **kw):
    starts = timezone.now() - datetime.timedelta(days=days_ago)
    return Activity.objects.create(
        station=services.station_for(place),
        title=kw.pop("title", "秋收助农"),
        kind=kw.pop("kind", "farming"),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location="村部",
        organiser=town.members["town_staff"],
        hours=Decimal(3),
        **kw,
    )


def _attend(activity, member, attended=True, hours="3"):
    SignUp.objects.create(
        activity=activity, member=member, attended=attended, hours=Decimal(hours if attended else 0)
    )


def test_member_entry_in_the_yearly_appraisal(town, login):
    if timezone.localdate().timetuple().tm_yday < 5:
        pytest.skip("needs a few days of the year behind")
    a_member, b_member = town.members["member_a"], town.members["member_b"]
    head_a, head_b = town.members["grid_head_a1"], town.members["grid_head_b1"]
    one = _held(town, town.village_a, days_ago=2)
    two = _held(town, town.town, days_ago=3)
    _attend(one, a_member, hours="2.5")
    _attend(two, a_member, hours="3")
    _attend(two, b_member, attended=False)  # signed up, did not come
    training = _held(
        town, town.town, days_ago=1, kind="training", title="网格长培训", required=RequiredGroup.GRID_HEADS
    )
    _attend(training, head_a)  # head_b1 missed it
    last_year = _held(town, town.town, days_ago=400)
    _attend(last_year, a_member, hours="8")  # another year: not counted
    year = timezone.localdate().year
    record = services.members_year_record(
        member_ids=[a_member.pk, b_member.pk, head_a.pk, head_b.pk], path=town.town.path, year=year
    )
    assert record[a_member.pk] == {"hours": Decimal("5.5"), "attended": 2, "absent": 0, "trainings_missed": 0}
    assert record[b_member.pk] == {"hours": Decimal(0), "attended": 0, "absent": 1, "trainings_missed": 0}
    assert record[head_a.pk]["trainings_missed"] == 0 and record[head_a.pk]["attended"] == 1
    assert record[head_b.pk] == {"hours": Decimal(0), "attended": 0, "absent": 0, "trainings_missed": 1}
    # only the village's activities for a village path; another town's path: nothing
    assert services.members_year_record(member_ids=[a_member.pk], path=town.village_a.path, year=year)[
        a_member.pk
    ]["hours"] == Decimal("2.5")
    # in the appraisal: each cadre's row carries it (stored with the sheet, JSON-friendly)
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=year)
    rows = {r["id"]: r for r in sheet["cadres"]}
    assert rows, "the personas' town has cadres with links"
    for mid, expected in record.items():
        if mid in rows:
            assert rows[mid]["activities"] == {**expected, "hours": float(expected["hours"])}
    assert any(mid in rows for mid in record)
    page = login(town.user("town_staff")).get(
        reverse("reports:assessment", args=[town.town.pk]), {"year": year}
    )
    assert page.status_code == 200 and 'id="volunteering"' in page.content.decode()


def test_trainings_missed_follow_the_post_held_on_the_day(town):
    """A grid head appointed after the training did not miss it; one whose post ended before it neither."""
    year = timezone.localdate().year
    training = _held(town, town.town, days_ago=1, kind="training", required=RequiredGroup.GRID_HEADS)
    day = timezone.localdate(training.starts_at)
    late = MemberFactory(name="late", role=MemberRole.PARTY_MEMBER, home=town.grid_a1a)
    Position.objects.create(
        member=late,
        kind=PositionKind.GRID_HEAD,
        place=town.grid_a1,
        start_date=day + datetime.timedelta(days=1),
    )
    gone = MemberFactory(name="gone", role=MemberRole.PARTY_MEMBER, home=town.grid_a1a)
    Position.objects.create(
        member=gone,
        kind=PositionKind.GRID_HEAD,
        place=town.grid_a1,
        start_date=datetime.date(year, 1, 1),
        end_date=day - datetime.timedelta(days=1),
    )
    record = services.members_year_record(member_ids=[late.pk, gone.pk], path=town.town.path, year=year)
    assert late.pk not in record and gone.pk not in record
    # the same rule as the training's own absentee list
    assert {m.name for m in services.absentees(training)} == {"grid_head_a1", "grid_head_b1"}


def test_queries_do_not_grow_with_members_and_trainings(town, django_assert_max_num_queries):
    year = timezone.localdate().year
    ids = [town.members[p].pk for p in ("member_a", "member_b", "grid_head_a1", "grid_head_b1")]
    with django_assert_max_num_queries(4):
        services.members_year_record(member_ids=ids, path=town.town.path, year=year)
    for i in range(5):
        t = _held(town, town.town, days_ago=1 + i, kind="training", required=RequiredGroup.GRID_HEADS)
        _attend(t, town.members["grid_head_a1"])
        extra = MemberFactory(name=f"m{i}", role=MemberRole.PARTY_MEMBER, home=town.grid_a1a)
        _attend(t, extra)
        ids.append(extra.pk)
    with django_assert_max_num_queries(4):
        record = services.members_year_record(member_ids=ids, path=town.town.path, year=year)
    assert record[town.members["grid_head_b1"].pk]["trainings_missed"] == 5


def test_assessment_ledger_carries_the_activities_columns(town):
    from reports.exports import assessment_sheets

    year = timezone.localdate().year
    one = _held(town, town.village_a, days_ago=0)
    _attend(one, town.members["member_a"], hours="2")
    sheet = assessment_build(user=town.user("town_staff"), town=town.town, year=year)
    cadres = assessment_sheets(sheet=sheet, town=town.town, year=year)[1]
    labels = [str(c.header) for c in cadres.columns]
    assert labels[-4:] == ["志愿服务时长", "参加活动", "报名未到", "缺席培训"]
    rows = {r[0]: r for r in cadres.rows}
    assert rows["member_a"][-4:] == [2.0, 1, 0, 0]
    # a sheet stored before the activities entry existed still exports (empty cells)
    for r in sheet["cadres"]:
        r.pop("activities")
    old = list(assessment_sheets(sheet=sheet, town=town.town, year=year)[1].rows)
    assert all(r[-4:] == [None, None, None, None] for r in old)
