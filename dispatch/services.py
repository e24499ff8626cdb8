"""Writes of dispatch: 调度令 issue / acknowledge / report done. Views and the API call these."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.dates import latest, out_of_range_message
from grids.enums import PlaceKind
from grids.errors import Invalid, NotAllowed
from grids.models import Place
from members.access import can_manage_town, scope_for
from members.enums import PositionKind
from members.models import Member, Position
from notifications.outbox import outbox_publish

from .enums import RecipientStatus
from .models import DispatchOrder, OrderRecipient
from .periods import TZ, today


class DispatchError(Invalid):
    """A domain error shown to the user as a message (grids/errors.py)."""


def _recipients_for(
    *, places: list[Place], members: list[Member], on: datetime.date
) -> tuple[dict[int, Place | None], list[Place]]:
    """Member id → the place they got the order through; plus places nobody answers for."""
    wanted = {
        PlaceKind.VILLAGE: PositionKind.VILLAGE_OFFICER,
        PlaceKind.GRID3: PositionKind.GRID_HEAD,
        PlaceKind.GRID4: PositionKind.GRID_HEAD,
    }
    result: dict[int, Place | None] = {}
    empty: list[Place] = []
    if places:
        holders = Position.objects.current(on).filter(place__in=places, kind__in=set(wanted.values()))
        by_place: dict[int, list[int]] = {}
        for place_id, kind, member_id in holders.values_list("place_id", "kind", "member_id"):
            by_place.setdefault(place_id, []).append((kind, member_id))
        for place in places:
            ids = [m for kind, m in by_place.get(place.pk, []) if kind == wanted[place.kind]]
            if not ids:
                empty.append(place)
            for member_id in ids:
                result.setdefault(member_id, place)
    for member in members:
        result.setdefault(member.pk, None)
    return result, empty


def _attachment_name(upload) -> str:
    """The uploaded file's own name (without any client-side folder), kept for Content-Disposition only."""
    if not upload:
        return ""
    return str(upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200]


def order_issue(
    *,
    user,
    town: Place,
    title: str,
    task: str,
    due_date: datetime.date,
    places: list[Place] = (),
    members: list[Member] = (),
    attachment=None,
    now: datetime.datetime | None = None,
) -> DispatchOrder:
    """The town centre issues a 调度令 to villages (their 专干), grids (their heads) and/or members.

    Side effects: the order, one OrderRecipient per person, and an outbox event that notifies them
    (so a broker outage never fails or slows the save).
    """
    scope = scope_for(user)
    if not can_manage_town(user, town):
        raise DispatchError(_("只有镇网格化综合服务中心可以下发调度令"))
    if not title.strip() or not task.strip():
        raise DispatchError(_("请填写标题和任务内容"))
    on = today() if now is None else now.astimezone(TZ).date()
    if due_date < on:
        raise DispatchError(_("完成期限不能早于今天"))
    if due_date > latest():
        raise DispatchError(str(out_of_range_message()))
    places, members = list(places), list(members)
    if not places and not members:
        raise DispatchError(_("请至少选择一个村、网格或人员"))
    outside = [p.name for p in places if not p.path.startswith(town.path)]
    outside += [m.name for m in members if not m.path.startswith(town.path) and not scope.is_superuser]
    if outside:
        raise DispatchError(_("不在本镇范围内:%(names)s") % {"names": "、".join(outside)})
    recipients, empty = _recipients_for(places=places, members=members, on=on)
    if empty:
        raise DispatchError(
            _("以下村/网格没有在任专干或网格长:%(names)s") % {"names": "、".join(p.name for p in empty)}
        )
    with transaction.atomic():
        order = DispatchOrder(
            town=town,
            title=title.strip(),
            task=task.strip(),
            due_date=due_date,
            attachment=attachment or "",
            attachment_name=_attachment_name(attachment),
            issued_by=scope.member,
        )
        if now is not None:  # issued in the past (the demo's story); the field's default otherwise
            order.issued_at = now
        order.save(force_insert=True)
        order.target_places.set(places)
        order.target_members.set(members)
        OrderRecipient.objects.bulk_create(
            [OrderRecipient(order=order, member_id=mid, via=via) for mid, via in recipients.items()]
        )
        outbox_publish(topic="dispatch.order_issued", payload={"order_id": order.pk})
    return order


def _own_row(*, user, order: DispatchOrder) -> OrderRecipient:
    member = scope_for(user).member
    row = OrderRecipient.objects.filter(order=order, member=member).first() if member else None
    if row is None:  # refused because of who asks: 403 on pages and the API
        raise NotAllowed(_("该调度令不是下发给您的"))
    return row


def order_acknowledge(*, user, order: DispatchOrder, now: datetime.datetime | None = None) -> OrderRecipient:
    """签收: pending → acknowledged (once; later calls change nothing)."""
    with transaction.atomic():
        row = _own_row(user=user, order=order)
        OrderRecipient.objects.filter(pk=row.pk, status=RecipientStatus.PENDING).update(
            status=RecipientStatus.ACKNOWLEDGED, acknowledged_at=now or timezone.now()
        )
        row.refresh_from_db()
    return row


def order_report_done(
    *, user, order: DispatchOrder, report: str, now: datetime.datetime | None = None
) -> OrderRecipient:
    """办结: record what was done; acknowledging on the way if needed."""
    if not report.strip():
        raise DispatchError(_("请填写办理情况"))
    with transaction.atomic():
        row = _own_row(user=user, order=order)
        if row.status == RecipientStatus.DONE:
            raise DispatchError(_("已经办结"))
        now = now or timezone.now()
        row.status = RecipientStatus.DONE
        row.acknowledged_at = row.acknowledged_at or now
        row.done_at = now
        row.report = report.strip()
        row.save(update_fields=["status", "acknowledged_at", "done_at", "report"])
    return row
