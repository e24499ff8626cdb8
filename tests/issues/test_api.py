"""API: the same services and scoping as the pages; filters; one endpoint per action; OpenAPI."""

import pytest

from issues.enums import Urgency
from issues.models import Issue

from .conftest import at


def _ids(response):
    return sorted(row["id"] for row in response.json()["results"])


def test_the_ladder_through_the_api(town, login, category):
    member = login(town.user("member_a"))
    created = member.post(
        "/api/issues/",
        {
            "household": town.ha1.pk,
            "category": category.pk,
            "description": "水管爆裂",
            "escalate_reason": "需专业维修",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    issue_id = created.json()["id"]
    assert (created.json()["level"], created.json()["version"]) == ("grid", 2)

    head = login(town.user("grid_head_a1"))
    r = head.post(
        f"/api/issues/{issue_id}/escalate/",
        {"version": 2, "reason": "网格无法处理"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["level"]) == (200, "village")
    officer = login(town.user("officer_a"))
    r = officer.post(
        f"/api/issues/{issue_id}/escalate/", {"version": 3, "reason": "报镇"}, content_type="application/json"
    )
    staff = login(town.user("town_staff"))
    r = staff.post(
        f"/api/issues/{issue_id}/whistle/",
        {"version": 4, "departments": [town.department.pk, town.other_department.pk], "kind": "emergency"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "whistled"
    assignments = {a["department"]: a["id"] for a in r.json()["assignments"]}

    handler = login(town.user("handler"))
    # the handler sees both shares of an issue whistled to them (as on the detail page) and filters to theirs
    assert _ids(handler.get("/api/issue-assignments/")) == sorted(assignments.values())
    mine = handler.get(f"/api/issue-assignments/?department={town.department.pk}&status=pending")
    assert _ids(mine) == [assignments[town.department.pk]]
    r = handler.post(
        f"/api/issue-assignments/{assignments[town.department.pk]}/reply/",
        {"version": 1, "result": "已抢修"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["status"]) == (200, "replied")
    other = login(town.user("other_handler"))
    r = other.post(
        f"/api/issue-assignments/{assignments[town.other_department.pk]}/send-back/",
        {"version": 1, "reason": "非本局职责"},
        content_type="application/json",
    )
    assert r.status_code == 200
    staff = login(town.user("town_staff"))
    r = staff.post(
        f"/api/issues/{issue_id}/resolve/",
        {"version": 6, "result": "已抢修完毕"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["status"]) == (200, "resolved")
    member = login(town.user("member_a"))
    r = member.post(
        f"/api/issues/{issue_id}/feedback/",
        {"version": 7, "satisfaction": "unsatisfied", "note": "又漏了"},
        content_type="application/json",
    )
    assert (r.json()["status"], r.json()["level"]) == ("open", "centre")
    events = member.get(f"/api/issues/{issue_id}/events/").json()["results"]
    assert [e["action"] for e in events][-3:] == ["resolve", "feedback", "reopen"]


def test_refusals_and_conflicts_are_400_and_409(town, login, ladder):
    issue = ladder.to_grid()
    head = login(town.user("grid_head_a1"))
    r = head.post(
        f"/api/issues/{issue.pk}/escalate/", {"version": 2, "reason": ""}, content_type="application/json"
    )
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "上报必须说明理由", "code": "invalid", "field": None},
    )
    r = head.post(
        f"/api/issues/{issue.pk}/escalate/",
        {"version": 2, "reason": "x", "to_level": "centre"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不能越级上报" in r.json()["detail"]
    r = head.post(
        f"/api/issues/{issue.pk}/resolve/", {"version": 1, "result": "x"}, content_type="application/json"
    )
    assert (r.status_code, r.json()) == (
        409,
        {"detail": "已被他人处理,请刷新后重试", "code": "conflict", "field": None},
    )
    r = head.post(f"/api/issues/{issue.pk}/resolve/", {"result": "x"}, content_type="application/json")
    assert r.status_code == 400 and "version" in r.json()
    r = login(town.user("officer_a")).post(
        f"/api/issues/{issue.pk}/resolve/", {"version": 2, "result": "x"}, content_type="application/json"
    )
    assert (r.status_code, r.json()) == (
        403,
        {"detail": "不在您的办理层级或范围", "code": "not_allowed", "field": None},
    )
    r = login(town.user("officer_b")).post(
        f"/api/issues/{issue.pk}/resolve/", {"version": 2, "result": "x"}, content_type="application/json"
    )
    assert r.status_code == 404
    issue.refresh_from_db()
    assert (issue.level, issue.status, issue.version) == ("grid", "open", 2)


def test_api_raise_refuses_households_outside_the_area(town, login, category):
    r = login(town.user("member_a")).post(
        "/api/issues/",
        {"household": town.hb1.pk, "category": category.pk, "description": "x"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "不能为您看不到的户提出诉求", "code": "invalid", "field": None},
    )
    assert not Issue.objects.exists()


def test_department_cannot_answer_another_departments_assignment_via_api(town, login, ladder):
    issue = ladder.whistled()
    ours = issue.assignments.get(department=town.department)
    r = login(town.user("other_handler")).post(
        f"/api/issue-assignments/{ours.pk}/reply/",
        {"version": 1, "result": "x"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()) == (
        403,
        {"detail": "不是交办给您部门的事项", "code": "not_allowed", "field": None},
    )
    # a handler with no link to the issue does not even see the assignment
    r = login(town.user("officer_b")).post(
        f"/api/issue-assignments/{ours.pk}/reply/",
        {"version": 1, "result": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("member_a", {"a_grid", "a_village", "a_centre"}),
        ("member_b", {"b_grid"}),
        ("grid_head_a1", {"a_grid", "a_village", "a_centre"}),
        ("officer_b", {"b_grid"}),
        ("town_staff", {"a_grid", "a_village", "a_centre", "b_grid"}),
        ("discipline", {"a_grid", "a_village", "a_centre", "b_grid"}),
        ("handler", {"a_centre"}),
        ("other_handler", set()),
    ],
)
def test_issue_list_is_scoped(town, login, ladder, raise_issue, persona, expected):
    named = {
        "a_grid": ladder.to_grid(),
        "a_village": ladder.to_village(),
        "a_centre": ladder.whistled(departments=[town.department]),
        "b_grid": raise_issue(persona="member_b", household=town.hb1, escalate_reason="x"),
    }
    client = login(town.user(persona))
    assert _ids(client.get("/api/issues/")) == sorted(named[k].pk for k in expected)
    events = client.get("/api/issue-events/").json()["results"]
    assert {e["issue"] for e in events} == {named[k].pk for k in expected}


def test_issue_filters(town, login, ladder, raise_issue, clock):
    clock.set(at(2024, 3, 1, 10))
    grid = ladder.to_grid()
    emergency = ladder.whistled(departments=[town.department], kind="emergency", urgency=Urgency.EMERGENCY)
    clock.set(at(2024, 3, 5, 10))
    b = raise_issue(persona="member_b", household=town.hb1, escalate_reason="x")
    client = login(town.user("town_staff"))
    base = "/api/issues/"
    assert _ids(client.get(base + "?status=whistled")) == [emergency.pk]
    assert _ids(client.get(base + "?level=grid")) == sorted([grid.pk, b.pk])
    assert _ids(client.get(base + f"?village={town.village_b.pk}")) == [b.pk]
    assert _ids(client.get(base + f"?grid={town.grid_a1.pk}")) == sorted([grid.pk, emergency.pk])
    assert _ids(client.get(base + f"?department={town.department.pk}")) == [emergency.pk]
    assert _ids(client.get(base + "?whistle_kind=emergency")) == [emergency.pk]
    assert _ids(client.get(base + "?overdue=true")) == sorted(
        [grid.pk, emergency.pk]
    )  # 24 h and 3 days passed
    assert _ids(client.get(base + "?overdue=false")) == [b.pk]
    assert _ids(client.get(base + "?raised_from=2024-03-02")) == [b.pk]
    assert _ids(client.get(base + "?raised_to=2024-03-01")) == sorted([grid.pk, emergency.pk])
    # a village the user cannot see is not a valid filter value
    assert login(town.user("officer_a")).get(base + f"?village={town.village_b.pk}").status_code == 400


def test_supervise_via_api(town, login, ladder, clock):
    clock.set(at(2024, 3, 1, 10))
    issue = ladder.whistled(departments=[town.department])
    r = login(town.user("discipline")).post(
        f"/api/issues/{issue.pk}/supervise/",
        {"note": "限期办结", "deadline": "2024-03-31"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["deadline"], r.json()["last_supervision_note"]) == (
        200,
        "2024-03-31T23:59:59+08:00",
        "限期办结",
    )
    r = login(town.user("officer_a")).post(
        f"/api/issues/{issue.pk}/supervise/",
        {"note": "x", "deadline": "2024-03-31"},
        content_type="application/json",
    )
    assert r.status_code == 403  # not the centre nor the discipline commission


def test_api_list_query_count_does_not_grow(town, login, ladder, django_assert_max_num_queries):
    for _ in range(5):
        ladder.whistled(departments=[town.department])
    client = login(town.user("town_staff"))
    with django_assert_max_num_queries(10):
        response = client.get("/api/issues/")
    assert response.json()["count"] == 5


def test_openapi_schema_lists_the_issue_endpoints(town, login):
    schema = login(town.user("town_staff")).get("/api/schema/?format=json").json()
    paths = set(schema["paths"])
    assert {
        "/api/issues/",
        "/api/issues/{id}/escalate/",
        "/api/issues/{id}/resolve/",
        "/api/issues/{id}/whistle/",
        "/api/issues/{id}/return/",
        "/api/issues/{id}/supervise/",
        "/api/issues/{id}/feedback/",
        "/api/issues/{id}/events/",
        "/api/issue-events/",
        "/api/issue-assignments/{id}/accept/",
        "/api/issue-assignments/{id}/reply/",
        "/api/issue-assignments/{id}/send-back/",
    } <= paths


def test_api_needs_login(client, town):
    assert client.get("/api/issues/").status_code in (401, 403)
