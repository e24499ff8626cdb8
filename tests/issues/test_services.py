import datetime

import pytest

from grids.enums import DepartmentKind, PlaceKind
from issues.enums import Urgency
from issues.models import Issue, IssueEvent, IssueFeedback, WhistleAssignment
from issues.services import (
    IssueConflict,
    IssueError,
    assignment_accept,
    assignment_reply,
    assignment_send_back,
    issue_escalate,
    issue_feedback_record,
    issue_resolve,
    issue_return_to_department,
    issue_supervise,
    issue_whistle,
    issue_whistle_bulk,
)
from tests.factories import DepartmentFactory, PlaceFactory

from .conftest import at


def _trail(issue):
    return list(
        IssueEvent.objects.filter(issue=issue)
        .order_by("id")
        .values_list("action", "from_level", "to_level", "from_status", "to_status")
    )


def test_the_whole_ladder_from_a_contact_to_satisfaction(town, category, contact_for, raise_issue):
    contact = contact_for()
    issue = raise_issue(contact=contact, description=contact.summary, escalate_reason="需要电工,现场无法解决")
    assert (issue.contact, issue.level, issue.status, issue.version) == (contact, "grid", "open", 2)

    issue = issue_escalate(user=town.user("grid_head_a1"), issue_id=issue.pk, version=2, reason="网格无电工")
    issue = issue_escalate(user=town.user("officer_a"), issue_id=issue.pk, version=3, reason="需镇里协调资金")
    assert (issue.level, issue.status, issue.version) == ("centre", "open", 4)

    issue = issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=4,
        departments=[town.department, town.other_department],
        kind="routine",
        note="两部门协同",
    )
    assert (issue.level, issue.status, issue.whistle_kind, issue.version) == (
        "department",
        "whistled",
        "routine",
        5,
    )
    ours = WhistleAssignment.objects.get(issue=issue, department=town.department)
    theirs = WhistleAssignment.objects.get(issue=issue, department=town.other_department)
    assert (ours.status, theirs.status) == ("pending", "pending")

    ours = assignment_accept(user=town.user("handler"), assignment_id=ours.pk, version=1)
    ours = assignment_reply(
        user=town.user("handler"), assignment_id=ours.pk, version=2, result="已更换路灯3盏"
    )
    issue.refresh_from_db()
    assert (issue.level, issue.status) == ("department", "whistled")  # the city department still holds it
    theirs = assignment_send_back(
        user=town.user("other_handler"), assignment_id=theirs.pk, version=1, reason="不属于水利局职责"
    )
    issue.refresh_from_db()
    assert (issue.level, issue.status, issue.version) == ("centre", "review", 6)
    assert (ours.status, ours.result, theirs.status, theirs.reason) == (
        "replied",
        "已更换路灯3盏",
        "sent_back",
        "不属于水利局职责",
    )

    issue = issue_resolve(
        user=town.user("town_staff"), issue_id=issue.pk, version=6, result="社会事务办已更换路灯"
    )
    assert (issue.level, issue.status, issue.resolved_level, issue.result) == (
        "centre",
        "resolved",
        "centre",
        "社会事务办已更换路灯",
    )

    back = contact_for(summary="回访:路灯已亮")
    feedback = issue_feedback_record(
        user=town.user("member_a"), issue_id=issue.pk, version=7, satisfaction="satisfied", contact=back
    )
    issue.refresh_from_db()
    assert (issue.status, issue.satisfaction, feedback.contact, feedback.recorded_by) == (
        "closed",
        "satisfied",
        back,
        town.members["member_a"],
    )
    assert _trail(issue) == [
        ("raise", "", "on_spot", "", "open"),
        ("escalate", "on_spot", "grid", "open", "open"),
        ("escalate", "grid", "village", "open", "open"),
        ("escalate", "village", "centre", "open", "open"),
        ("whistle", "centre", "department", "open", "whistled"),
        ("whistle", "centre", "department", "open", "whistled"),
        ("accept", "department", "department", "whistled", "whistled"),
        ("reply", "department", "department", "whistled", "whistled"),
        ("send_back", "department", "centre", "whistled", "review"),
        ("resolve", "centre", "centre", "review", "resolved"),
        ("feedback", "centre", "centre", "resolved", "closed"),
    ]
    names = list(IssueEvent.objects.filter(issue=issue).order_by("id").values_list("actor_name", flat=True))
    assert names == ["member_a", "member_a", "grid_head_a1", "officer_a"] + ["town_staff"] * 2 + [
        "handler",
        "handler",
        "other_handler",
        "town_staff",
        "member_a",
    ]


def test_unsatisfied_reopens_at_the_level_that_resolved_it(town, ladder):
    issue = ladder.to_village()
    issue = issue_resolve(
        user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, result="已调解"
    )
    issue_feedback_record(
        user=town.user("member_a"),
        issue_id=issue.pk,
        version=issue.version,
        satisfaction="unsatisfied",
        note="仍未解决",
    )
    issue.refresh_from_db()
    assert (issue.level, issue.status, issue.satisfaction) == ("village", "open", "unsatisfied")
    assert _trail(issue)[-2:] == [
        ("feedback", "village", "village", "resolved", "resolved"),
        ("reopen", "village", "village", "resolved", "open"),
    ]
    assert IssueFeedback.objects.get(issue=issue).note == "仍未解决"
    # the village acts on it again; the grid head cannot
    with pytest.raises(IssueError):
        issue_resolve(user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, result="x")
    issue_resolve(
        user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, result="再次调解,已签协议"
    )


def test_unsatisfied_after_centre_close_reopens_at_the_centre_and_can_be_whistled_again(town, ladder):
    issue = ladder.whistled(departments=[town.department])
    assignment = issue.assignments.get()
    assignment_reply(user=town.user("handler"), assignment_id=assignment.pk, version=1, result="已处理")
    issue.refresh_from_db()
    issue = issue_resolve(
        user=town.user("town_staff"), issue_id=issue.pk, version=issue.version, result="已处理"
    )
    issue_feedback_record(
        user=town.user("member_a"),
        issue_id=issue.pk,
        version=issue.version,
        satisfaction="unsatisfied",
        note="没修好",
    )
    issue.refresh_from_db()
    assert (issue.level, issue.status) == ("centre", "open")
    issue = issue_whistle(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        departments=[town.department],
        kind="hard",
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.kind, assignment.result, issue.status) == (
        "pending",
        "hard",
        "",
        "whistled",
    )


def test_basically_satisfied_closes(town, ladder):
    issue = ladder.to_grid()
    issue = issue_resolve(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, result="已修"
    )
    issue_feedback_record(
        user=town.user("member_a"), issue_id=issue.pk, version=issue.version, satisfaction="basically"
    )
    issue.refresh_from_db()
    assert (issue.status, issue.satisfaction, issue.resolved_level) == ("closed", "basically", "grid")


def test_solved_on_the_spot(town, raise_issue):
    issue = raise_issue(solved_result="已当场解释政策")
    assert (issue.level, issue.status, issue.resolved_level, issue.result) == (
        "on_spot",
        "resolved",
        "on_spot",
        "已当场解释政策",
    )


def test_centre_returns_an_answer_to_the_department(town, ladder):
    issue = ladder.whistled(departments=[town.department])
    assignment = issue.assignments.get()
    assignment_reply(user=town.user("handler"), assignment_id=assignment.pk, version=1, result="已处理")
    issue.refresh_from_db()
    issue = issue_return_to_department(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        assignment_id=assignment.pk,
        reason="结果不实",
    )
    assignment.refresh_from_db()
    assert (issue.level, issue.status, assignment.status, assignment.reason) == (
        "department",
        "whistled",
        "pending",
        "结果不实",
    )
    assert _trail(issue)[-1] == ("return", "centre", "department", "review", "whistled")


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona,to_level",
    [
        ("member_a", "village"),
        ("member_a", "centre"),
        ("grid_head_a1", "centre"),
        ("grid_head_a1", "department"),
    ],
)
def test_escalate_rejects_skipping_a_level(town, raise_issue, persona, to_level):
    issue = raise_issue(escalate_reason="x") if persona == "grid_head_a1" else raise_issue()
    with pytest.raises(IssueError, match="越级"):
        issue_escalate(
            user=town.user(persona), issue_id=issue.pk, version=issue.version, reason="急", to_level=to_level
        )
    issue.refresh_from_db()
    assert issue.level == ("grid" if persona == "grid_head_a1" else "on_spot")


def test_village_cannot_skip_to_department(town, ladder):
    issue = ladder.to_village(urgency=Urgency.EMERGENCY)
    with pytest.raises(IssueError, match="越级"):
        issue_escalate(
            user=town.user("officer_a"),
            issue_id=issue.pk,
            version=issue.version,
            reason="急",
            to_level="department",
        )


def test_emergency_goes_from_grid_straight_to_the_centre(town, ladder):
    issue = ladder.to_grid(urgency=Urgency.EMERGENCY)
    issue = issue_escalate(
        user=town.user("grid_head_a1"),
        issue_id=issue.pk,
        version=issue.version,
        reason="山体滑坡",
        to_level="centre",
    )
    assert (issue.level, issue.status) == ("centre", "open")


def test_centre_takes_an_emergency_from_the_grid(town, ladder):
    issue = ladder.to_grid(urgency=Urgency.EMERGENCY)
    issue = issue_escalate(
        user=town.user("town_staff"),
        issue_id=issue.pk,
        version=issue.version,
        reason="中心提级",
        to_level="centre",
    )
    assert issue.level == "centre"
    assert IssueEvent.objects.filter(issue=issue).last().actor_name == "town_staff"


def test_centre_cannot_take_a_normal_issue_from_the_grid(town, ladder):
    issue = ladder.to_grid()
    with pytest.raises(IssueError, match="越级"):
        issue_escalate(
            user=town.user("town_staff"),
            issue_id=issue.pk,
            version=issue.version,
            reason="x",
            to_level="centre",
        )


@pytest.mark.parametrize("reason", ["", "   "])
def test_escalate_requires_a_reason(town, ladder, reason):
    issue = ladder.to_grid()
    with pytest.raises(IssueError, match="理由"):
        issue_escalate(
            user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, reason=reason
        )
    assert IssueEvent.objects.filter(issue=issue).count() == 2


@pytest.mark.parametrize(
    "persona", ["officer_a", "town_staff", "member_a", "handler", "discipline", "leader"]
)
def test_only_the_grid_head_acts_at_grid_level(town, ladder, persona):
    issue = ladder.to_grid()
    with pytest.raises(IssueError):
        issue_escalate(user=town.user(persona), issue_id=issue.pk, version=issue.version, reason="x")
    with pytest.raises(IssueError):
        issue_resolve(user=town.user(persona), issue_id=issue.pk, version=issue.version, result="x")


@pytest.mark.parametrize("persona", ["grid_head_b1", "officer_b", "member_b", "other_handler"])
def test_wrong_area_cannot_even_see_it(town, ladder, persona):
    issue = ladder.to_village()
    with pytest.raises(IssueError, match="诉求不存在"):
        issue_resolve(user=town.user(persona), issue_id=issue.pk, version=issue.version, result="x")


def test_village_b_officer_cannot_act_on_village_a(town, ladder):
    issue = ladder.to_village()
    with pytest.raises(IssueError):
        issue_escalate(user=town.user("officer_b"), issue_id=issue.pk, version=issue.version, reason="x")
    issue.refresh_from_db()
    assert (issue.level, issue.version) == ("village", 3)


@pytest.mark.parametrize("result", ["", "  \n"])
def test_closing_requires_a_result(town, ladder, result):
    issue = ladder.to_village()
    with pytest.raises(IssueError, match="办理结果"):
        issue_resolve(user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, result=result)
    issue.refresh_from_db()
    assert issue.status == "open"


def test_centre_cannot_close_while_departments_hold_it(town, ladder):
    issue = ladder.whistled()
    with pytest.raises(IssueError, match="部门尚未全部答复"):
        issue_resolve(user=town.user("town_staff"), issue_id=issue.pk, version=issue.version, result="结了")


def test_department_cannot_act_on_another_departments_assignment(town, ladder):
    issue = ladder.whistled()
    ours = issue.assignments.get(department=town.department)
    for call in (
        lambda: assignment_accept(user=town.user("other_handler"), assignment_id=ours.pk, version=1),
        lambda: assignment_reply(
            user=town.user("other_handler"), assignment_id=ours.pk, version=1, result="x"
        ),
        lambda: assignment_send_back(
            user=town.user("other_handler"), assignment_id=ours.pk, version=1, reason="x"
        ),
    ):
        with pytest.raises(IssueError, match="不是交办给您部门的事项"):
            call()
    ours.refresh_from_db()
    assert ours.status == "pending"


def test_department_reply_and_send_back_need_text(town, ladder):
    issue = ladder.whistled(departments=[town.department])
    assignment = issue.assignments.get()
    with pytest.raises(IssueError, match="办理结果"):
        assignment_reply(user=town.user("handler"), assignment_id=assignment.pk, version=1, result=" ")
    with pytest.raises(IssueError, match="理由"):
        assignment_send_back(user=town.user("handler"), assignment_id=assignment.pk, version=1, reason="")


def test_handler_cannot_resolve_or_escalate(town, ladder):
    issue = ladder.whistled()
    with pytest.raises(IssueError):
        issue_resolve(user=town.user("handler"), issue_id=issue.pk, version=issue.version, result="x")


def test_whistle_only_at_the_centre_and_to_departments_of_the_town(town, ladder):
    issue = ladder.to_village()
    with pytest.raises(IssueError, match="镇中心"):
        issue_whistle(
            user=town.user("town_staff"),
            issue_id=issue.pk,
            version=issue.version,
            departments=[town.department],
            kind="routine",
        )
    issue = issue_escalate(user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, reason="x")
    other_town = PlaceFactory(kind=PlaceKind.TOWN, name="别的镇", parent=town.city)
    foreign = DepartmentFactory(kind=DepartmentKind.TOWN_OFFICE, name="别镇办", place=other_town)
    for departments in ([foreign], [town.centre], []):
        with pytest.raises(IssueError):
            issue_whistle(
                user=town.user("town_staff"),
                issue_id=issue.pk,
                version=issue.version,
                departments=departments,
                kind="routine",
            )
    with pytest.raises(IssueError):
        issue_whistle(
            user=town.user("discipline"),
            issue_id=issue.pk,
            version=issue.version,
            departments=[town.department],
            kind="routine",
        )
    assert not WhistleAssignment.objects.exists()


def test_feedback_only_by_the_raiser_and_only_when_resolved(town, ladder):
    issue = ladder.to_grid()
    with pytest.raises(IssueError, match="尚未办结"):
        issue_feedback_record(
            user=town.user("member_a"), issue_id=issue.pk, version=issue.version, satisfaction="satisfied"
        )
    issue = issue_resolve(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, result="已修"
    )
    for persona in ("grid_head_a1", "officer_a", "town_staff"):
        with pytest.raises(IssueError, match="提出人"):
            issue_feedback_record(
                user=town.user(persona), issue_id=issue.pk, version=issue.version, satisfaction="satisfied"
            )
    with pytest.raises(IssueError, match="不满意"):
        issue_feedback_record(
            user=town.user("member_a"), issue_id=issue.pk, version=issue.version, satisfaction="unsatisfied"
        )


def test_a_stale_version_is_refused_and_nothing_changes(town, ladder):
    issue = ladder.to_grid()
    stale = issue.version
    issue_escalate(user=town.user("grid_head_a1"), issue_id=issue.pk, version=stale, reason="需村里")
    with pytest.raises(IssueConflict, match="已被他人处理"):
        issue_resolve(user=town.user("grid_head_a1"), issue_id=issue.pk, version=stale, result="已修")
    issue.refresh_from_db()
    assert (issue.level, issue.status, issue.version, issue.events.count()) == ("village", "open", 3, 3)


def test_bulk_whistle_reports_each_refusal(town, ladder):
    first = ladder.to_centre()
    second = ladder.to_centre()
    done, failed = issue_whistle_bulk(
        user=town.user("town_staff"),
        picks=[(first.pk, first.version), (second.pk, second.version - 1)],
        departments=[town.department],
        kind="emergency",
    )
    assert [i.pk for i in done] == [first.pk]
    assert failed == [(second.pk, "已被他人处理,请刷新后重试")]
    second.refresh_from_db()
    assert (second.level, second.status) == ("centre", "open")


# --- supervision ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["town_staff", "discipline"])
def test_supervision_sets_a_new_deadline_for_the_issue_and_open_assignments(town, ladder, clock, persona):
    clock.set(at(2024, 3, 1, 9))
    issue = ladder.whistled()
    version = issue.version
    issue = issue_supervise(
        user=town.user(persona), issue_id=issue.pk, note="请加快办理", deadline=datetime.date(2024, 3, 4)
    )
    assert issue.deadline == at(2024, 3, 4, 23, 59, 59)
    assert issue.version == version  # supervision does not make others' open forms stale
    assert set(issue.assignments.values_list("deadline", flat=True)) == {at(2024, 3, 4, 23, 59, 59)}
    assert issue.last_supervision_note == "请加快办理"
    event = issue.events.last()
    assert (event.action, event.note, event.deadline, event.actor_name) == (
        "supervise",
        "请加快办理",
        at(2024, 3, 4, 23, 59, 59),
        persona,
    )


@pytest.mark.parametrize("persona", ["officer_a", "grid_head_a1", "handler", "member_a"])
def test_only_centre_and_discipline_supervise(town, ladder, persona):
    issue = ladder.whistled()
    with pytest.raises(IssueError):
        issue_supervise(user=town.user(persona), issue_id=issue.pk, note="快", deadline=datetime.date.today())


def test_supervision_refuses_a_past_deadline_and_a_missing_note(town, ladder, clock):
    clock.set(at(2024, 3, 1, 9))
    issue = ladder.to_centre()
    with pytest.raises(IssueError, match="早于今天"):
        issue_supervise(
            user=town.user("town_staff"), issue_id=issue.pk, note="快", deadline=datetime.date(2024, 2, 29)
        )
    with pytest.raises(IssueError, match="督办意见"):
        issue_supervise(
            user=town.user("town_staff"), issue_id=issue.pk, note=" ", deadline=datetime.date(2024, 3, 2)
        )


# --- events are append-only --------------------------------------------------------------------------


def test_events_cannot_be_edited_or_deleted(town, ladder):
    issue = ladder.to_grid()
    event = issue.events.first()
    event.note = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        IssueEvent.objects.filter(issue=issue).update(note="x")
    with pytest.raises(TypeError):
        IssueEvent.objects.filter(issue=issue).delete()
    assert list(issue.events.values_list("note", flat=True)) == ["村道塌方,需要修复", "现场无法解决"]


def test_raise_refuses_households_outside_the_members_reach(town, raise_issue):
    with pytest.raises(IssueError, match="不能为您看不到的户提出诉求"):
        raise_issue(persona="member_a", household=town.hb1)
    with pytest.raises(IssueError, match="请选择一户或一个地点"):
        raise_issue(household=town.ha1, place=town.grid_a1)
    assert not Issue.objects.exists()


def test_grid_head_raises_for_a_place_in_the_grid(town, raise_issue):
    issue = raise_issue(persona="grid_head_a1", household=None, place=town.grid_a1b, kind="hazard")
    assert (issue.path, issue.subject) == (town.grid_a1b.path, "四级网格 甲村二组")


def test_resolving_feeds_back_to_the_raiser_and_the_village_officer(town, ladder):
    from notifications.models import Notification

    issue = ladder.whistled(departments=[town.department])
    Notification.objects.filter(
        title__startswith="新的待办诉求"
    ).delete()  # queue arrivals (test_queue_notice)
    assert list(Notification.objects.values_list("recipient__name", flat=True)) == ["handler"]
    assignment_reply(
        user=town.user("handler"), assignment_id=issue.assignments.get().pk, version=1, result="已修"
    )
    issue.refresh_from_db()
    issue_resolve(user=town.user("town_staff"), issue_id=issue.pk, version=issue.version, result="路灯已修复")
    rows = Notification.objects.exclude(recipient__name="handler").order_by("recipient__name")
    assert [(n.recipient.name, n.title, n.body, n.link) for n in rows] == [
        (name, f"诉求 #{issue.pk} 已办结", "办理结果:路灯已修复", f"/issues/{issue.pk}/")
        for name in ("member_a", "officer_a")
    ]
