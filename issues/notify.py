"""Feeding results down and work across: inbox notifications through members.notifications.

Resolved → the raiser (to record satisfaction on a return visit) and the village's officers (专干).
Whistled → the handlers of each department. Rows are written in the caller's transaction; external
deliveries are queued after commit by members.notifications.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from members.enums import NotificationKind, PositionKind
from members.models import Position
from members.notifications import Draft, notifications_send

from .enums import WhistleKind
from .models import Issue


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def notify_resolved(issue: Issue) -> None:
    officers = (
        Position.objects.current()
        .filter(kind=PositionKind.VILLAGE_OFFICER, place__path__in=_prefixes(issue.path))
        .values_list("member_id", flat=True)
    )
    recipients = {issue.raised_by_id, *officers}
    title = _("诉求 #%(id)d 已办结") % {"id": issue.pk}
    body = _("办理结果:%(result)s") % {"result": issue.result[:300]}
    link = reverse("issues:detail", args=[issue.pk])
    notifications_send(
        drafts=[
            Draft(recipient_id=m, kind=NotificationKind.GENERAL, title=title, body=body, link=link)
            for m in sorted(recipients)
        ]
    )


def notify_whistled(issue: Issue, department_ids: Iterable[int]) -> None:
    handlers = (
        Position.objects.current()
        .filter(kind=PositionKind.DEPT_HANDLER, department_id__in=list(department_ids))
        .values_list("member_id", flat=True)
        .distinct()
    )
    title = _("吹哨交办:诉求 #%(id)d (%(kind)s)") % {"id": issue.pk, "kind": issue.get_whistle_kind_display()}
    link = reverse("issues:detail", args=[issue.pk])
    # An emergency whistle's SMS goes out at once, even in quiet hours (members/channels/rules.py).
    urgent = issue.whistle_kind == WhistleKind.EMERGENCY
    notifications_send(
        drafts=[
            Draft(recipient_id=m, kind=NotificationKind.GENERAL, title=title, link=link, urgent=urgent)
            for m in handlers
        ]
    )
