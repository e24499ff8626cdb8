"""Outbox handlers of dispatch (registered at app start, see apps.py)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.enums import NotificationKind
from notifications.outbox import register_handler
from notifications.services import Draft, notifications_send

from .models import DispatchOrder, OrderRecipient


@register_handler("dispatch.order_issued")
def order_issued(payload: dict) -> None:
    """Tell each recipient of a new 调度令 (once: keyed by the order)."""
    order = DispatchOrder.objects.filter(pk=payload.get("order_id")).first()
    if order is None:
        return
    link = reverse("dispatch:order-detail", args=[order.pk])
    title = _("调度令:%(title)s(%(due)s 前完成)") % {"title": order.title, "due": order.due_date.isoformat()}
    member_ids = OrderRecipient.objects.filter(order=order).values_list("member_id", flat=True)
    notifications_send(
        drafts=[
            Draft(
                recipient_id=mid,
                kind=NotificationKind.DISPATCH_ORDER,
                period_key=f"order-{order.pk}",
                title=title,
                body=order.task,
                link=link,
            )
            for mid in member_ids
        ]
    )
