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
    def explode(period, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setitem(jobs.JOBS, "quarter_review", explode)
    run = job_run(job="quarter_review", period_key="2026-Q2")
    assert (run.status, run.failures, run.error) == ("failed", 1, "RuntimeError: database went away")
    monkeypatch.setitem(jobs.JOBS, "quarter_review", lambda period, **kw: {"created": 2, "skipped": 1})
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
    monkeypatch.setitem(jobs.JOBS, "year_review", lambda period, **kw: {"created": 0})
    assert job_run(job="year_review", period_key="2025").status == "done"
    assert JobRun.objects.get(period_key="2025", status="failed").error == "abandoned (worker died?)"


def test_the_beat_task_fans_out_one_run_per_town_and_each_runs_once(town, monkeypatch):
    from dispatch.tasks import run_scheduled_job, run_town_job

    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: sent.append((task.name, args)) or True)
    assert run_scheduled_job.apply(args=["quarter_review"]).get() == 1  # one town (no city part for reviews)
    key = default_key("quarter_review")
    assert sent == [("dispatch.run_town_job", ("quarter_review", key, town.town.pk, None, False))]
    first = run_town_job.apply(args=sent[0][1]).get()
    run = JobRun.objects.get(pk=first)
    assert (run.status, run.town, run.done, run.total) == ("done", town.town, 1, 1)
    assert run_town_job.apply(args=sent[0][1]).get() is None  # already done: quiet no-op
    sent.clear()
    assert run_scheduled_job.apply(args=["quarter_review"]).get() == 0  # done towns are not enqueued again
    assert JobRun.objects.count() == 1


@pytest.mark.parametrize("persona", ["officer_a", "grid_head_a1", "member_a", "discipline", "handler"])
def test_jobs_page_is_for_town_staff_only(town, login, persona):
    client = login(town.user(persona))
    assert client.get(reverse("dispatch:jobs")).status_code == 403
    assert client.post(reverse("dispatch:jobs"), {"job": "year_review", "period": "2025"}).status_code == 403
    assert JobRun.objects.count() == 0


def test_town_staff_run_a_job_by_hand_in_the_background_and_see_the_runs(
    town, login, monkeypatch, django_assert_max_num_queries
):
    from dispatch.tasks import run_town_job

    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: sent.append((task.name, args)) or True)
    client = login(town.user("town_staff"))
    form = {"job": "quarter_review", "period": "2026-Q3", "town": town.town.pk}
    response = client.post(reverse("dispatch:jobs"), form, follow=True)
    assert "已提交后台运行" in response.content.decode()
    assert 'http-equiv="refresh"' in response.content.decode()  # refreshes until the worker is done
    assert JobRun.objects.count() == 0  # nothing ran in the request: it was enqueued
    staff_pk = town.user("town_staff").pk
    assert sent == [("dispatch.run_town_job", ("quarter_review", "2026-Q3", town.town.pk, staff_pk, True))]
    run = JobRun.objects.get(pk=run_town_job.apply(args=sent[0][1]).get())
    assert (run.manual, run.triggered_by, run.status, run.town) == (
        True,
        town.user("town_staff"),
        "done",
        town.town,
    )
    again = client.post(reverse("dispatch:jobs"), form)
    assert again.status_code == 200 and "已运行完成" in again.content.decode()
    bad = client.post(reverse("dispatch:jobs"), {**form, "job": "task_lists", "period": "next month"})
    assert bad.status_code == 200 and "月份格式应为" in bad.content.decode()
    assert len(sent) == 1
    for _ in range(5):
        JobRun.objects.create(
            job="issue_deadlines", period_key=f"2026-10-0{_ + 1}", status="done", town=town.town
        )
    JobRun.objects.create(job="issue_deadlines", period_key="2026-10-01", status="done")  # whole city
    with django_assert_max_num_queries(12):
        page = client.get(reverse("dispatch:jobs"))
    assert len(page.context["runs"]) == 6  # the town's runs, not the whole-city one
    assert 'http-equiv="refresh"' not in page.content.decode()  # nothing running


def test_a_manual_run_with_the_in_memory_broker_returns_at_once(town, login):
    client = login(town.user("town_staff"))
    response = client.post(
        reverse("dispatch:jobs"),
        {"job": "quarter_review", "period": "2026-Q3", "town": town.town.pk},
        follow=True,
    )
    assert "已提交后台运行" in response.content.decode()
    assert JobRun.objects.count() == 0  # the (in-memory test) broker holds it
