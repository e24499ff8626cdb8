"""Weekly overdue digests, 旬调度, issue deadline reminders, quarter/year snapshots: who gets what, once."""

import datetime

import pytest
from django.urls import reverse

from dispatch.digests import overdue_digests_send
from dispatch.jobs import JobError, job_run
from dispatch.models import ReviewSnapshot
from dispatch.periods import parse_period
from issues.models import Issue, IssueCategory, WhistleAssignment
from notifications.enums import NotificationKind
from notifications.models import Notification

from .conftest import at

pytestmark = pytest.mark.django_db


def _got(kind):
    return {n.recipient.name: n for n in Notification.objects.filter(kind=kind).select_related("recipient")}


def _issue(
    town,
    *,
    household=None,
    place=None,
    level="village",
    status="open",
    deadline=None,
    raised=None,
    raiser="member_a",
):
    issue = Issue.objects.create(
        category=IssueCategory.objects.get_or_create(name="基础设施")[0],
        description="路灯坏了",
        household=household,
        place=place,
        raised_by=town.members[raiser],
        level=level,
        status=status,
        deadline=deadline,
    )
    if raised:
        Issue.objects.filter(pk=issue.pk).update(raised_at=raised)
    return issue


# --- weekly overdue digests ---------------------------------------------------------------------------


def test_weekly_digest_one_per_member_and_summaries_for_grid_heads_and_officers(
    town, record, django_assert_max_num_queries
):
    # member_b is on track (Q3 home visit, October online); member_a missed October; the grid head's
    # weekly grid sink-down was missed the week before.
    record(town.user("member_b"), "home_visit", at(2026, 8, 3), household=town.hb1)
    record(town.user("member_b"), "online", at(2026, 10, 12), household=town.hb1)
    record(town.user("member_b"), "online", at(2026, 11, 1), household=town.hb1)
    with django_assert_max_num_queries(12):
        counts = overdue_digests_send(period=parse_period("overdue_digests", "2026-W45"))
    assert counts == {"created": 4, "skipped": 0, "members_behind": 2, "overdue_links": 2}
    members = _got(NotificationKind.OVERDUE_DIGEST)
    assert sorted(members) == ["grid_head_a1", "member_a"]
    assert members["member_a"].title == "走访逾期提醒:1 个联系对象未按期联系"
    assert members["member_a"].body == f"张甲一({town.ha1.code})"
    assert members["grid_head_a1"].body == "甲村第一网格"
    grids = _got(NotificationKind.GRID_DIGEST)
    assert sorted(grids) == ["grid_head_a1"]  # grid B1 has nobody behind
    assert grids["grid_head_a1"].body == "grid_head_a1:1\nmember_a:1"
    villages = _got(NotificationKind.VILLAGE_DIGEST)
    assert sorted(villages) == ["officer_a"]
    assert villages["officer_a"].title == "本村(社区)走访汇总:2 人落后,2 个联系对象逾期"
    assert {n.period_key for n in Notification.objects.all()} == {"2026-W45"}


def test_weekly_digest_rerun_sends_nothing_twice(town):
    # Nobody made contacts: 3 members behind, both grid heads and both officers get a summary.
    run = job_run(job="overdue_digests", period_key="2026-W45")
    assert (run.status, run.created) == ("done", 7)
    with pytest.raises(JobError):
        job_run(job="overdue_digests", period_key="2026-W45")
    again = overdue_digests_send(period=parse_period("overdue_digests", "2026-W45"))
    assert (again["created"], again["skipped"]) == (0, 7)
    assert Notification.objects.count() == 7


# --- 旬调度 --------------------------------------------------------------------------------------------


def test_decade_dispatch_snapshot_goes_to_the_centre_and_keeps_history(town, login):
    from dispatch.services import order_issue

    _issue(town, household=town.ha1, raised=at(2026, 11, 5))
    old = _issue(town, household=town.hb1, raised=at(2026, 10, 20), deadline=at(2026, 11, 8, 23, 59))
    _issue(town, household=town.hb1, raised=at(2026, 10, 30))  # before the 旬: not new
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="秋季防火",
        task="巡查",
        due_date=datetime.date.today() + datetime.timedelta(days=5),
        places=[town.village_b],
    )
    run = job_run(job="decade_dispatch", period_key="2026-11-11")
    assert (run.status, run.created) == ("done", 1)
    snap = ReviewSnapshot.objects.get(kind="decade", period_key="2026-11-11")
    data = snap.data
    assert data["period"] == ["2026-11-01", "2026-11-10"]
    facts = dict(data["facts"])
    assert (facts["新增诉求/问题"], facts["逾期未办结"]) == (1, 1)
    tables = {t["title"]: t["rows"] for t in data["tables"]}
    assert sorted(tables["诉求/问题 · 按村(社区)"]) == [["乙村", 0, 0, 1, "—"], ["甲村", 1, 0, 0, "—"]]
    # Worst share first, then by name; nobody made contacts, so every link is overdue.
    assert tables["联户达标情况 · 按村(社区)"] == [["乙村", 1, 0, 1, "0.0%"], ["甲村", 2, 0, 2, "0.0%"]]
    assert tables["联户达标情况 · 按三级网格"] == [
        ["乙村第一网格", 1, 0, 1, "0.0%"],
        ["甲村第一网格", 2, 0, 2, "0.0%"],
    ]
    assert tables["未办结的调度令"] == [[order.title, order.due_date.isoformat(), "1/1", ""]]
    got = _got(NotificationKind.DECADE_DIGEST)
    assert sorted(got) == ["town_staff"]  # centre staff only
    assert got["town_staff"].link == reverse("dispatch:review-detail", args=[snap.pk])
    # Later edits do not rewrite the snapshot; a re-run adds nothing.
    Issue.objects.filter(pk=old.pk).update(status="closed")
    with pytest.raises(JobError):
        job_run(job="decade_dispatch", period_key="2026-11-11")
    snap.refresh_from_db()
    assert dict(snap.data["facts"])["逾期未办结"] == 1
    for persona, code in [("town_staff", 200), ("discipline", 200), ("officer_a", 403), ("member_a", 403)]:
        client = login(town.user(persona))
        assert client.get(reverse("dispatch:review-detail", args=[snap.pk])).status_code == code
        assert client.get(reverse("dispatch:reviews")).status_code == code
    page = login(town.user("town_staff")).get(reverse("dispatch:review-detail", args=[snap.pk]))
    assert "秋季防火" in page.content.decode()


def test_quarter_and_year_reviews_need_the_period_to_be_over(town):
    with pytest.raises(JobError, match="周期结束后"):
        job_run(job="year_review", period_key=str(datetime.date.today().year))
    run = job_run(job="quarter_review", period_key="2026-Q3")
    assert run.status == "done"
    data = ReviewSnapshot.objects.get(kind="quarter").data
    assert data["on"] == "2026-09-30"
    members = {t["title"]: t for t in data["tables"]}["联户达标情况 · 按人员"]["rows"]
    assert sorted(r[0] for r in members) == ["grid_head_a1", "member_a", "member_b"]
    assert _got(NotificationKind.REVIEW).keys() == {"town_staff"}


# --- issue deadlines ---------------------------------------------------------------------------------


def test_issue_reminders_day_before_on_the_day_and_overdue_whistles(town):
    tomorrow = _issue(town, household=town.ha1, level="village", deadline=at(2026, 11, 21, 23, 59))
    today = _issue(town, household=town.hb1, level="grid", deadline=at(2026, 11, 20, 23, 59))
    whistled = _issue(
        town, household=town.ha2, level="department", status="whistled", deadline=at(2026, 11, 30)
    )
    WhistleAssignment.objects.create(
        issue=whistled,
        department=town.department,
        kind="routine",
        deadline=at(2026, 11, 18),
        whistled_at=at(2026, 11, 10),
    )
    run = job_run(job="issue_deadlines", period_key="2026-11-20")
    assert run.status == "done", run.error
    assert (
        run.counts["due_tomorrow"] == 1
        and run.counts["due_today"] == 1
        and run.counts["overdue_whistles"] == 1
    )
    soon = _got(NotificationKind.ISSUE_DUE_SOON)
    assert sorted(soon) == ["officer_a"]
    assert soon["officer_a"].body == f"#{tomorrow.pk} 基础设施"
    due = _got(NotificationKind.ISSUE_DUE)
    assert sorted(due) == ["discipline", "town_staff"]  # the centre and the supervisor
    assert due["town_staff"].body == f"#{today.pk} 基础设施"
    overdue = Notification.objects.filter(kind=NotificationKind.ISSUE_OVERDUE).values_list(
        "recipient__name", "period_key", "body"
    )
    assert sorted(overdue) == [
        ("handler", "2026-11-20", f"#{whistled.pk}"),
        ("town_staff", "2026-11-20-centre", "社会事务办:1"),
    ]
