"""Reads of dispatch: order progress, job runs, task lists (counts aggregated in the database)."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from .enums import RecipientStatus
from .models import DispatchOrder, JobRun, OrderRecipient


def orders_with_progress(orders: QuerySet[DispatchOrder]) -> QuerySet[DispatchOrder]:
    """Annotate n_total / n_pending / n_acknowledged / n_done (one query for a whole page)."""
    return orders.annotate(
        n_total=Count("recipients", distinct=True),
        n_pending=Count("recipients", filter=Q(recipients__status=RecipientStatus.PENDING), distinct=True),
        n_acknowledged=Count(
            "recipients", filter=Q(recipients__status=RecipientStatus.ACKNOWLEDGED), distinct=True
        ),
        n_done=Count("recipients", filter=Q(recipients__status=RecipientStatus.DONE), distinct=True),
    ).select_related("town")


def order_recipients(*, order: DispatchOrder) -> QuerySet[OrderRecipient]:
    """Recipients, those who have not acted first."""
    return (
        OrderRecipient.objects.filter(order=order)
        .select_related("member", "via")
        .annotate(
            status_order=Case(
                When(status=RecipientStatus.PENDING, then=Value(0)),
                When(status=RecipientStatus.ACKNOWLEDGED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("status_order", "member__path", "member__name")
    )


def order_progress(*, order: DispatchOrder) -> dict[str, int]:
    counts = OrderRecipient.objects.filter(order=order).aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(status=RecipientStatus.PENDING)),
        acknowledged=Count("id", filter=Q(status=RecipientStatus.ACKNOWLEDGED)),
        done=Count("id", filter=Q(status=RecipientStatus.DONE)),
    )
    return counts


def job_runs(limit: int = 100, towns=None) -> QuerySet[JobRun]:
    """The latest runs; with `towns` (a town's staff), only those towns' runs (not whole-city ones)."""
    runs = JobRun.objects.select_related("triggered_by", "town")
    if towns is not None:
        runs = runs.filter(town__in=towns)
    return runs.order_by("-started_at", "-id")[:limit]
