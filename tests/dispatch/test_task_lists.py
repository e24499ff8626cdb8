"""每月一走访工作任务清单: content, period boundaries (Asia/Shanghai), idempotency, pages and Excel."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dispatch.jobs import JobError, job_run
from dispatch.models import JobRun, MonthlyTaskList
from members.enums import LinkType
from members.models import Link
from notifications.enums import NotificationKind
from notifications.models import Notification

from .conftest import at

pytestmark = pytest.mark.django_db


def _lists(month="2026-11"):
    return {
        t.member.name: t for t in MonthlyTaskList.objects.filter(month=f"{month}-01").select_related("member")
    }


def test_each_member_with_links_gets_their_targets_rules_and_last_months_debts(town, record):
    member_a = town.user("member_a")
    record(member_a, "home_visit", at(2026, 8, 10), household=town.ha1)  # Q3 visit done
    record(member_a, "online", at(2026, 9, 15), household=town.ha1)  # September done, October missed
    # 00:30 on 1 November (Shanghai) is November: it counts for the new month, not for October.
    record(member_a, "online", at(2026, 11, 1, 0, 30), household=town.ha1)
    run = job_run(job="task_lists", period_key="2026-11")
    assert (run.status, run.created, run.skipped) == ("done", 3, 0)
    lists = _lists()
    assert sorted(lists) == ["grid_head_a1", "member_a", "member_b"]  # everyone with a current link
    mine = lists["member_a"]
    [item] = mine.items
    assert item["target"] == f"张甲一({town.ha1.code})"
    assert (item["place"], item["categories"], item["link_type"]) == (
        "甲村一组",
        ["困难户"],
        "party_household",
    )
    rules = {(r["period"], r["count"], r["done"], r["remaining"]) for r in item["requirements"]}
    assert rules == {("quarter", 1, 0, 1), ("month", 1, 1, 0)}
    assert item["overdue_last_month"] == ["每月线上沟通/入户走访/屋场夜话"]
    assert mine.totals == {"targets": 1, "contacts": 1, "overdue_last_month": 1}
    head = lists["grid_head_a1"].items
    assert [(i["target"], i["target_kind"], [r["period"] for r in i["requirements"]]) for i in head] == [
        ("甲村第一网格", "place", ["week"])
    ]


def test_rerun_sends_nothing_twice_and_a_crash_halfway_is_finished_by_the_next_run(town):
    job_run(job="task_lists", period_key="2026-11")
    with pytest.raises(JobError, match="已运行完成"):
        job_run(job="task_lists", period_key="2026-11")
    assert Notification.objects.filter(kind=NotificationKind.TASK_LIST).count() == 3
    # Simulate a crash after one member's list: the next run creates the rest and notifies only them.
    MonthlyTaskList.objects.exclude(member__name="member_b").delete()
    Notification.objects.filter(kind=NotificationKind.TASK_LIST).exclude(recipient__name="member_b").delete()
    JobRun.objects.filter(job="task_lists").update(status="failed")
    run = job_run(job="task_lists", period_key="2026-11")
    assert (run.status, run.created, run.skipped, run.counts["notified"]) == ("done", 2, 1, 2)
    assert MonthlyTaskList.objects.count() == 3
    assert Notification.objects.filter(kind=NotificationKind.TASK_LIST, period_key="2026-11").count() == 3


def test_exempt_members_and_ended_links_get_no_list(town):
    member_b = town.members["member_b"]
    member_b.is_exempt, member_b.exempt_reason = True, "working_away"
    member_b.save()
    Link.objects.filter(member__name="grid_head_a1", link_type=LinkType.TOWN_GRID).update(
        end_date="2026-10-31"
    )
    job_run(job="task_lists", period_key="2026-11")
    assert sorted(_lists()) == ["member_a"]


def test_member_views_own_list_on_the_phone_and_downloads_excel(town, login):
    job_run(job="task_lists", period_key="2026-11")
    mine = _lists()["member_a"]
    client = login(town.user("member_a"))
    index = client.get(reverse("dispatch:my-task-list") + "?month=2026-11")
    assert index.context["mine"] == mine and index.context["others"] is None
    page = client.get(reverse("dispatch:task-list", args=[mine.pk]))
    html = page.content.decode()
    assert "张甲一" in html and "每季度入户走访/屋场夜话 1 次" in html
    # Printable: the download controls carry no-print (print CSS in lianhu.css hides them and the nav).
    assert (
        f'<p class="no-print"><a class="btn" href="{reverse("dispatch:task-list-xlsx", args=[mine.pk])}">'
        in html
    )
    response = client.get(reverse("dispatch:task-list-xlsx", args=[mine.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.values)
    assert rows[0][0] == "2026年11月 每月一走访工作任务清单 · member_a"
    assert rows[2][1] == f"张甲一({town.ha1.code})"


def test_formula_like_text_is_written_as_text(town, login):
    town.ha1.head_name = "=HYPERLINK(1)"
    town.ha1.save()
    job_run(job="task_lists", period_key="2026-11")
    mine = _lists()["member_a"]
    response = login(town.user("member_a")).get(reverse("dispatch:task-list-xlsx", args=[mine.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = list(ws.iter_rows(min_row=3, max_row=3))[0][1]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


@pytest.mark.parametrize(
    "persona,sees",
    [
        ("member_a", True),
        ("grid_head_a1", True),
        ("officer_a", True),
        ("town_staff", True),
        ("member_b", False),
        ("officer_b", False),
        ("grid_head_b1", False),
        ("handler", False),
    ],
)
def test_list_access_by_persona(town, login, persona, sees):
    job_run(job="task_lists", period_key="2026-11")
    mine = _lists()["member_a"]
    client = login(town.user(persona))
    assert client.get(reverse("dispatch:task-list", args=[mine.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("dispatch:task-list-xlsx", args=[mine.pk])).status_code == (
        200 if sees else 404
    )


def test_officer_sees_the_villages_lists_in_bounded_queries(town, login, django_assert_max_num_queries):
    job_run(job="task_lists", period_key="2026-11")
    client = login(town.user("officer_a"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dispatch:my-task-list") + "?month=2026-11")
    # Lists are placed by the member's home: grid_head_a1 lives at town level, outside village A.
    assert [t.member.name for t in response.context["others"]] == ["member_a"]
