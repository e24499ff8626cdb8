"""Feeding results down and work across: inbox notifications through notifications.services.

Resolved → the raiser (to record satisfaction on a return visit) and the village's officers (专干).
Whistled → the handlers of each department. Arrived in a queue (escalated to grid, village or centre) → the
grid heads, village officers or centre staff whose place holds the issue (not the one who sent it up). Rows are written in the caller's transaction; external
deliveries are queued after commit by notifications.services.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from grids.paths import ancestors
from members.enums import PositionKind
from members.models import Position
from notifications.enums import NotificationKind
from notifications.services import Draft, notifications_send

from .access import LEVEL_POSTS
from .enums import WhistleKind
from .models import Issue


def _send(
    issue: Issue, recipient_ids: Iterable[int], *, title: str, body: str = "", urgent: bool = False
) -> None:
    """One general notification per recipient, linking to the issue's page."""
    link = reverse("issues:detail", args=[issue.pk])
    notifications_send(
        drafts=[
            Draft(
                recipient_id=m,
                kind=NotificationKind.GENERAL,
                title=title,
                body=body,
                link=link,
                urgent=urgent,
            )
            for m in recipient_ids
        ]
    )


def notify_resolved(issue: Issue) -> None:
    officers = (
        Position.objects.current()
        .filter(kind=PositionKind.VILLAGE_OFFICER, place__path__in=ancestors(issue.path))
        .values_list("member_id", flat=True)
    )
    recipients = {issue.raised_by_id, *officers}
    title = _("诉求 #%(id)d 已办结") % {"id": issue.pk}
    body = _("办理结果:%(result)s") % {"result": issue.result[:300]}
    _send(issue, sorted(recipients), title=title, body=body)


def notify_whistled(issue: Issue, department_ids: Iterable[int]) -> None:
    handlers = (
        Position.objects.current()
        .filter(kind=PositionKind.DEPT_HANDLER, department_id__in=list(department_ids))
        .values_list("member_id", flat=True)
        .distinct()
    )
    title = _("吹哨交办:诉求 #%(id)d (%(kind)s)") % {"id": issue.pk, "kind": issue.get_whistle_kind_display()}
    # An emergency whistle's SMS goes out at once, even in quiet hours (notifications/channels/rules.py).
    _send(issue, handlers, title=title, urgent=issue.whistle_kind == WhistleKind.EMERGENCY)


def notify_arrived(issue: Issue, *, sender_id: int | None) -> None:
    """The issue reached the grid, village or centre queue: tell the people who work that queue."""
    posts = LEVEL_POSTS.get(issue.level)
    if posts is None:
        return
    recipients = set(
        Position.objects.current()
        .filter(kind__in=posts, place__path__in=ancestors(issue.path))
        .values_list("member_id", flat=True)
    )
    recipients.discard(sender_id)
    title = _("新的待办诉求 #%(id)d:%(category)s(%(level)s)") % {
        "id": issue.pk,
        "category": issue.category.name,
        "level": issue.get_level_display(),
    }
    body = _("情况描述:%(text)s") % {"text": issue.description[:200]}
    _send(issue, sorted(recipients), title=title, body=body)
