"""When an SMS may go out: quiet hours and a daily cap per person.

- Quiet hours (settings.LIANHU_SMS QUIET_START–QUIET_END, local time, default 21:30–07:30): an SMS due then
  stays queued until the end of the quiet period (the per-minute sweeper sends it in the morning).
- Daily cap (DAILY_CAP SMS per person per local day, 0 = no cap): an SMS over the cap is not sent alone; its
  delivery becomes `folded`, and the member's next digest SMS (the weekly/旬 digests) carries the number of
  folded messages in its `folded` parameter and points them at itself (`folded_into`). The inbox has them all.
- Emergency whistles (Notification.urgent) ignore both; digests ignore the cap (they are where excess goes).

Only metered backends (the real SMS providers) are held to these rules; the log stand-in is not.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from members.models import Member

from ..enums import Channel, DeliveryStatus, NotificationKind
from ..models import Delivery

DIGEST_KINDS = frozenset(
    {
        NotificationKind.OVERDUE_DIGEST,
        NotificationKind.GRID_DIGEST,
        NotificationKind.VILLAGE_DIGEST,
        NotificationKind.DECADE_DIGEST,
    }
)


def _clock(value: str) -> datetime.time:
    hours, minutes = value.strip().split(":")
    return datetime.time(int(hours), int(minutes))


def quiet_until(now: datetime.datetime) -> datetime.datetime | None:
    """The end of the quiet period `now` falls in (aware), or None outside quiet hours."""
    start = _clock(settings.LIANHU_SMS.get("QUIET_START", "21:30"))
    end = _clock(settings.LIANHU_SMS.get("QUIET_END", "07:30"))
    if start == end:
        return None
    local = timezone.localtime(now)
    t = local.time()
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    day = local.date() if t < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


def sms_sent_today(*, member_id: int, now: datetime.datetime) -> int:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return Delivery.objects.filter(
        channel=Channel.SMS, notification__recipient_id=member_id, sent_at__gte=start
    ).count()


def hold_or_fold(delivery: Delivery, now: datetime.datetime) -> str | None:
    """Apply the rules to a claimed SMS delivery. Returns its new status if it must not be sent now.

    The claim's attempt is given back: being held or folded is not a failed attempt.
    """
    notification = delivery.notification
    if notification.urgent:
        return None
    until = quiet_until(now)
    if until is not None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.QUEUED, attempts=F("attempts") - 1, next_attempt_at=until, claimed_at=None
        )
        return DeliveryStatus.QUEUED
    cap = int(settings.LIANHU_SMS.get("DAILY_CAP", 0) or 0)
    if cap <= 0 or notification.kind in DIGEST_KINDS:
        return None
    if sms_sent_today(member_id=notification.recipient_id, now=now) >= cap:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FOLDED,
            attempts=F("attempts") - 1,
            claimed_at=None,
            last_error=f"daily SMS cap ({cap}) reached: folded into the next digest",
        )
        return DeliveryStatus.FOLDED
    return None


def folded_waiting(member: Member) -> list[int]:
    """Ids of the member's folded SMS deliveries not yet counted in a digest."""
    return list(
        Delivery.objects.filter(
            channel=Channel.SMS,
            notification__recipient=member,
            status=DeliveryStatus.FOLDED,
            folded_into__isnull=True,
        ).values_list("id", flat=True)
    )
