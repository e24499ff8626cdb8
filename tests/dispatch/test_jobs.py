"""Job runs: the schedule, period keys, the runs page and manual runs (town staff only)."""

import datetime

import pytest
from celery.schedules import crontab
from django.urls import reverse

from config.celery import app as celery_app
from dispatch import jobs
from dispatch.jobs import JobError, job_run
from dispatch.models import JobRun
from dispatch.periods import PeriodError, default_key, parse_period

pytestmark = pytest.mark.django_db


def test_beat_schedule_is_in_code_in_shanghai_time():
    schedule = celery_app.conf.beat_schedule
    assert celery_app.conf.timezone == "Asia/Shanghai" and celery_app.conf.enable_utc is False
    jobs_scheduled = {
        e["args"][0]: e["schedule"] for e in schedule.values() if e["task"] == "dispatch.run_scheduled_job"
    }
    assert set(jobs_scheduled) == set(jobs.JOBS)
    assert jobs_scheduled["task_lists"] == crontab(minute=30, hour=6, day_of_month=1)
    assert jobs_scheduled["decade_dispatch"] == crontab(minute=0, hour=7, day_of_month="1,11,21")
    assert schedule["outbox-sweep"]["schedule"] == 60.0
    assert schedule["deliveries-sweep"]["schedule"] == 60.0


@pytest.mark.parametrize(
    "job,on,key",
    [
        ("task_lists", datetime.date(2026, 12, 1), "2026-12"),
        ("overdue_digests", datetime.date(2026, 11, 30), "2026-W49"),
        ("decade_dispatch", datetime.date(2026, 11, 21), "2026-11-21"),
        ("issue_deadlines", datetime.date(2026, 11, 3), "2026-11-03"),
        ("quarter_review", datetime.date(2026, 10, 1), "2026-Q3"),
        ("year_review", datetime.date(2027, 1, 1), "2026"),
    ],
)
def test_a_scheduled_run_works_for_the_right_period(job, on, key):
    assert default_key(job, on) == key


def test_decade_covers_the_days_before_its_issue_date():
    p = parse_period("decade_dispatch", "2026-12-01")
    assert (p.start, p.end) == (datetime.date(2026, 11, 21), datetime.date(2026, 12, 1))
    p = parse_period("decade_dispatch", "2026-11-11")
    assert (p.start, p.end) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 11))


@pytest.mark.parametrize(
    "job,key,message",
    [
        ("task_lists", "2026-13", "月份格式"),
        ("overdue_digests", "2026-45", "周的格式"),
        ("decade_dispatch", "2026-11-12", "1日、11日或21日"),
        ("quarter_review", "2026-Q5", "季度格式"),
        ("task_lists", "2999-01", "尚未开始"),
    ],
)
def test_bad_period_keys_are_refused(job, key, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(job, key)


def test_failed_run_is_recorded_and_the_next_run_may_complete(town, monkeypatch):
    def explode(period):
        raise RuntimeError("database went away")

    monkeypatch.setitem(jobs.JOBS, "quarter_review", explode)
    run = job_run(job="quarter_review", period_key="2026-Q2")
    assert (run.status, run.failures, run.error) == ("failed", 1, "RuntimeError: database went away")
    monkeypatch.setitem(jobs.JOBS, "quarter_review", lambda period: {"created": 2, "skipped": 1})
    run = job_run(job="quarter_review", period_key="2026-Q2")
    assert (run.status, run.created, run.skipped) == ("done", 2, 1)
    assert list(JobRun.objects.filter(period_key="2026-Q2").values_list("status", flat=True)) == [
        "done",
        "failed",
    ]


def test_a_run_in_progress_blocks_a_second_one_until_it_is_abandoned(town, monkeypatch):
    JobRun.objects.create(job="year_review", period_key="2025")
    with pytest.raises(JobError, match="正在运行"):
        job_run(job="year_review", period_key="2025")
    JobRun.objects.filter(period_key="2025").update(
        started_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    monkeypatch.setitem(jobs.JOBS, "year_review", lambda period: {"created": 0})
    assert job_run(job="year_review", period_key="2025").status == "done"
    assert JobRun.objects.get(period_key="2025", status="failed").error == "abandoned (worker died?)"


def test_the_beat_task_runs_the_default_period_once(town):
    from dispatch.tasks import run_scheduled_job

    first = run_scheduled_job.apply(args=["quarter_review"]).get()
    assert JobRun.objects.get(pk=first).status == "done"
    assert run_scheduled_job.apply(args=["quarter_review"]).get() is None  # already done: quiet no-op
    assert JobRun.objects.count() == 1


@pytest.mark.parametrize("persona", ["officer_a", "grid_head_a1", "member_a", "discipline", "handler"])
def test_jobs_page_is_for_town_staff_only(town, login, persona):
    client = login(town.user(persona))
    assert client.get(reverse("dispatch:jobs")).status_code == 403
    assert client.post(reverse("dispatch:jobs"), {"job": "year_review", "period": "2025"}).status_code == 403
    assert JobRun.objects.count() == 0


def test_town_staff_run_a_job_by_hand_and_see_the_runs(town, login, django_assert_max_num_queries):
    client = login(town.user("town_staff"))
    response = client.post(
        reverse("dispatch:jobs"), {"job": "quarter_review", "period": "2026-Q3"}, follow=True
    )
    assert "已运行:新建 1,跳过 0,失败 0" in response.content.decode()
    run = JobRun.objects.get()
    assert (run.manual, run.triggered_by, run.status) == (True, town.user("town_staff"), "done")
    again = client.post(reverse("dispatch:jobs"), {"job": "quarter_review", "period": "2026-Q3"})
    assert again.status_code == 200 and "已运行完成" in again.content.decode()
    bad = client.post(reverse("dispatch:jobs"), {"job": "task_lists", "period": "next month"})
    assert bad.status_code == 200 and "月份格式应为" in bad.content.decode()
    for _ in range(5):
        JobRun.objects.create(job="issue_deadlines", period_key=f"2026-10-0{_ + 1}", status="done")
    with django_assert_max_num_queries(10):
        page = client.get(reverse("dispatch:jobs"))
    assert len(page.context["runs"]) == 6


def test_a_manual_run_can_be_sent_to_the_worker(town, login):
    from dispatch.tasks import run_job

    client = login(town.user("town_staff"))
    response = client.post(
        reverse("dispatch:jobs"),
        {"job": "quarter_review", "period": "2026-Q3", "background": "on"},
        follow=True,
    )
    assert "已提交后台运行" in response.content.decode()
    assert JobRun.objects.count() == 0  # the (in-memory test) broker holds it; run what the worker would
    run_pk = run_job.apply(args=["quarter_review", "2026-Q3", town.user("town_staff").pk]).get()
    run = JobRun.objects.get(pk=run_pk)
    assert (run.status, run.manual, run.triggered_by) == ("done", True, town.user("town_staff"))
    again = client.post(
        reverse("dispatch:jobs"), {"job": "quarter_review", "period": "2026-Q3", "background": "on"}
    )
    assert "已运行完成" in again.content.decode()
