"""Inbox, per-channel deliveries (retries, failures that do not stop other channels) and the outbox."""

import datetime
import logging

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from notifications import services as notifications
from notifications.enums import DeliveryStatus, NotificationKind, OutboxStatus
from notifications.models import Delivery, Notification, OutboxEvent
from notifications.outbox import outbox_process, outbox_publish, outbox_sweep, register_handler
from notifications.services import ChannelBackend, ChannelError, Draft, notification_send, notifications_send

pytestmark = pytest.mark.django_db

HANDLED: list[dict] = []


@register_handler("test.record")
def _record(payload):
    HANDLED.append(payload)
    Notification.objects.create(recipient_id=payload["member_id"], kind="general", title="from outbox")


@register_handler("test.explode")
def _explode(payload):
    Notification.objects.create(recipient_id=payload["member_id"], kind="general", title="rolled back")
    raise RuntimeError("boom")


class BrokenChannel(ChannelBackend):
    channel = "wecom"

    def address_for(self, member):
        return "x"

    def send(self, *, member, notification):
        raise ChannelError("gateway down")


class RefusingChannel(BrokenChannel):
    def send(self, *, member, notification):
        raise ChannelError("bad address", permanent=True)


def _send(member, period="2026-11", kind=NotificationKind.TASK_LIST):
    return notification_send(
        recipient=member, kind=kind, title="任务清单", body="b", link="/x/", period_key=period
    )


def test_send_creates_inbox_row_and_one_delivery_per_reachable_channel(town):
    member = town.members["member_a"]
    member.email = "a@example.org"
    member.save()
    n = _send(member)
    assert n.recipient == member and n.read_at is None
    assert sorted(n.deliveries.values_list("channel", "status")) == [
        ("email", "queued"),
        ("sms", "queued"),
        ("wecom", "queued"),
    ]
    other = _send(town.members["member_b"])  # no email address: no email delivery
    assert sorted(other.deliveries.values_list("channel", flat=True)) == ["sms", "wecom"]


def test_same_recipient_kind_and_period_is_sent_once(town):
    member = town.members["member_a"]
    assert _send(member) is not None
    assert _send(member) is None
    assert _send(member, period="2026-12") is not None
    assert Notification.objects.filter(recipient=member).count() == 2
    assert Delivery.objects.filter(notification__recipient=member).count() == 4
    # The database refuses a duplicate even if code forgets to check.
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=member, kind=NotificationKind.TASK_LIST, period_key="2026-11", title="x"
        )


def test_bulk_send_skips_existing_and_duplicate_drafts(town, django_assert_max_num_queries):
    a, b = town.members["member_a"], town.members["member_b"]
    _send(a, period="2026-W48", kind=NotificationKind.OVERDUE_DIGEST)
    drafts = [
        Draft(recipient_id=m.pk, kind=NotificationKind.OVERDUE_DIGEST, title="t", period_key="2026-W48")
        for m in (a, b, b)
    ]
    with django_assert_max_num_queries(8):
        created = notifications_send(drafts=drafts)
    assert [n.recipient_id for n in created] == [b.pk]


def test_email_delivery_is_sent_once(town, settings):
    member = town.members["member_a"]
    member.email = "a@example.org"
    member.save()
    n = _send(member)
    email = n.deliveries.get(channel="email")
    assert notifications.delivery_attempt(delivery_id=email.pk) == DeliveryStatus.SENT
    assert notifications.delivery_attempt(delivery_id=email.pk) is None  # already sent: nothing twice
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.org"]
    assert "http://127.0.0.1:8000/x/" in mail.outbox[0].body


def test_sms_log_never_shows_the_full_number(town, caplog):
    member = town.members["member_a"]
    n = _send(member)
    sms = n.deliveries.get(channel="sms")
    with caplog.at_level(logging.INFO, logger="notifications.services"):
        assert notifications.delivery_attempt(delivery_id=sms.pk) == DeliveryStatus.SENT
    assert member.phone not in caplog.text
    assert f"{member.phone[:3]}****{member.phone[-4:]}" in caplog.text


def test_failed_channel_retries_with_backoff_and_does_not_stop_others(town, settings):
    settings.LIANHU_NOTIFICATION_CHANNELS = {
        "sms": "notifications.services.LogSmsChannel",
        "wecom": "tests.notifications.test_notifications.BrokenChannel",
    }
    n = _send(town.members["member_a"])
    sms, wecom = n.deliveries.get(channel="sms"), n.deliveries.get(channel="wecom")
    now = timezone.now()
    assert notifications.delivery_attempt(delivery_id=wecom.pk, now=now) == DeliveryStatus.QUEUED
    assert notifications.delivery_attempt(delivery_id=sms.pk, now=now) == DeliveryStatus.SENT
    wecom.refresh_from_db()
    assert (wecom.status, wecom.attempts, wecom.last_error) == ("queued", 1, "gateway down")
    assert wecom.next_attempt_at == now + datetime.timedelta(minutes=1)
    # Not due yet: a sweep or a duplicate message does nothing.
    assert notifications.delivery_attempt(delivery_id=wecom.pk, now=now) is None
    later = now
    for attempt in range(2, notifications.MAX_DELIVERY_ATTEMPTS + 1):
        later += datetime.timedelta(hours=1)
        status = notifications.delivery_attempt(delivery_id=wecom.pk, now=later)
        assert status == ("failed" if attempt == notifications.MAX_DELIVERY_ATTEMPTS else "queued")
    wecom.refresh_from_db()
    assert (wecom.status, wecom.attempts) == ("failed", notifications.MAX_DELIVERY_ATTEMPTS)
    assert Notification.objects.filter(pk=n.pk).exists()  # the inbox copy is unaffected


def test_permanent_failure_is_not_retried(town, settings):
    settings.LIANHU_NOTIFICATION_CHANNELS = {
        "wecom": "tests.notifications.test_notifications.RefusingChannel"
    }
    n = _send(town.members["member_a"])
    delivery = n.deliveries.get()
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "bad address")


def test_sweep_requeues_deliveries_a_dead_worker_left_sending(town):
    n = _send(town.members["member_a"])
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Delivery.objects.filter(notification=n).update(status="sending", claimed_at=long_ago)
    assert notifications.deliveries_sweep() == 2
    assert set(Delivery.objects.filter(notification=n).values_list("status", flat=True)) == {"queued"}


# --- outbox ------------------------------------------------------------------------------------------


def test_outbox_event_is_written_with_the_save_and_rolled_back_with_it(town):
    member = town.members["member_a"]
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_publish(topic="test.record", payload={"member_id": member.pk})
        raise RuntimeError("the save failed")
    assert OutboxEvent.objects.count() == 0
    with transaction.atomic():
        event = outbox_publish(topic="test.record", payload={"member_id": member.pk})
    assert event.status == OutboxStatus.PENDING


def test_outbox_event_runs_exactly_once(town):
    HANDLED.clear()
    member = town.members["member_a"]
    event = outbox_publish(topic="test.record", payload={"member_id": member.pk})
    assert outbox_process(event_id=event.pk) is True
    assert outbox_process(event_id=event.pk) is False
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 1)
    assert HANDLED == [{"member_id": member.pk}]
    assert Notification.objects.filter(title="from outbox").count() == 1


def test_failing_handler_leaves_the_event_pending_and_rolls_back_its_writes(town):
    member = town.members["member_a"]
    event = outbox_publish(topic="test.explode", payload={"member_id": member.pk})
    assert outbox_process(event_id=event.pk) is False
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("pending", 1, "RuntimeError: boom")
    assert not Notification.objects.filter(title="rolled back").exists()


def test_publish_refuses_unknown_topics(town):
    with pytest.raises(ValueError):
        outbox_publish(topic="nobody.listens", payload={})


def test_sweep_only_reenqueues_events_past_the_grace_period(town):
    member = town.members["member_a"]
    fresh = outbox_publish(topic="test.record", payload={"member_id": member.pk})
    old = outbox_publish(topic="test.record", payload={"member_id": member.pk})
    OutboxEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    assert fresh.pk != old.pk
    assert outbox_sweep() == 1


# --- inbox pages -------------------------------------------------------------------------------------


def test_inbox_shows_only_the_owners_notifications(town, login):
    mine = _send(town.members["member_a"])
    theirs = _send(town.members["member_b"])
    client = login(town.user("member_a"))
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert list(page.context["page"]) == [mine]
    # Someone else's notification: 404, and it stays unread.
    assert client.post(reverse("notifications:inbox-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_opens_the_link_and_mark_all_read(town, login):
    member = town.members["member_a"]
    first = _send(member, period="2026-10")
    _send(member, period="2026-11")
    client = login(town.user("member_a"))
    response = client.post(reverse("notifications:inbox-read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/x/"
    first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(reverse("notifications:inbox-read-all"), follow=True)
    assert "已将 1 条通知标为已读" in response.content.decode()
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 0


def test_unread_count_on_every_page_in_one_query(town, login, django_assert_num_queries):
    member = town.members["member_a"]
    _send(member, period="2026-10")
    _send(member, period="2026-11")
    client = login(town.user("member_a"))
    html = client.get(reverse("home")).content.decode()
    assert '<span class="badge-count" title="未读">2</span>' in html
    from django.test import RequestFactory

    from notifications.context_processors import inbox

    request = RequestFactory().get("/")
    request.user = town.user("member_a")
    with django_assert_num_queries(1):
        assert int(str(inbox(request)["inbox_unread"])) == 2


def test_inbox_needs_login(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_login_without_member_has_an_empty_inbox(db, login):
    from tests.factories import UserFactory

    client = login(UserFactory(username="loose"))
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200 and "未关联联户人员" in response.content.decode()
    assert client.post(reverse("notifications:inbox-read", args=[1])).status_code == 404
