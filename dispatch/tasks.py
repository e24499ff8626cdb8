"""Celery tasks of dispatch: thin, by name and ids."""

from celery import shared_task

from .jobs import JobError, job_run, job_run_scheduled


@shared_task(name="dispatch.run_scheduled_job")
def run_scheduled_job(job: str) -> int | None:
    run = job_run_scheduled(job=job)
    return run.pk if run else None


@shared_task(name="dispatch.run_job")
def run_job(job: str, period_key: str, user_id: int | None = None) -> int | None:
    """A manual run sent to the background from the jobs page."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        return job_run(job=job, period_key=period_key, user=user, manual=True).pk
    except JobError:
        return None
