"""Thin tasks: take ids, re-fetch, return quietly if the row is gone (reports.services does the work)."""

from celery import shared_task


@shared_task(name="reports.export_run", ignore_result=True)
def export_run_task(job_id: int) -> None:
    from .services import export_run

    export_run(job_id=job_id)


@shared_task(name="reports.exports_purge", ignore_result=True)
def exports_purge_task() -> None:
    from .services import exports_purge

    exports_purge()
