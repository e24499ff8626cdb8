"""The city tier: city posts' scope, the city dashboard, compliance by town, the department league table and a
department's whistles by town; each page tried with every persona of tests/personas.py."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.enums import DepartmentKind, PlaceKind
from issues.enums import AssignmentStatus, IssueAction, IssueLevel, IssueStatus, WhistleKind
from issues.models import Issue, IssueCategory, IssueEvent, WhistleAssignment
from members.access import require_write, scope_for
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link
from reports import city as figures
from reports.periods import custom_period
from tests.factories import (
    DepartmentFactory,
    HouseholdFactory,
    LinkFactory,
    MemberFactory,
    PlaceFactory,
    PositionFactory,
    UserFactory,
)
from tests.personas import START
from visits.services import contact_record

CITY_PERSONAS = {"city_leader", "city_office"}


@pytest.fixture
def town(town):
    """The personas of tests/personas.py plus the city tier's: a city leader (city post, 联点 link to the town)
    and the city campaign office (city post). Added here, not in tests/personas.py, so that the figures other
    tests count by hand for the personas' town do not change."""

    def persona(key, role, kind):
        user = UserFactory(username=key)
        member = MemberFactory(name=key, role=role, home=town.city, user=user)
        PositionFactory(member=member, kind=kind, place=town.city, start_date=START)
        town.users[key], town.members[key] = user, member
        return member

    leader = persona("city_leader", MemberRole.CITY_LEADER, PositionKind.CITY_LEADER)
    persona("city_office", MemberRole.CITY_DEPT_HEAD, PositionKind.CITY_OFFICE)
    Link.objects.create(member=leader, link_type=LinkType.CITY_TOWN, place=town.town, start_date=START)
    return town


def _second_town(town, name="金洲镇", code="T02"):
    """Another town of the city with one village, grid and household, a linked member and one contact."""
    other = PlaceFactory(kind=PlaceKind.TOWN, name=name, code=code, parent=town.city)
    village = PlaceFactory(kind=PlaceKind.VILLAGE, name=f"{name}村", code=f"{code}V", parent=other)
    grid3 = PlaceFactory(kind=PlaceKind.GRID3, name=f"{name}网格", code=f"{code}G", parent=village)
    grid4 = PlaceFactory(kind=PlaceKind.GRID4, name=f"{name}一组", code=f"{code}g", parent=grid3)
    households = [HouseholdFactory(grid=grid4) for _ in range(2)]
    user = UserFactory(username=f"m_{code}")
    member = MemberFactory(name=f"m_{code}", role=MemberRole.PARTY_MEMBER, home=grid4, user=user)
    LinkFactory(member=member, household=households[0], link_type=LinkType.PARTY_HOUSEHOLD, start_date=START)
    contact_record(
        user=user,
        kind="home_visit",
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        duties=["policy"],
        summary="",
        client_id=uuid.uuid4(),
        household=households[0],
    )
    return other, households


def _issue(household, member, *, status=IssueStatus.WHISTLED, deadline=None):
    category, _ = IssueCategory.objects.get_or_create(name="其他")
    return Issue.objects.create(
        category=category,
        description="路灯坏了",
        household=household,
        raised_by=member,
        level=IssueLevel.DEPARTMENT,
        status=status,
        deadline=deadline,
    )


def _assign(issue, department, *, status, deadline, answered_at=None, whistled_at=None):
    return WhistleAssignment.objects.create(
        issue=issue,
        department=department,
        kind=WhistleKind.ROUTINE,
        status=status,
        deadline=deadline,
        whistled_at=whistled_at or timezone.now() - datetime.timedelta(days=3),
        answered_at=answered_at,
    )


# --- scope ------------------------------------------------------------------------------------------------


def test_city_posts_see_the_city_read_only(town):
    for persona in CITY_PERSONAS:
        scope = scope_for(town.user(persona))
        assert scope.city_paths == (town.city.path,) and scope.paths == (town.city.path,)
        assert scope.write_paths == () and scope.is_city_viewer
        with pytest.raises(PermissionDenied):
            require_write(scope, town.ha2)
    assert scope_for(town.user("city_leader")).linked_town_paths == (town.town.path,)
    for persona in set(town.users) - CITY_PERSONAS:
        scope = scope_for(town.user(persona))
        assert scope.city_paths == () and not scope.is_city_viewer


def test_a_city_leader_link_alone_shows_the_linked_town_in_full_read_only(town, login):
    user = UserFactory(username="linked_only")
    leader = MemberFactory(name="联点市领导", role=MemberRole.CITY_LEADER, home=town.city, user=user)
    Link.objects.create(member=leader, link_type=LinkType.CITY_TOWN, place=town.town, start_date=START)
    other, _ = _second_town(town)
    scope = scope_for(user)
    assert scope.paths == (town.town.path,) and scope.linked_town_paths == (town.town.path,)
    assert scope.write_paths == () and scope.city_paths == ()
    client = login(user)
    assert client.get(f"/reports/places/{town.town.pk}/").status_code == 200
    assert client.get(f"/visits/compliance/{town.town.pk}/").status_code == 200
    assert client.get(f"/reports/places/{town.village_b.pk}/").status_code == 200
    assert client.get(f"/reports/places/{other.pk}/").status_code == 404
    assert client.get(f"/reports/city/{town.city.pk}/").status_code == 404
    assert client.get("/reports/").url == f"/reports/places/{town.town.pk}/"
    assert client.get("/visits/compliance/").url == f"/visits/compliance/{town.town.pk}/"
    # Their own 联点 contact (an on-site day at the town) is still theirs to record.
    assert scope.own_place_ids == (town.town.pk,)
    with pytest.raises(PermissionDenied):
        require_write(scope, town.ha1)


def test_city_post_needs_a_city_place(town):
    from django.core.exceptions import ValidationError

    position = PositionFactory.build(
        member=town.members["town_staff"], kind=PositionKind.CITY_OFFICE, place=town.town, start_date=START
    )
    with pytest.raises(ValidationError):
        position.clean()


# --- every page with every persona ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/reports/city/{city}/",
        "/reports/city/{city}/departments/",
        "/visits/compliance/{city}/",
        "/api/compliance/places/{city}/",
    ],
)
def test_city_pages_open_for_city_posts_only(town, login, url):
    url = url.format(city=town.city.pk)
    for persona in town.users:
        response = login(town.user(persona)).get(url)
        expected = 200 if persona in CITY_PERSONAS else 404
        assert response.status_code == expected, (persona, response.status_code)


def test_city_home_redirects_city_posts_and_refuses_the_others(town, login):
    for persona in town.users:
        client = login(town.user(persona))
        response = client.get("/reports/city/")
        if persona in CITY_PERSONAS:
            assert response.url == f"/reports/city/{town.city.pk}/"
            assert client.get("/reports/").url == f"/reports/city/{town.city.pk}/"
            assert client.get("/visits/compliance/").url == f"/visits/compliance/{town.city.pk}/"
        else:
            assert response.status_code == 403, persona


def test_superuser_opens_the_city(town, login):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login(admin)
    for url in (f"/reports/city/{town.city.pk}/", f"/visits/compliance/{town.city.pk}/"):
        assert client.get(url).status_code == 200
    assert client.get(f"/api/compliance/places/{town.city.pk}/").status_code == 200


def test_department_page_for_handlers_only(town, login):
    for persona in town.users:
        response = login(town.user(persona)).get("/reports/city/department/")
        expected = 200 if persona in {"handler", "other_handler"} else 403
        assert response.status_code == expected, persona


def test_city_leader_drills_into_every_town_but_changes_nothing(town, login):
    other, households = _second_town(town)
    client = login(town.user("city_office"))
    assert client.get(f"/reports/places/{other.pk}/").status_code == 200
    assert client.get(f"/visits/compliance/{other.pk}/").status_code == 200
    assert client.get(f"/visits/households/{households[0].pk}/").status_code == 200
    response = client.post(
        f"/visits/households/{households[0].pk}/record/",
        {"kind": "home_visit", "occurred_at": "2026-11-30T10:00", "duties": ["policy"]},
    )
    assert response.status_code in (403, 404)


# --- figures --------------------------------------------------------------------------------------------


def _period():
    today = timezone.localdate()
    return custom_period(today - datetime.timedelta(days=30), today)


def take_snapshots():
    """The towns' compliance snapshots, as the scheduled job `compliance_snapshots` takes them (the city
    pages read them instead of judging every link of the city)."""
    from dispatch.jobs import job_run

    assert job_run(job="compliance_snapshots", town=None).status == "done"


def test_city_dashboard_has_a_row_per_town_and_town_staff_see_neither(town, login):
    other, _ = _second_town(town)
    take_snapshots()
    client = login(town.user("city_office"))
    response = client.get(f"/reports/city/{town.city.pk}/")
    rows = {r["place"].name: r for r in response.context["towns"]}
    assert set(rows) == {"双凫铺镇", "金洲镇"}
    assert (rows["双凫铺镇"]["households"], rows["双凫铺镇"]["uncovered"]) == (4, 2)
    assert (rows["金洲镇"]["households"], rows["金洲镇"]["uncovered"]) == (2, 1)
    assert response.context["coverage"]["households"] == 6
    assert rows["金洲镇"]["links"] == 1 and rows["双凫铺镇"]["links"] == 4  # 3 + the 联镇 link
    assert "one-town" not in response.content.decode()
    leader = login(town.user("city_leader")).get(f"/reports/city/{town.city.pk}/")
    assert [r["linked"] for r in leader.context["towns"] if r["place"] == town.town] == [True]
    # A town's staff: their own town, never the other town or the city.
    staff = login(town.user("town_staff"))
    assert staff.get(f"/reports/places/{town.town.pk}/").status_code == 200
    assert staff.get(f"/reports/places/{other.pk}/").status_code == 404
    assert staff.get(f"/visits/compliance/{other.pk}/").status_code == 404
    assert staff.get(f"/api/compliance/places/{other.pk}/").status_code == 404
    assert staff.get(f"/reports/city/{town.city.pk}/").status_code == 404


def test_one_town_says_so(town, login):
    response = login(town.user("city_office")).get(f"/reports/city/{town.city.pk}/")
    assert 'id="one-town"' in response.content.decode()


def test_city_compliance_rows_are_towns_linking_to_town_pages(town, login):
    other, _ = _second_town(town)
    response = login(town.user("city_leader")).get(f"/visits/compliance/{town.city.pk}/")
    rows = {r["name"]: r for r in response.context["summary"]["rows"]}
    assert set(rows) == {"双凫铺镇", "金洲镇"}
    assert rows["金洲镇"]["url"] == f"/visits/compliance/{other.pk}/"
    api_client = login(town.user("city_office"))
    url = f"/api/compliance/places/{town.city.pk}/"
    before = api_client.get(url).json()  # no snapshot yet: each town says so, nothing is judged live
    assert before["totals"]["total"] == 0 and before["computed_at"] is None
    assert {r["name"]: r["computed_at"] for r in before["rows"]} == {"双凫铺镇": None, "金洲镇": None}
    take_snapshots()
    with CaptureQueriesContext(connection) as queries:
        api = api_client.get(url).json()
    assert api["totals"]["total"] == 5  # 双凫铺镇 3 + the 联镇 link, 金洲镇 1
    assert api["computed_at"] and all(r["computed_at"] for r in api["rows"])
    assert {r["name"]: r["total"] for r in api["rows"]} == {"双凫铺镇": 4, "金洲镇": 1}
    assert len(queries.captured_queries) <= 12, [q["sql"][:100] for q in queries.captured_queries]
    # A town's own figures stay live and carry no snapshot time.
    town_api = api_client.get(f"/api/compliance/places/{other.pk}/").json()
    assert town_api["totals"]["total"] == 1 and town_api["computed_at"] is None


def test_city_dashboard_query_count_does_not_grow_with_towns(town, login):
    client = login(town.user("city_office"))
    url = f"/reports/city/{town.city.pk}/"
    client.get(url)  # warm caches (sessions, rules)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _second_town(town, "金洲镇", "T02")
    _second_town(town, "道林镇", "T03")
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert len(response.context["towns"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries), [
        q["sql"][:120] for q in three.captured_queries
    ]
    assert len(one.captured_queries) <= 30


def test_department_league_counts_on_time_overdue_and_returned(town):
    now = timezone.now()
    other, households = _second_town(town)
    member = town.members["member_a"]
    water = town.other_department  # 市水利局, a city department
    office = town.department  # 社会事务办, a town office
    past = now - datetime.timedelta(days=1)
    future = now + datetime.timedelta(days=2)
    # 市水利局: on time (town 1), answered late (town 2), overdue (town 2), open within its deadline.
    _assign(
        _issue(town.ha1, member), water, status=AssignmentStatus.REPLIED, deadline=future, answered_at=now
    )
    _assign(
        _issue(households[0], member),
        water,
        status=AssignmentStatus.REPLIED,
        deadline=past - datetime.timedelta(days=1),
        answered_at=past,
    )
    _assign(_issue(households[1], member), water, status=AssignmentStatus.PENDING, deadline=past)
    _assign(_issue(town.hb1, member), water, status=AssignmentStatus.ACCEPTED, deadline=future)
    # 社会事务办: sent back once, returned for redoing once and answered on time since.
    returned = _issue(town.ha2, member)
    _assign(returned, office, status=AssignmentStatus.REPLIED, deadline=future, answered_at=now)
    _assign(_issue(town.ha3, member), office, status=AssignmentStatus.SENT_BACK, deadline=future)
    IssueEvent.objects.create(
        issue=returned, action=IssueAction.RETURN, department=office, actor_name="中心", note="重办"
    )
    # Outside the city: another city's department and town count nowhere here.
    elsewhere = PlaceFactory(kind=PlaceKind.CITY, name="浏阳市", code="C02")
    far_town = PlaceFactory(kind=PlaceKind.TOWN, name="远镇", code="T99", parent=elsewhere)
    far = HouseholdFactory(grid=PlaceFactory(kind=PlaceKind.GRID4, code="G99", parent=far_town))
    far_dept = DepartmentFactory(kind=DepartmentKind.CITY_DEPT, name="浏阳水利局", place=elsewhere)
    _assign(_issue(far, member), far_dept, status=AssignmentStatus.PENDING, deadline=past)

    rows = {r["department__name"]: r for r in figures.department_league(city=town.city, period=_period())}
    assert set(rows) == {"市水利局", "社会事务办"}
    w, o = rows["市水利局"], rows["社会事务办"]
    assert (w["total"], w["on_time"], w["late"], w["overdue"], w["open"], w["returned"]) == (4, 1, 1, 1, 2, 0)
    assert w["share_on_time"] == round(1 / 3, 4)
    assert (o["total"], o["on_time"], o["sent_back"], o["returned"], o["share_on_time"]) == (2, 1, 1, 1, 1.0)
    assert [o["rank"], w["rank"]] == [1, 2]

    # The city department's handler: its whistles from both towns, overdue counted per town.
    data = figures.department_by_town(user=town.user("other_handler"))
    by_town = {r["name"]: r for r in data["towns"]}
    assert set(by_town) == {"双凫铺镇", "金洲镇"}
    assert (by_town["金洲镇"]["total"], by_town["金洲镇"]["overdue"], by_town["金洲镇"]["late"]) == (2, 1, 1)
    assert (by_town["双凫铺镇"]["total"], by_town["双凫铺镇"]["open"]) == (2, 1)
    assert [a.department_id for a in data["open"]] == [water.pk, water.pk]
    # The town office's handler sees only its own department's.
    mine = figures.department_by_town(user=town.user("handler"))
    assert mine["totals"]["total"] == 2 and {r["name"] for r in mine["towns"]} == {"双凫铺镇"}


def test_department_pages_render(town, login):
    member = town.members["member_a"]
    _assign(
        _issue(town.ha1, member),
        town.other_department,
        status=AssignmentStatus.PENDING,
        deadline=timezone.now() - datetime.timedelta(hours=1),
        whistled_at=timezone.now(),
    )
    page = login(town.user("other_handler")).get("/reports/city/department/").content.decode()
    assert "双凫铺镇" in page and "overdue-n" in page
    league = login(town.user("city_office")).get(f"/reports/city/{town.city.pk}/departments/")
    assert [r["department__name"] for r in league.context["rows"]] == ["市水利局"]
