"""Jobs by town: one run per town (fan-out), town staff run their own town's job in the background, progress,
a run that dies is shown failed and a re-run finishes it without duplicates."""

import datetime

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from dispatch import jobs, tasklists
from dispatch.models import JobRun, MonthlyTaskList
from dispatch.tasks import fan_out_job, run_scheduled_job, run_town_job
from grids.enums import PlaceKind
from members.enums import LinkType, MemberRole, PositionKind
from members.models import Link
from notifications.enums import NotificationKind
from notifications.models import Notification
from tests.factories import (
    HouseholdFactory,
    LinkFactory,
    MemberFactory,
    PlaceFactory,
    PositionFactory,
    UserFactory,
)
from tests.personas import START

pytestmark = pytest.mark.django_db

MONTH = "2026-11"


@pytest.fixture
def sent(monkeypatch):
    """What the page / fan-out enqueued, instead of the broker: [(task name, args)]."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: calls.append((task.name, args)) or True)
    return calls


@pytest.fixture
def town2(town):
    """A second town of the same city, with a centre staff login and one linked member."""
    other = PlaceFactory(kind=PlaceKind.TOWN, name="朱良桥镇", code="T02", parent=town.city)
    village = PlaceFactory(kind=PlaceKind.VILLAGE, name="丙村", code="VC", parent=other)
    grid3 = PlaceFactory(kind=PlaceKind.GRID3, name="丙村第一网格", code="GC1", parent=village)
    grid4 = PlaceFactory(kind=PlaceKind.GRID4, name="丙村一组", code="GC1a", parent=grid3)
    household = HouseholdFactory(grid=grid4, head_name="王丙一")
    staff_user = UserFactory(username="town2_staff", is_staff=True)
    staff = MemberFactory(name="town2_staff", role=MemberRole.TOWN_CADRE, home=other, user=staff_user)
    PositionFactory(member=staff, kind=PositionKind.CENTRE_STAFF, place=other, start_date=START)
    member = MemberFactory(name="member_c", role=MemberRole.PARTY_MEMBER, home=grid4)
    LinkFactory(member=member, household=household, link_type=LinkType.PARTY_HOUSEHOLD, start_date=START)
    other.staff_user = staff_user
    return other


def _lists_per_member():
    return dict(
        MonthlyTaskList.objects.filter(month=f"{MONTH}-01")
        .values_list("member__name")
        .annotate(n=Count("id"))
        .values_list("member__name", "n")
    )


def test_town_staff_run_only_their_own_towns_job(town, town2, login, sent):
    client = login(town.user("town_staff"))
    page = client.get(reverse("dispatch:jobs"))
    assert [c[0] for c in page.context["form"].fields["town"].choices] == [str(town.town.pk)]  # no "all"
    for other in (town2.pk, "all"):
        response = client.post(
            reverse("dispatch:jobs"), {"job": "task_lists", "period": MONTH, "town": other}
        )
        assert response.status_code == 403
    with pytest.raises(jobs.PermissionDenied):
        jobs.job_run_by_hand(
            job="task_lists", period_key=MONTH, user=town.user("town_staff"), town_id=town2.pk
        )
    assert sent == [] and not JobRun.objects.exists()
    # The other town's runs are not on this town's page.
    JobRun.objects.create(job="task_lists", period_key=MONTH, town=town2, status="done")
    assert list(client.get(reverse("dispatch:jobs")).context["runs"]) == []
    # ...and its own staff see them and may run their town.
    client2 = login(town2.staff_user)
    assert len(client2.get(reverse("dispatch:jobs")).context["runs"]) == 1
    response = client2.post(
        reverse("dispatch:jobs"), {"job": "quarter_review", "period": "2026-Q3", "town": town2.pk}
    )
    assert response.status_code == 302
    assert sent == [
        ("dispatch.run_town_job", ("quarter_review", "2026-Q3", town2.pk, town2.staff_user.pk, True))
    ]


def test_a_superuser_runs_all_towns_as_one_fan_out(town, town2, login, sent):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login(admin)
    response = client.post(reverse("dispatch:jobs"), {"job": "task_lists", "period": MONTH, "town": "all"})
    assert response.status_code == 302 and not JobRun.objects.exists()
    assert sent == [("dispatch.fan_out_job", ("task_lists", MONTH, admin.pk, True))]
    sent.clear()
    assert fan_out_job.apply(args=["task_lists", MONTH, admin.pk, True]).get() == 3
    # One task per town, plus the city's own people (outside every town).
    assert sorted(args[2] for _name, args in sent) == sorted([town.town.pk, town2.pk, town.city.pk])
    assert {name for name, _args in sent} == {"dispatch.run_town_job"}


def test_fan_out_runs_every_town_and_makes_exactly_the_whole_city_runs_lists(town, town2, sent):
    # A city department head (home: the city, in no town) with a link gets a list from the city's own run.
    Link.objects.create(
        member=town.members["other_handler"],
        household=town.ha2,
        link_type=LinkType.CITY_HOUSEHOLD,
        start_date=START,
    )
    assert run_scheduled_job.apply(args=["task_lists"]).get() == 3
    key = sent[0][1][1]
    for _name, args in sent:
        run_town_job.apply(args=args).get()
    runs = {run.town.name: run for run in JobRun.objects.filter(period_key=key).select_related("town")}
    assert {name: (r.status, r.created, r.done, r.total) for name, r in runs.items()} == {
        "双凫铺镇": ("done", 3, 3, 3),
        "朱良桥镇": ("done", 1, 1, 1),
        "宁乡市": ("done", 1, 1, 1),
    }
    lists = MonthlyTaskList.objects.filter(month=f"{key}-01")
    assert sorted(lists.values_list("member__name", flat=True)) == [
        "grid_head_a1",
        "member_a",
        "member_b",
        "member_c",
        "other_handler",
    ]


def test_a_run_killed_mid_way_is_shown_failed_and_a_rerun_completes_without_duplicates(
    town, login, sent, monkeypatch
):
    monkeypatch.setattr(tasklists, "BATCH", 1)  # one member per batch: progress after each
    real_send = tasklists.notifications_send
    calls = []

    def dies_on_the_second_batch(*, drafts):
        calls.append(len(drafts))
        if len(calls) == 2:
            raise RuntimeError("worker lost its database connection")
        return real_send(drafts=drafts)

    monkeypatch.setattr(tasklists, "notifications_send", dies_on_the_second_batch)
    run = JobRun.objects.get(pk=run_town_job.apply(args=["task_lists", MONTH, town.town.pk]).get())
    assert (run.status, run.done, run.total, run.failures) == ("failed", 1, 3, 1)
    assert "worker lost its database connection" in run.error
    assert MonthlyTaskList.objects.count() == 1  # the first batch is committed, the second rolled back

    client = login(town.user("town_staff"))
    page = client.get(reverse("dispatch:jobs")).content.decode()
    assert "失败" in page and "1/3" in page
    response = client.post(
        reverse("dispatch:jobs"), {"job": "task_lists", "period": MONTH, "town": town.town.pk}
    )
    assert response.status_code == 302  # a failed run may be re-run at once
    monkeypatch.setattr(tasklists, "notifications_send", real_send)
    rerun = JobRun.objects.get(pk=run_town_job.apply(args=sent[0][1]).get())
    assert (rerun.status, rerun.created, rerun.skipped, rerun.done, rerun.total) == ("done", 2, 1, 3, 3)
    assert _lists_per_member() == {"grid_head_a1": 1, "member_a": 1, "member_b": 1}
    notified = Notification.objects.filter(kind=NotificationKind.TASK_LIST)
    assert sorted(notified.values_list("recipient__name", flat=True)) == [
        "grid_head_a1",
        "member_a",
        "member_b",
    ]


def test_a_run_whose_worker_died_is_failed_after_its_heartbeat_goes_stale(town, login, sent):
    stale = timezone.now() - jobs.STALE_AFTER - datetime.timedelta(minutes=1)
    run = JobRun.objects.create(
        job="task_lists", period_key=MONTH, town=town.town, heartbeat_at=stale, total=3
    )
    MonthlyTaskList.objects.create(
        member=town.members["member_a"], month=datetime.date(2026, 11, 1), items=[]
    )
    client = login(town.user("town_staff"))
    fresh = JobRun.objects.create(
        job="task_lists", period_key="2026-10", town=town.town, heartbeat_at=timezone.now(), total=3, done=1
    )
    page = client.get(reverse("dispatch:jobs"))
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "abandoned (worker died?)")
    assert JobRun.objects.get(pk=fresh.pk).status == "running"  # still beating: left alone
    assert 'http-equiv="refresh"' in page.content.decode() and "1/3" in page.content.decode()
    busy = client.post(
        reverse("dispatch:jobs"), {"job": "task_lists", "period": "2026-10", "town": town.town.pk}
    )
    assert busy.status_code == 200 and "正在运行" in busy.content.decode()
    client.post(reverse("dispatch:jobs"), {"job": "task_lists", "period": MONTH, "town": town.town.pk})
    assert len(sent) == 1
    rerun = JobRun.objects.get(pk=run_town_job.apply(args=sent[0][1]).get())
    assert (rerun.status, rerun.created, rerun.skipped) == ("done", 2, 1)
    assert _lists_per_member() == {"grid_head_a1": 1, "member_a": 1, "member_b": 1}


def test_a_town_run_covers_only_that_towns_members_and_issue_reminders(town, town2):
    run = jobs.job_run(job="task_lists", period_key=MONTH, town=town2)
    assert (run.status, run.created) == ("done", 1)
    assert list(MonthlyTaskList.objects.values_list("member__name", flat=True)) == ["member_c"]
    # The whole-city run (no town) still works and skips what the town run made.
    whole = jobs.job_run(job="task_lists", period_key=MONTH)
    assert (whole.created, whole.skipped) == (3, 1)


def test_per_town_issue_reminders_reach_a_city_department_once_per_town(town, town2):
    from issues.models import Issue, IssueCategory, WhistleAssignment

    from .conftest import at

    category = IssueCategory.objects.get_or_create(name="水利")[0]
    from grids.models import Household

    c_household = Household.objects.get(head_name="王丙一")
    for household, raiser in ((town.ha1, town.members["member_a"]), (c_household, None)):
        issue = Issue.objects.create(
            category=category,
            description="渠道堵塞",
            household=household,
            raised_by=raiser or town.members["member_b"],
            level="department",
            status="whistled",
            deadline=at(2026, 11, 30),
        )
        WhistleAssignment.objects.create(
            issue=issue,
            department=town.other_department,  # a city department: answers every town
            kind="routine",
            deadline=at(2026, 11, 18),
            whistled_at=at(2026, 11, 10),
        )
    first = jobs.job_run(job="issue_deadlines", period_key="2026-11-20", town=town.town)
    second = jobs.job_run(job="issue_deadlines", period_key="2026-11-20", town=town2)
    assert (first.counts["overdue_whistles"], second.counts["overdue_whistles"]) == (1, 1)
    got = Notification.objects.filter(
        kind=NotificationKind.ISSUE_OVERDUE, recipient=town.members["other_handler"]
    ).values_list("period_key", flat=True)
    assert sorted(got) == sorted([f"2026-11-20-t{town.town.pk}", f"2026-11-20-t{town2.pk}"])
    # A re-run of a town sends nothing twice.
    JobRun.objects.filter(town=town2).update(status="failed")
    again = jobs.job_run(job="issue_deadlines", period_key="2026-11-20", town=town2)
    assert (again.status, again.created) == ("done", 0)


def test_only_town_staff_posts_count_and_a_city_post_runs_all_towns(town, town2):
    staff = town.user("town_staff")
    # A read-only post in another town (discipline) gives no right to run its jobs.
    PositionFactory(
        member=town.members["town_staff"], kind=PositionKind.DISCIPLINE, place=town2, start_date=START
    )
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh scope
    assert list(jobs.runnable_towns(staff)) == [town.town] and not jobs.may_run_all(staff)
    # Centre staff posted at the city may run every town, and all at once.
    city_user = UserFactory(username="city_office")
    city_member = MemberFactory(
        name="city_office", role=MemberRole.TOWN_CADRE, home=town.city, user=city_user
    )
    PositionFactory(member=city_member, kind=PositionKind.CENTRE_STAFF, place=town.city, start_date=START)
    assert list(jobs.runnable_towns(city_user)) == sorted([town.town, town2], key=lambda t: t.path)
    assert jobs.may_run_all(city_user)
