"""Pages: every page with the right persona and a wrong one, exact content, bounded queries."""

import datetime

import pytest
from django.urls import reverse

from issues.enums import Urgency
from issues.models import Issue, IssueFeedback, WhistleAssignment
from issues.services import assignment_reply, issue_resolve

from .conftest import at


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- who may open which page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,allowed,refused",
    [
        (
            reverse("issues:queue", args=["grid"]),
            ["grid_head_a1", "grid_head_b1"],
            ["member_a", "officer_a", "handler"],
        ),
        (
            reverse("issues:queue", args=["village"]),
            ["officer_a", "officer_b"],
            ["grid_head_a1", "member_a", "handler"],
        ),
        (
            reverse("issues:queue", args=["centre"]),
            ["town_staff", "leader", "discipline"],
            ["officer_a", "grid_head_a1", "member_a", "handler"],
        ),
        (reverse("issues:department"), ["handler", "other_handler"], ["town_staff", "officer_a", "member_a"]),
    ],
)
def test_queue_pages_by_persona(town, login, url, allowed, refused):
    for persona in allowed:
        assert login(town.user(persona)).get(url).status_code == 200, persona
    for persona in refused:
        assert login(town.user(persona)).get(url).status_code == 403, persona


def test_pages_need_login(client, town):
    for url in [reverse("issues:mine"), reverse("issues:raise"), reverse("issues:queue", args=["centre"])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_queue_is_404(town, login):
    assert login(town.user("town_staff")).get("/issues/queue/nowhere/").status_code == 404


@pytest.mark.parametrize(
    "persona,visible",
    [
        ("member_a", True),
        ("grid_head_a1", True),
        ("officer_a", True),
        ("town_staff", True),
        ("discipline", True),
        ("member_b", False),
        ("grid_head_b1", False),
        ("officer_b", False),
        ("handler", False),
        ("other_handler", False),
    ],
)
def test_detail_scoping(town, login, ladder, persona, visible):
    issue = ladder.to_village()
    response = login(town.user(persona)).get(reverse("issues:detail", args=[issue.pk]))
    assert response.status_code == (200 if visible else 404)


def test_handler_sees_only_issues_whistled_to_their_department(town, login, ladder):
    issue = ladder.whistled(departments=[town.department])
    assert login(town.user("handler")).get(reverse("issues:detail", args=[issue.pk])).status_code == 200
    assert login(town.user("other_handler")).get(reverse("issues:detail", args=[issue.pk])).status_code == 404


# --- the ladder through the pages ----------------------------------------------------------------------


def test_member_raises_from_a_contact_and_the_ladder_runs_through_the_pages(
    town, login, category, contact_for
):
    contact = contact_for()
    client = login(town.user("member_a"))
    page = client.get(reverse("issues:raise") + f"?contact={contact.pk}")
    assert page.context["form"].initial["description"] == "路灯坏了三个月,晚上出行不便"
    assert page.context["form"].initial["household"] == town.ha1.pk
    response = client.post(
        reverse("issues:raise") + f"?contact={contact.pk}",
        {
            "household": town.ha1.pk,
            "kind": "demand",
            "category": category.pk,
            "urgency": "normal",
            "description": "路灯坏了三个月",
            "outcome": "escalate",
            "note": "需要电工",
        },
    )
    issue = Issue.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("issues:detail", args=[issue.pk])
    assert (issue.contact, issue.level, issue.raised_by) == (contact, "grid", town.members["member_a"])

    head = login(town.user("grid_head_a1"))
    queue = head.get(reverse("issues:queue", args=["grid"]))
    assert [i.pk for i in queue.context["page"]] == [issue.pk]
    assert queue.context["waiting_count"] == 1
    detail = head.get(reverse("issues:detail", args=[issue.pk]))
    assert set(detail.context["forms"]) == {"escalate", "resolve"}
    head.post(reverse("issues:escalate", args=[issue.pk]), {"version": 2, "reason": "网格无法解决"})
    issue.refresh_from_db()
    assert issue.level == "village"

    officer = login(town.user("officer_a"))
    assert [i.pk for i in officer.get(reverse("issues:queue", args=["village"])).context["page"]] == [
        issue.pk
    ]
    officer.post(reverse("issues:escalate", args=[issue.pk]), {"version": 3, "reason": "报镇中心"})

    staff = login(town.user("town_staff"))
    desk = staff.get(reverse("issues:queue", args=["centre"]))
    assert [i.pk for i in desk.context["page"]] == [issue.pk]
    staff.post(
        reverse("issues:whistle", args=[issue.pk]),
        {
            "version": 4,
            "departments": [town.department.pk, town.other_department.pk],
            "kind": "routine",
            "note": "",
        },
    )
    assert WhistleAssignment.objects.filter(issue=issue).count() == 2

    ours = WhistleAssignment.objects.get(department=town.department)
    theirs = WhistleAssignment.objects.get(department=town.other_department)
    handler = login(town.user("handler"))
    dept = handler.get(reverse("issues:department"))
    assert [a.pk for a in dept.context["page"]] == [ours.pk]
    handler.post(reverse("issues:assignment", args=[ours.pk, "accept"]), {"version": 1})
    handler.post(
        reverse("issues:assignment", args=[ours.pk, "reply"]), {"version": 2, "result": "已更换路灯"}
    )
    other = login(town.user("other_handler"))
    other.post(
        reverse("issues:assignment", args=[theirs.pk, "send-back"]), {"version": 1, "reason": "非本部门职责"}
    )
    issue.refresh_from_db()
    assert (issue.level, issue.status) == ("centre", "review")

    staff = login(town.user("town_staff"))
    staff.post(reverse("issues:resolve", args=[issue.pk]), {"version": issue.version, "result": "路灯已修复"})
    issue.refresh_from_db()
    assert issue.status == "resolved"

    # the village and the raiser see the result
    officer = login(town.user("officer_a"))
    assert "路灯已修复" in officer.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    member = login(town.user("member_a"))
    mine = member.get(reverse("issues:mine"))
    assert "路灯已修复" in mine.content.decode()
    back = contact_for(summary="回访")
    response = member.post(
        reverse("issues:feedback", args=[issue.pk]),
        {"version": issue.version, "satisfaction": "satisfied", "note": "", "contact": back.pk},
    )
    issue.refresh_from_db()
    assert (issue.status, IssueFeedback.objects.get().contact) == ("closed", back)
    timeline = member.get(reverse("issues:detail", args=[issue.pk]))
    assert [e.action for e in timeline.context["events"]] == [
        "raise",
        "escalate",
        "escalate",
        "escalate",
        "whistle",
        "whistle",
        "accept",
        "reply",
        "send_back",
        "resolve",
        "feedback",
    ]


def test_refused_action_is_a_message_not_a_500(town, login, ladder):
    issue = ladder.to_grid()
    client = login(town.user("grid_head_a1"))
    response = client.post(
        reverse("issues:resolve", args=[issue.pk]), {"version": issue.version, "result": "  "}, follow=True
    )
    assert response.status_code == 200
    assert _messages(response) == ["办理结果: 该字段是必填项。"]
    response = client.post(
        reverse("issues:escalate", args=[issue.pk]),
        {"version": issue.version, "reason": "x", "to_level": "centre"},
        follow=True,
    )
    assert _messages(response) == ["不能越级上报,只有应急事项可由网格直接报镇中心"]
    issue.refresh_from_db()
    assert (issue.level, issue.version) == ("grid", 2)


def test_stale_form_says_someone_else_acted_first(town, login, ladder):
    issue = ladder.to_grid()
    client = login(town.user("grid_head_a1"))
    first = client.post(
        reverse("issues:escalate", args=[issue.pk]), {"version": 2, "reason": "上报"}, follow=True
    )
    assert _messages(first) == ["已保存"]
    response = client.post(
        reverse("issues:resolve", args=[issue.pk]), {"version": 2, "result": "已修"}, follow=True
    )
    assert _messages(response) == ["已被他人处理,请刷新后重试"]


def test_wrong_persona_posting_an_action_changes_nothing(town, login, ladder):
    issue = ladder.to_village()
    assert (
        login(town.user("officer_b"))
        .post(reverse("issues:resolve", args=[issue.pk]), {"version": 3, "result": "x"})
        .status_code
        == 404
    )
    response = login(town.user("grid_head_a1")).post(
        reverse("issues:resolve", args=[issue.pk]), {"version": 3, "result": "x"}, follow=True
    )
    assert _messages(response) == ["不在您的办理层级或范围"]
    issue.refresh_from_db()
    assert (issue.status, issue.version) == ("open", 3)


def test_handler_cannot_answer_another_departments_assignment(town, login, ladder):
    issue = ladder.whistled()
    ours = issue.assignments.get(department=town.department)
    response = login(town.user("other_handler")).post(
        reverse("issues:assignment", args=[ours.pk, "reply"]), {"version": 1, "result": "x"}, follow=True
    )
    assert _messages(response) == ["不是交办给您部门的事项"]
    ours.refresh_from_db()
    assert ours.status == "pending"


def test_discipline_supervises_and_the_handler_sees_it(town, login, ladder):
    issue = ladder.whistled(departments=[town.department])
    client = login(town.user("discipline"))
    detail = client.get(reverse("issues:detail", args=[issue.pk]))
    assert set(detail.context["forms"]) == {"supervise"}
    deadline = datetime.date.today() + datetime.timedelta(days=2)
    client.post(
        reverse("issues:supervise", args=[issue.pk]),
        {"note": "纪委督办:三日内办结", "deadline": deadline.isoformat()},
    )
    page = login(town.user("handler")).get(reverse("issues:department"))
    assert "纪委督办:三日内办结" in page.content.decode()


def test_emergency_can_be_sent_from_grid_to_centre_on_the_page(town, login, ladder):
    issue = ladder.to_grid(urgency=Urgency.EMERGENCY)
    client = login(town.user("grid_head_a1"))
    assert client.get(reverse("issues:detail", args=[issue.pk])).context["emergency_skip"] is True
    client.post(
        reverse("issues:escalate", args=[issue.pk]), {"version": 2, "reason": "山洪", "to_level": "centre"}
    )
    issue.refresh_from_db()
    assert issue.level == "centre"


# --- desk: filters, bulk whistle, overdue -------------------------------------------------------------


def test_desk_filters_and_counts(town, login, ladder, raise_issue, clock):
    clock.set(at(2024, 3, 1, 10))
    a = ladder.to_centre()
    b = ladder.to_centre(urgency=Urgency.URGENT)
    hb = raise_issue(persona="member_b", household=town.hb1, escalate_reason="x")
    clock.set(at(2024, 3, 10, 10))  # a and b are past their 3-day centre deadline
    client = login(town.user("town_staff"))
    desk = client.get(reverse("issues:queue", args=["centre"]))
    assert sorted(i.pk for i in desk.context["page"]) == [a.pk, b.pk]
    assert (desk.context["overdue"], desk.context["total"]) == (3, 3)
    assert "超期" in desk.content.decode()
    urgent = client.get(reverse("issues:queue", args=["centre"]) + "?urgency=urgent")
    assert [i.pk for i in urgent.context["page"]] == [b.pk]
    everything_b = client.get(
        reverse("issues:queue", args=["centre"]) + f"?show=all&village={town.village_b.pk}"
    )
    assert [i.pk for i in everything_b.context["page"]] == [hb.pk]


def test_bulk_whistle_from_the_desk(town, login, ladder):
    a = ladder.to_centre()
    b = ladder.to_centre()
    client = login(town.user("town_staff"))
    response = client.post(
        reverse("issues:desk-whistle"),
        {
            "pick": [f"{a.pk}:{a.version}", f"{b.pk}:{b.version - 1}"],
            "departments": [town.department.pk],
            "kind": "hard",
        },
        follow=True,
    )
    assert _messages(response) == [
        "已吹哨 1 件",
        f"#{b.pk}: 已被他人处理,请刷新后重试",
    ]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.whistle_kind, b.status) == ("whistled", "hard", "open")
    assert login(town.user("discipline")).post(reverse("issues:desk-whistle"), {}).status_code == 403


def test_queue_query_count_does_not_grow(town, login, ladder, django_assert_max_num_queries):
    client = login(town.user("town_staff"))
    ladder.to_centre()
    client.get(reverse("issues:queue", args=["centre"]))
    for _ in range(6):
        ladder.to_centre()
    with django_assert_max_num_queries(14):
        response = client.get(reverse("issues:queue", args=["centre"]) + "?show=all")
    assert len(response.context["page"]) == 7


@pytest.mark.parametrize(
    "persona,url_name,args",
    [
        ("grid_head_a1", "issues:queue", ["grid"]),
        ("officer_a", "issues:queue", ["village"]),
        ("member_a", "issues:mine", []),
        ("handler", "issues:department", []),
    ],
)
def test_other_queues_query_count_does_not_grow(
    town, login, ladder, persona, url_name, args, django_assert_max_num_queries
):
    for _ in range(3):
        ladder.whistled(departments=[town.department])
    for _ in range(3):
        ladder.to_grid()
        ladder.to_village()
    client = login(town.user(persona))
    with django_assert_max_num_queries(12):
        response = client.get(reverse(url_name, args=args) + ("?show=all" if args else ""))
    assert response.status_code == 200
    assert (
        len(response.context["page"])
        == {"grid_head_a1": 9, "officer_a": 9, "member_a": 9, "handler": 3}[persona]
    )


def test_detail_query_count_does_not_grow_with_events(town, login, ladder, django_assert_max_num_queries):
    issue = ladder.whistled()
    for a in issue.assignments.all():
        persona = "handler" if a.department_id == town.department.pk else "other_handler"
        assignment_reply(user=town.user(persona), assignment_id=a.pk, version=1, result="办好了")
    issue.refresh_from_db()
    issue_resolve(user=town.user("town_staff"), issue_id=issue.pk, version=issue.version, result="结")
    client = login(town.user("town_staff"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("issues:detail", args=[issue.pk]))
    assert len(response.context["events"]) == 9


def test_my_issues_lists_only_mine(town, login, raise_issue):
    mine = raise_issue(escalate_reason="x")
    raise_issue(persona="member_b", household=town.hb1)
    page = login(town.user("member_a")).get(reverse("issues:mine"))
    assert [i.pk for i in page.context["page"]] == [mine.pk]


def test_raise_refuses_a_household_code_outside_the_area(town, login, category):
    response = login(town.user("member_a")).post(
        reverse("issues:raise"),
        {
            "household_code": town.hb1.code,
            "kind": "demand",
            "category": category.pk,
            "urgency": "normal",
            "description": "x",
            "outcome": "keep",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["household_code"] == ["找不到该户或不在您的范围"]
    assert not Issue.objects.exists()


def test_raise_ignores_someone_elses_contact(town, login, contact_for):
    contact = contact_for(persona="member_a")
    page = login(town.user("member_b")).get(reverse("issues:raise") + f"?contact={contact.pk}")
    assert page.context["contact"] is None
    assert "description" not in page.context["form"].initial
