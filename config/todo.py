"""今日待办 on the home page: what waits for this user today, one row per kind of work.

Rows only for what the user's posts give them (a member's own links and dispatch orders, the grid / village /
centre queue, a department's whistles); each row is a count and a link to the page where the work is done.
A constant number of queries whatever the data (a handful per row).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.enums import OPEN_ASSIGNMENT_STATUSES
from issues.selectors import QUEUES, department_assignments, queue_allowed, queue_area, waiting_at
from members.access import scope_for
from visits.selectors import member_status_counts


def _row(label: str, url: str, count: int, overdue: int = 0, note: str = "") -> dict:
    return {"label": label, "url": url, "count": count, "overdue": overdue, "note": note}


def todo_rows(user) -> list[dict]:
    scope = scope_for(user)
    now = timezone.now()
    rows = []
    member = scope.member
    if member is not None:
        links = member_status_counts(member=member)
        rows.append(
            _row(
                _("联系户待走访"),
                reverse("visits:workspace"),
                links["due"] + links["overdue"],
                links["overdue"],
                _("本期已完成 %(n)s") % {"n": links["done"]},
            )
        )
        rows.append(_orders_row(member))
    for key, queue in QUEUES.items():
        if scope.is_superuser or not queue_allowed(scope, key):
            continue
        waiting = waiting_at(queue_area(user, queue), queue.level).order_by()
        counts = waiting.aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=now)))
        rows.append(
            _row(str(queue.title), reverse("issues:queue", args=[key]), counts["n"], counts["overdue"])
        )
    if scope.department_ids:
        counts = (
            department_assignments(user)
            .filter(status__in=OPEN_ASSIGNMENT_STATUSES)
            .order_by()
            .aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=now)))
        )
        rows.append(_row(_("部门交办"), reverse("issues:department"), counts["n"], counts["overdue"]))
    return rows


def _orders_row(member) -> dict:
    from dispatch.enums import RecipientStatus
    from dispatch.models import OrderRecipient

    today = timezone.localdate()
    counts = (
        OrderRecipient.objects.filter(member=member)
        .exclude(status=RecipientStatus.DONE)
        .order_by()
        .aggregate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(order__due_date__lt=today)),
            unsigned=Count("pk", filter=Q(status=RecipientStatus.PENDING)),
        )
    )
    note = _("未签收 %(n)s") % {"n": counts["unsigned"]} if counts["unsigned"] else ""
    return _row(_("调度令未办结"), reverse("dispatch:orders"), counts["n"], counts["overdue"], note)
