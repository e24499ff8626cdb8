"""Scheduled jobs: one function per JobName, each run recorded as a JobRun and idempotent per period.

Idempotency is enforced by the database twice over: a unique constraint on (job, period) for completed
runs, and per-recipient unique constraints on what a job writes (Notification (recipient, kind, period),
MonthlyTaskList (member, month), ReviewSnapshot (kind, period, town)). A run that crashed halfway is simply
run again: what it already wrote is skipped.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import JobName, RunStatus
from .models import JobRun
from .periods import JobPeriod, PeriodError, default_key, parse_period

logger = logging.getLogger(__name__)

# A run still "running" after this long died with its worker; a new run may start.
ABANDONED_AFTER = datetime.timedelta(hours=2)


class JobError(Exception):
    pass


def _task_lists(period: JobPeriod) -> dict:
    from .tasklists import task_lists_generate

    return task_lists_generate(period=period)


def _overdue_digests(period: JobPeriod) -> dict:
    from .digests import overdue_digests_send

    return overdue_digests_send(period=period)


def _decade_dispatch(period: JobPeriod) -> dict:
    from .digests import decade_dispatch_send

    return decade_dispatch_send(period=period)


def _issue_deadlines(period: JobPeriod) -> dict:
    from .digests import issue_deadlines_send

    return issue_deadlines_send(period=period)


def _quarter_review(period: JobPeriod) -> dict:
    from .reviews import review_snapshots_take

    return review_snapshots_take(kind="quarter", period=period)


def _year_review(period: JobPeriod) -> dict:
    from .reviews import review_snapshots_take

    return review_snapshots_take(kind="year", period=period)


JOBS: dict[str, Callable[[JobPeriod], dict]] = {
    JobName.TASK_LISTS: _task_lists,
    JobName.OVERDUE_DIGESTS: _overdue_digests,
    JobName.DECADE_DISPATCH: _decade_dispatch,
    JobName.ISSUE_DEADLINES: _issue_deadlines,
    JobName.QUARTER_REVIEW: _quarter_review,
    JobName.YEAR_REVIEW: _year_review,
}


def job_run(*, job: str, period_key: str | None = None, user=None, manual: bool = False) -> JobRun:
    """Run `job` for a period (default: the one a scheduled run today works for) and record it.

    Raises JobError for a bad job or period, a period already completed, or a run in progress. A job
    that fails is recorded as failed with its error (and not raised), so the next run can finish it.
    Side effects: a JobRun row, and whatever the job writes (notifications, task lists, snapshots).
    """
    if job not in JOBS:
        raise JobError(_("未知的任务 (unknown job)"))
    key = period_key or default_key(job)
    try:
        period = parse_period(job, key)
    except PeriodError as exc:
        raise JobError(str(exc)) from exc
    if JobRun.objects.filter(job=job, period_key=key, status=RunStatus.DONE).exists():
        raise JobError(_("该任务在此周期已运行完成,不会重复发送 (already completed for this period)"))
    JobRun.objects.filter(
        job=job, period_key=key, status=RunStatus.RUNNING, started_at__lt=timezone.now() - ABANDONED_AFTER
    ).update(status=RunStatus.FAILED, finished_at=timezone.now(), error="abandoned (worker died?)")
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=job, period_key=key, manual=manual, triggered_by=user if manual else None
            )
    except IntegrityError as exc:
        raise JobError(_("该任务此周期正在运行 (a run for this period is in progress)")) from exc
    try:
        counts = JOBS[job](period)
    except Exception as exc:
        logger.exception("job %s %s failed", job, key)
        run.status = RunStatus.FAILED
        run.failures += 1
        run.error = f"{exc.__class__.__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "failures", "error", "finished_at"])
        return run
    run.status = RunStatus.DONE
    run.created = counts.get("created", 0)
    run.skipped = counts.get("skipped", 0)
    run.failures = counts.get("failures", 0)
    run.counts = counts
    run.finished_at = timezone.now()
    try:
        with transaction.atomic():
            run.save(update_fields=["status", "created", "skipped", "failures", "counts", "finished_at"])
    except IntegrityError:
        # Another run of the same period completed meanwhile; everything written was deduplicated.
        JobRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error="another run completed first"
        )
        run.refresh_from_db()
    return run


def job_run_by_hand(*, job: str, period_key: str, user, background: bool = False) -> JobRun | None:
    """Town staff run a job for a period: now (returns the run) or in the worker (returns None).

    Raises JobError for a bad period, a completed period, or (background) a broker that is down;
    PermissionDenied for anyone but town staff (the page checks it too; the service is the rule).
    """
    from members.access import scope_for

    if not scope_for(user).is_town_staff:
        raise PermissionDenied(_("只有镇工作人员可以手动运行任务 (town staff only)"))
    if job not in JOBS:
        raise JobError(_("未知的任务 (unknown job)"))
    try:
        parse_period(job, period_key)
    except PeriodError as exc:
        raise JobError(str(exc)) from exc
    if not background:
        return job_run(job=job, period_key=period_key, user=user, manual=True)
    if JobRun.objects.filter(job=job, period_key=period_key, status=RunStatus.DONE).exists():
        raise JobError(_("该任务在此周期已运行完成,不会重复发送 (already completed for this period)"))
    from members.outbox import enqueue

    from .tasks import run_job

    if not enqueue(run_job, job, period_key, getattr(user, "pk", None)):
        raise JobError(_("后台队列暂不可用,请稍后再试或直接运行 (queue unavailable)"))
    return None


def job_run_scheduled(*, job: str, on: datetime.date | None = None) -> JobRun | None:
    """What beat calls: the default period; an already-completed period is a quiet no-op."""
    try:
        return job_run(job=job, period_key=default_key(job, on))
    except JobError as exc:
        logger.info("job %s not run: %s", job, exc)
        return None


JOB_CHOICES = JobName.choices
