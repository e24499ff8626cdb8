"""Celery tasks of dispatch: thin, by name and ids."""

from celery import shared_task

from .jobs import job_run_scheduled


@shared_task(name="dispatch.run_scheduled_job")
def run_scheduled_job(job: str) -> int | None:
    run = job_run_scheduled(job=job)
    return run.pk if run else None
