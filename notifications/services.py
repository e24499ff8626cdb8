"""Notifications: the in-app inbox plus one delivery per external channel (email, SMS, WeCom/DingTalk).

Channels are backends chosen by dotted path in `settings.LIANHU_NOTIFICATION_CHANNELS`; the shipped SMS and
WeCom/DingTalk backends write to the log (masked phone numbers only), so a real gateway is plugged in by
settings. A failing channel only marks its own delivery; the others and the inbox are unaffected.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from grids.validators import mask_phone
from members.models import Member

from .enums import Channel, DeliveryStatus
from .models import Delivery, Notification
from .outbox import enqueue

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
# A worker that died while sending leaves the row "sending": after this long it is queued again.
STUCK_AFTER = datetime.timedelta(minutes=10)
ENQUEUE_CHUNK = 200


class ChannelError(Exception):
    """A channel could not send. `permanent` failures are not retried (bad address, refused)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class ChannelBackend:
    """Interface of a channel backend. `address_for` returns "" when the member cannot be reached this way."""

    channel: str = ""

    def address_for(self, member: Member) -> str:
        raise NotImplementedError

    def send(self, *, member: Member, notification: Notification) -> None:
        raise NotImplementedError


def absolute_link(link: str) -> str:
    if not link or link.startswith(("http://", "https://")):
        return link
    return settings.LIANHU_SITE_URL.rstrip("/") + link


class EmailChannel(ChannelBackend):
    """Django's email backend (SMTP in production, console locally)."""

    channel = Channel.EMAIL

    def address_for(self, member: Member) -> str:
        return member.email

    def send(self, *, member: Member, notification: Notification) -> None:
        if not member.email:
            raise ChannelError("no email address", permanent=True)
        body = notification.body
        if notification.link:
            body = f"{body}\n\n{absolute_link(notification.link)}"
        try:
            send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [member.email])
        except OSError as exc:  # SMTP down or refused: worth retrying later
            raise ChannelError(f"{exc.__class__.__name__}: {exc}") from exc


class LogSmsChannel(ChannelBackend):
    """SMS stand-in: logs the masked number and the title. Replace with a gateway by settings."""

    channel = Channel.SMS

    def address_for(self, member: Member) -> str:
        return member.phone

    def send(self, *, member: Member, notification: Notification) -> None:
        if not member.phone:
            raise ChannelError("no phone number", permanent=True)
        logger.info("sms to %s: %s", mask_phone(member.phone), notification.title)


class LogImChannel(ChannelBackend):
    """WeCom / DingTalk stand-in: logs the member id and the title. Replace with a gateway by settings."""

    channel = Channel.WECOM

    def address_for(self, member: Member) -> str:
        return member.phone

    def send(self, *, member: Member, notification: Notification) -> None:
        logger.info("wecom to member %s (%s): %s", member.pk, mask_phone(member.phone), notification.title)


# Backends' dotted paths from before the move out of members (issue 16): a deployment's LIANHU_SMS_CHANNEL,
# LIANHU_IM_CHANNEL or LIANHU_EMAIL_CHANNEL may still name them.
_FORMER_PATHS = (
    ("members.notifications.", "notifications.services."),
    ("members.channels.", "notifications.channels."),
)


def backend_path(dotted: str) -> str:
    """The current dotted path of a channel backend, given its current or its former (members.*) path."""
    for former, current in _FORMER_PATHS:
        if dotted.startswith(former):
            return current + dotted[len(former) :]
    return dotted


@lru_cache(maxsize=8)
def _load_backend(dotted: str) -> ChannelBackend:
    return import_string(backend_path(dotted))()


def channel_backends() -> dict[str, ChannelBackend]:
    """Enabled channels: name → backend instance (an empty dotted path disables a channel)."""
    configured = getattr(settings, "LIANHU_NOTIFICATION_CHANNELS", {})
    return {name: _load_backend(path) for name, path in configured.items() if path}


@dataclass(frozen=True)
class Draft:
    """A notification to create. With a period_key it is sent at most once per (recipient, kind, period)."""

    recipient_id: int
    kind: str
    title: str
    body: str = ""
    link: str = ""
    period_key: str = ""
    # Emergency whistles: SMS ignores quiet hours and the daily cap (notifications/channels/rules.py).
    urgent: bool = False


def _enqueue_deliveries(ids: list[int]) -> None:
    from .tasks import deliveries_send_task

    for start in range(0, len(ids), ENQUEUE_CHUNK):
        if not enqueue(deliveries_send_task, ids[start : start + ENQUEUE_CHUNK]):
            return  # broker down: deliveries_sweep picks them up later


def notifications_send(*, drafts: Iterable[Draft]) -> list[Notification]:
    """Create the inbox rows that do not exist yet and queue one delivery per reachable channel.

    Returns the notifications created now (already-sent (recipient, kind, period) drafts are skipped).
    Side effects: Notification and Delivery rows; after commit, Celery messages to send the deliveries.
    Queries: a constant number per call (existing keys, insert, members, deliveries).
    """
    drafts = list(drafts)
    if not drafts:
        return []
    with transaction.atomic():
        keyed = [d for d in drafts if d.period_key]
        existing: set[tuple[int, str, str]] = set()
        if keyed:
            existing = set(
                Notification.objects.filter(
                    recipient_id__in={d.recipient_id for d in keyed},
                    kind__in={d.kind for d in keyed},
                    period_key__in={d.period_key for d in keyed},
                ).values_list("recipient_id", "kind", "period_key")
            )
        new: list[Notification] = []
        seen: set[tuple[int, str, str]] = set()
        for d in drafts:
            key = (d.recipient_id, d.kind, d.period_key)
            if d.period_key and (key in existing or key in seen):
                continue
            seen.add(key)
            new.append(
                Notification(
                    recipient_id=d.recipient_id,
                    kind=d.kind,
                    period_key=d.period_key,
                    title=d.title[:200],
                    body=d.body,
                    link=d.link[:300],
                    urgent=d.urgent,
                )
            )
        created = Notification.objects.bulk_create(new, batch_size=500)
        backends = channel_backends()
        if created and backends:
            from .channels.prefs import member_wants, town_policies

            members = Member.objects.only(
                "id", "email", "phone", "wecom_userid", "muted_channels", "path"
            ).in_bulk({n.recipient_id for n in created})
            policies = town_policies()
            deliveries = [
                Delivery(notification=n, channel=name)
                for n in created
                for name, backend in backends.items()
                if backend.address_for(members[n.recipient_id])
                and member_wants(members[n.recipient_id], name, policies)
            ]
            deliveries = Delivery.objects.bulk_create(deliveries, batch_size=500)
            ids = [d.pk for d in deliveries]
            if ids:
                transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return created


def notification_send(
    *, recipient: Member, kind: str, title: str, body: str = "", link: str = "", period_key: str = ""
) -> Notification | None:
    """One notification (see notifications_send). Returns None if already sent for that period."""
    created = notifications_send(
        drafts=[
            Draft(
                recipient_id=recipient.pk, kind=kind, title=title, body=body, link=link, period_key=period_key
            )
        ]
    )
    return created[0] if created else None


def _backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8 minutes after the 1st, 2nd, 3rd, 4th failure."""
    return datetime.timedelta(minutes=2 ** max(attempts - 1, 0))


def delivery_attempt(*, delivery_id: int, now: datetime.datetime | None = None) -> str | None:
    """Try to send one queued delivery. Returns its new status, or None if another worker has it / not due.

    Not wrapped in one transaction on purpose: the claim (queued → sending, attempts + 1) is committed
    before the external call, so a second worker cannot send it too, and no transaction is held open while
    a gateway answers. Failures go back to queued with a backoff (and a delayed retry message) until
    MAX_DELIVERY_ATTEMPTS, or at once to failed if the channel says the failure is permanent.
    """
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    backend = channel_backends().get(delivery.channel)
    if backend is not None and getattr(backend, "metered", False):
        from .channels.rules import hold_or_fold

        held = hold_or_fold(delivery, now)
        if held is not None:
            return held
    try:
        if backend is None:
            raise ChannelError("channel disabled", permanent=True)
        # Provider backends (notifications/channels/) take the delivery and return the provider's message id.
        send_delivery = getattr(backend, "send_delivery", None)
        if send_delivery is not None:
            ref = send_delivery(delivery)
        else:
            ref = backend.send(member=delivery.notification.recipient, notification=delivery.notification)
    except Exception as exc:
        permanent = isinstance(exc, ChannelError) and exc.permanent
        reason = str(exc) if isinstance(exc, ChannelError) else f"{exc.__class__.__name__}: {exc}"
        logger.warning(
            "delivery %s via %s failed (attempt %s)", delivery_id, delivery.channel, delivery.attempts
        )
        if permanent or delivery.attempts >= MAX_DELIVERY_ATTEMPTS:
            Delivery.objects.filter(pk=delivery_id).update(
                status=DeliveryStatus.FAILED, last_error=reason[:300]
            )
            return DeliveryStatus.FAILED
        delay = _backoff(delivery.attempts)
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.QUEUED, last_error=reason[:300], next_attempt_at=now + delay
        )
        from .tasks import delivery_send_task

        enqueue(delivery_send_task, delivery_id, countdown=delay.total_seconds())
        return DeliveryStatus.QUEUED
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        provider_ref=ref[:64] if isinstance(ref, str) else "",
    )
    return DeliveryStatus.SENT


def deliveries_sweep(*, now: datetime.datetime | None = None, limit: int = 2000) -> int:
    """Queue again what a dead worker left sending; enqueue due queued deliveries. Returns how many."""
    from .tasks import deliveries_send_task

    now = now or timezone.now()
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        status=DeliveryStatus.QUEUED
    )
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for start in range(0, len(ids), ENQUEUE_CHUNK):
        chunk = ids[start : start + ENQUEUE_CHUNK]
        if not enqueue(deliveries_send_task, chunk):
            break
        sent += len(chunk)
    return sent


# --- the inbox ---------------------------------------------------------------------------------------


def inbox_for(*, member: Member | None) -> QuerySet[Notification]:
    """A member's own notifications, newest first (nobody else's: the inbox is scoped to its owner)."""
    if member is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=member).order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    """One query, by the login (no member lookup needed)."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient__user=user, read_at__isnull=True).count()


def notification_mark_read(*, member: Member, notification_id: int) -> Notification:
    """Mark one of the member's notifications read (raises Notification.DoesNotExist for anyone else's)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id, recipient=member)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, member: Member) -> int:
    """Mark all the member's unread notifications read. Returns how many changed."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=member, read_at__isnull=True).update(
            read_at=timezone.now()
        )
