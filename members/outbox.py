"""The outbox: work to do after a save, kept in the database so a Redis or worker outage cannot lose it.

    with transaction.atomic():
        order = ...save...
        outbox_publish(topic="dispatch.order_issued", payload={"order_id": order.pk})

The row is written in the caller's transaction; after commit we try to enqueue it at once (a broker error is
logged and swallowed, publishing gives up within about a second), and `outbox_sweep` (beat, every minute)
re-enqueues whatever is still pending. Apps register a handler per topic in their AppConfig.ready().
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .enums import OutboxStatus
from .models import OutboxEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Fresh events are enqueued by on_commit; the sweeper leaves them this long before re-enqueueing.
SWEEP_GRACE = datetime.timedelta(seconds=20)

_HANDLERS: dict[str, Callable[[dict], None]] = {}


def register_handler(topic: str) -> Callable:
    """Decorator: `handler(payload: dict) -> None` runs once per event, inside the claiming transaction."""

    def decorator(func: Callable[[dict], None]) -> Callable[[dict], None]:
        _HANDLERS[topic] = func
        return func

    return decorator


def enqueue(task, *args, countdown: float | None = None) -> bool:
    """Send a Celery task, never raising: a broker outage must not fail or slow the caller.

    Returns whether the broker accepted it. Whatever was not accepted is found again by a sweeper.
    """
    try:
        task.apply_async(args=args, countdown=countdown)
    except Exception as exc:  # broker down, DNS, timeouts: all the same to the caller
        logger.warning("could not enqueue %s: %s", task.name, exc.__class__.__name__)
        return False
    return True


def _enqueue_event(event_id: int) -> None:
    from .tasks import outbox_process_task

    enqueue(outbox_process_task, event_id)


def outbox_publish(*, topic: str, payload: dict) -> OutboxEvent:
    """Record an event in the current transaction; enqueue its processing after commit.

    Side effects: one OutboxEvent row; after commit, one Celery message (best effort).
    """
    if topic not in _HANDLERS:
        raise ValueError(f"no outbox handler registered for {topic!r}")
    with transaction.atomic():
        event = OutboxEvent.objects.create(topic=topic, payload=payload)
        transaction.on_commit(lambda: _enqueue_event(event.pk))
    return event


def outbox_process(*, event_id: int) -> bool:
    """Run an event's handler exactly once. Returns whether this call ran it.

    The conditional update pending → done and the handler share one transaction: if the handler fails,
    the event is pending again (and counted); a second worker's update finds no pending row and does nothing.
    """
    event = OutboxEvent.objects.filter(pk=event_id, status=OutboxStatus.PENDING).first()
    if event is None:
        return False
    handler = _HANDLERS.get(event.topic)
    if handler is None:
        OutboxEvent.objects.filter(pk=event_id, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.FAILED, last_error=f"no handler for {event.topic}"[:300]
        )
        return False
    try:
        with transaction.atomic():
            claimed = OutboxEvent.objects.filter(pk=event_id, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.DONE, processed_at=timezone.now(), attempts=F("attempts") + 1
            )
            if claimed != 1:
                return False
            handler(event.payload)
    except Exception as exc:
        logger.exception("outbox event %s (%s) failed", event_id, event.topic)
        OutboxEvent.objects.filter(pk=event_id, status=OutboxStatus.PENDING).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:300]
        )
        OutboxEvent.objects.filter(
            pk=event_id, status=OutboxStatus.PENDING, attempts__gte=MAX_ATTEMPTS
        ).update(status=OutboxStatus.FAILED)
        return False
    return True


def outbox_sweep(*, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Re-enqueue pending events older than a short grace period. Returns how many the broker accepted."""
    from .tasks import outbox_process_task

    now = now or timezone.now()
    ids = list(
        OutboxEvent.objects.filter(status=OutboxStatus.PENDING, created_at__lte=now - SWEEP_GRACE)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for event_id in ids:
        if not enqueue(outbox_process_task, event_id):
            break  # the broker is still down: the next sweep tries again
        sent += 1
    return sent
