"""Celery tasks of dispatch: thin, by name and ids. Jobs fan out: one task per town."""

from celery import shared_task

from .jobs import JobError, job_fan_out, job_run
from .periods import default_key


@shared_task(name="dispatch.run_scheduled_job")
def run_scheduled_job(job: str) -> int:
    """Beat: enqueue one run per town for the default period; returns how many were enqueued."""
    return job_fan_out(job=job, period_key=default_key(job))


@shared_task(name="dispatch.fan_out_job")
def fan_out_job(job: str, period_key: str, user_id: int | None = None, manual: bool = False) -> int:
    """A city-level user's "all towns" run: one task per town."""
    return job_fan_out(job=job, period_key=period_key, user_id=user_id, manual=manual)


@shared_task(name="dispatch.run_town_job")
def run_town_job(
    job: str, period_key: str, place_id: int, user_id: int | None = None, manual: bool = False
) -> int | None:
    """One town's run (or a city's people outside every town). A period already done or running: None."""
    from django.contrib.auth import get_user_model

    from grids.models import Place

    place = Place.objects.filter(pk=place_id).first()
    if place is None:
        return None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        return job_run(job=job, period_key=period_key, town=place, user=user, manual=manual).pk
    except JobError:
        return None


@shared_task(name="dispatch.run_job")
def run_job(job: str, period_key: str, user_id: int | None = None) -> int:
    """Kept for messages queued before jobs ran per town: now fans out like an "all towns" run."""
    return job_fan_out(job=job, period_key=period_key, user_id=user_id, manual=True)
