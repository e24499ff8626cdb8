"""Scheduled jobs: one function per JobName, each run recorded as a JobRun and idempotent per period.

Jobs run per town: beat (or a city-level user) starts `dispatch.run_scheduled_job` / `dispatch.fan_out_job`,
which enqueues one `dispatch.run_town_job` per town (and one for the city's people outside every town), so
more workers finish a city faster. Town staff run their own town's job by hand from /dispatch/jobs/, always in
the worker. Each run records its progress (done/total) and a heartbeat with every batch; a run whose worker
died (no heartbeat for STALE_AFTER) counts as failed and may be run again at once, finishing what is missing.

Idempotency is enforced by the database twice over: a unique constraint on (job, period) for completed
runs, and per-recipient unique constraints on what a job writes (Notification (recipient, kind, period),
MonthlyTaskList (member, month), ReviewSnapshot (kind, period, town)). A run that crashed halfway is simply
run again: what it already wrote is skipped.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied  # noqa: F401 (callers and tests refer to jobs.PermissionDenied)
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import Invalid, NotAllowed
from grids.models import Place
from notifications.outbox import enqueue

from .enums import JobName, RunStatus
from .models import JobRun
from .periods import JobPeriod, PeriodError, default_key, parse_period

logger = logging.getLogger(__name__)

# A run "running" whose heartbeat (touched with every batch) is older than this died with its worker.
STALE_AFTER = datetime.timedelta(minutes=10)
ABANDONED_AFTER = STALE_AFTER  # the old name
# Jobs that also concern people outside every town (city leaders' and city departments' own lists).
CITY_REST_JOBS = {JobName.TASK_LISTS, JobName.OVERDUE_DIGESTS, JobName.ISSUE_DEADLINES}


class JobError(Invalid):
    """A run that cannot start (grids/errors.py)."""


def _task_lists(period: JobPeriod, town=None, progress=None) -> dict:
    from .tasklists import task_lists_generate

    return task_lists_generate(period=period, town=town, progress=progress)


def _overdue_digests(period: JobPeriod, town=None, progress=None) -> dict:
    from .digests import overdue_digests_send

    return overdue_digests_send(period=period, town=town, progress=progress)


def _decade_dispatch(period: JobPeriod, town=None, progress=None) -> dict:
    from .digests import decade_dispatch_send

    return decade_dispatch_send(period=period, town=town, progress=progress)


def _issue_deadlines(period: JobPeriod, town=None, progress=None) -> dict:
    from .digests import issue_deadlines_send

    return issue_deadlines_send(period=period, town=town, progress=progress)


def _quarter_review(period: JobPeriod, town=None, progress=None) -> dict:
    from .reviews import review_snapshots_take

    return review_snapshots_take(kind="quarter", period=period, town=town, progress=progress)


def _year_review(period: JobPeriod, town=None, progress=None) -> dict:
    from .reviews import review_snapshots_take

    return review_snapshots_take(kind="year", period=period, town=town, progress=progress)


def _compliance_snapshots(period: JobPeriod, town=None, progress=None) -> dict:
    """The town's compliance figures as of the period's day (visits.snapshots), replacing that day's row: what
    the city dashboard and the city's compliance by town read. A whole-city run (town None) does every town."""
    from visits.snapshots import town_snapshot_take

    if town is not None and town.kind != PlaceKind.TOWN:
        return {"created": 0, "skipped": 0}
    towns = [town] if town is not None else list(Place.objects.filter(kind=PlaceKind.TOWN).order_by("path"))
    if progress:
        progress.total(len(towns))
    on = period.start
    for i, place in enumerate(towns, start=1):
        town_snapshot_take(place, on)
        if progress:
            progress.advance(i)
    return {"created": len(towns), "skipped": 0}


JOBS: dict[str, Callable[..., dict]] = {
    JobName.TASK_LISTS: _task_lists,
    JobName.OVERDUE_DIGESTS: _overdue_digests,
    JobName.DECADE_DISPATCH: _decade_dispatch,
    JobName.ISSUE_DEADLINES: _issue_deadlines,
    JobName.QUARTER_REVIEW: _quarter_review,
    JobName.YEAR_REVIEW: _year_review,
    JobName.COMPLIANCE_SNAPSHOTS: _compliance_snapshots,
}
# Jobs whose period may be run again once done: the new run replaces what the last one wrote (a snapshot of
# the day's figures) and its JobRun replaces the last done one of the same period and town.
REPEATABLE_JOBS = {JobName.COMPLIANCE_SNAPSHOTS}


def place_q(place: Place | None, field_name: str = "path") -> Q:
    """Rows of one run's share: under the town; for a city place, under the city but outside all its towns;
    everything for None (a whole-city run)."""
    if place is None:
        return Q()
    q = Q(**{f"{field_name}__startswith": place.path})
    if place.kind == PlaceKind.CITY:
        for path in Place.objects.filter(kind=PlaceKind.TOWN, path__startswith=place.path).values_list(
            "path", flat=True
        ):
            q &= ~Q(**{f"{field_name}__startswith": path})
    return q


class Progress:
    """What a job reports while it runs: `total(n)` once, `advance(done)` per batch (also the heartbeat)."""

    def __init__(self, run: JobRun | None = None):
        self.run_pk = run.pk if run else None
        self.done = 0
        self.total_count = 0

    def total(self, n: int) -> None:
        self.total_count = n
        if self.run_pk:
            JobRun.objects.filter(pk=self.run_pk).update(total=n, heartbeat_at=timezone.now())

    def advance(self, done: int) -> None:
        self.done = done
        if self.run_pk:
            JobRun.objects.filter(pk=self.run_pk).update(done=done, heartbeat_at=timezone.now())


def runs_mark_stale(**filters) -> int:
    """Mark running runs whose worker went silent as failed (so they may be run again). One UPDATE."""
    stale = (
        JobRun.objects.filter(status=RunStatus.RUNNING, **filters)
        .annotate(last_beat=Coalesce("heartbeat_at", "started_at"))
        .filter(last_beat__lt=timezone.now() - STALE_AFTER)
        .values("pk")
    )
    return JobRun.objects.filter(pk__in=stale).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error="abandoned (worker died?)"
    )


def job_run(
    *, job: str, period_key: str | None = None, town: Place | None = None, user=None, manual: bool = False
) -> JobRun:
    """Run `job` for a period (default: the one a scheduled run today works for) and one town (None: the
    whole city in one go) and record it.

    Raises JobError for a bad job or period, a period already completed, or a run in progress. A job
    that fails is recorded as failed with its error (and not raised), so the next run can finish it.
    Side effects: a JobRun row, and whatever the job writes (notifications, task lists, snapshots).
    """
    if job not in JOBS:
        raise JobError(_("未知的任务"))
    key = period_key or default_key(job)
    try:
        period = parse_period(job, key)
    except PeriodError as exc:
        raise JobError(str(exc)) from exc
    if (
        job not in REPEATABLE_JOBS
        and JobRun.objects.filter(job=job, period_key=key, town=town, status=RunStatus.DONE).exists()
    ):
        raise JobError(_("该任务在此周期已运行完成,不会重复发送"))
    runs_mark_stale(job=job, period_key=key, town=town)
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=job,
                period_key=key,
                town=town,
                manual=manual,
                triggered_by=user if manual else None,
                heartbeat_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise JobError(_("该任务此周期正在运行")) from exc
    try:
        counts = JOBS[job](period, town=town, progress=Progress(run))
    except Exception as exc:
        logger.exception("job %s %s failed", job, key)
        run.refresh_from_db(fields=["done", "total"])
        run.status = RunStatus.FAILED
        run.failures += 1
        run.error = f"{exc.__class__.__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "failures", "error", "finished_at"])
        return run
    run.refresh_from_db(fields=["total"])
    run.status = RunStatus.DONE
    run.created = counts.get("created", 0)
    run.skipped = counts.get("skipped", 0)
    run.failures = counts.get("failures", 0)
    run.counts = counts
    run.done = run.total = max(run.total, run.created + run.skipped)
    run.finished_at = run.heartbeat_at = timezone.now()
    fields = [
        "status",
        "created",
        "skipped",
        "failures",
        "counts",
        "done",
        "total",
        "finished_at",
        "heartbeat_at",
    ]
    try:
        with transaction.atomic():
            if job in REPEATABLE_JOBS:
                JobRun.objects.filter(job=job, period_key=key, town=town, status=RunStatus.DONE).delete()
            run.save(update_fields=fields)
    except IntegrityError:
        # Another run of the same period completed meanwhile; everything written was deduplicated.
        JobRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error="another run completed first"
        )
        run.refresh_from_db()
    return run


# --- who runs what, and fanning out ------------------------------------------------------------------


def _staff_paths(user) -> tuple[bool, list[str]]:
    """(superuser?, paths where the user holds a town-staff post: Scope.staff_town_paths)."""
    from members.access import scope_for

    scope = scope_for(user)
    return scope.is_superuser, [] if scope.is_superuser else list(scope.staff_town_paths)


def runnable_towns(user):
    """The towns whose jobs `user` may run by hand: their own town(s); every town for superusers and staff
    posted at the city. Empty for everyone else."""
    superuser, paths = _staff_paths(user)
    towns = Place.objects.filter(kind=PlaceKind.TOWN).order_by("path")
    if superuser:
        return towns
    from members.access import paths_q

    return towns.filter(paths_q(paths))


def may_run_all(user) -> bool:
    """Superusers and staff posted at the city (above every town) may run a job for all towns at once."""
    superuser, paths = _staff_paths(user)
    return superuser or Place.objects.filter(kind=PlaceKind.CITY, path__in=paths).exists()


def fan_out_places(job: str) -> list[Place]:
    """One run per town, plus one per city for the people outside every town where the job concerns them."""
    kinds = [PlaceKind.TOWN, PlaceKind.CITY] if job in CITY_REST_JOBS else [PlaceKind.TOWN]
    return list(Place.objects.filter(kind__in=kinds).order_by("path"))


def job_fan_out(*, job: str, period_key: str, user_id: int | None = None, manual: bool = False) -> int:
    """Enqueue one `run_town_job` per town (see fan_out_places); returns how many the broker accepted.
    Towns already done for the period are left out (the child would refuse them anyway)."""
    from .tasks import run_town_job

    done = (
        set()
        if job in REPEATABLE_JOBS
        else set(
            JobRun.objects.filter(job=job, period_key=period_key, status=RunStatus.DONE).values_list(
                "town_id", flat=True
            )
        )
    )
    sent = 0
    for place in fan_out_places(job):
        if place.pk in done:
            continue
        sent += enqueue(run_town_job, job, period_key, place.pk, user_id, manual)
    return sent


def job_run_by_hand(*, job: str, period_key: str, user, town_id: int | None = None) -> None:
    """Town staff run a job for a period and their town (town_id None: all towns, for city-level users).

    Never runs the job here: it is enqueued for the worker (one task, or a fan-out task for all towns).
    Raises JobError for a bad period, a completed period or a broker that is down; PermissionDenied for
    anyone who may not run that town's jobs (the page checks it too; the service is the rule).
    """
    from .tasks import fan_out_job, run_town_job

    if job not in JOBS:
        raise JobError(_("未知的任务"))
    try:
        parse_period(job, period_key)
    except PeriodError as exc:
        raise JobError(str(exc), field="period") from exc
    user_id = getattr(user, "pk", None)
    if town_id is None:
        if not may_run_all(user):
            raise NotAllowed(_("只有市级工作人员可以运行全部镇的任务"))
        accepted = enqueue(fan_out_job, job, period_key, user_id, True)
    else:
        town = runnable_towns(user).filter(pk=town_id).first()
        if town is None:
            raise NotAllowed(_("只能运行本镇的任务"))
        runs_mark_stale(job=job, period_key=period_key, town=town)
        if (
            job not in REPEATABLE_JOBS
            and JobRun.objects.filter(
                job=job, period_key=period_key, town=town, status=RunStatus.DONE
            ).exists()
        ):
            raise JobError(_("该任务在此周期已运行完成,不会重复发送"), field="period")
        if JobRun.objects.filter(
            job=job, period_key=period_key, town=town, status=RunStatus.RUNNING
        ).exists():
            raise JobError(_("该任务此周期正在运行"), field="period")
        accepted = enqueue(run_town_job, job, period_key, town.pk, user_id, True)
    if not accepted:
        raise JobError(_("后台队列暂不可用,请稍后再试"))


def job_run_scheduled(
    *, job: str, on: datetime.date | None = None, town: Place | None = None
) -> JobRun | None:
    """A scheduled run of one town (or the whole city): the default period; already completed is a quiet no-op."""
    try:
        return job_run(job=job, period_key=default_key(job, on), town=town)
    except JobError as exc:
        logger.info("job %s not run: %s", job, exc)
        return None


JOB_CHOICES = JobName.choices
