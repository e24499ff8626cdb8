"""Celery tasks of notifications: thin wrappers that take ids and call the services.

The registered names stay `members.*` (where these tasks lived before issue 16), so messages already queued
and beat schedules of existing deployments still find them.
"""

from celery import shared_task

from . import outbox, services


@shared_task(name="members.outbox_process")
def outbox_process_task(event_id: int) -> bool:
    return outbox.outbox_process(event_id=event_id)


@shared_task(name="members.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox.outbox_sweep()


@shared_task(name="members.delivery_send")
def delivery_send_task(delivery_id: int) -> str | None:
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="members.deliveries_send")
def deliveries_send_task(delivery_ids: list[int]) -> int:
    sent = 0
    for delivery_id in delivery_ids:
        if services.delivery_attempt(delivery_id=delivery_id) is not None:
            sent += 1
    return sent


@shared_task(name="members.deliveries_sweep")
def deliveries_sweep_task() -> int:
    return services.deliveries_sweep()
