"""What the move out of members (issue 16) promised to keep: tables, URL paths, Celery task names, and the
backend dotted paths a deployment's settings may still name."""

import pytest
from django.urls import reverse

from notifications import tasks
from notifications.models import Delivery, Notification, OutboxEvent, TownChannels
from notifications.services import LogSmsChannel, backend_path, channel_backends


def test_models_keep_their_tables():
    tables = {m._meta.db_table for m in (Notification, Delivery, OutboxEvent, TownChannels)}
    assert tables == {
        "members_notification",
        "members_delivery",
        "members_outboxevent",
        "members_townchannels",
    }


def test_url_paths_unchanged():
    assert reverse("notifications:inbox") == "/inbox/"
    assert reverse("notifications:inbox-read", args=[3]) == "/inbox/3/read/"
    assert reverse("notifications:inbox-read-all") == "/inbox/read-all/"
    assert reverse("notifications:my-channels") == "/me/channels/"
    assert reverse("notifications:deliveries") == "/deliveries/"
    assert reverse("notifications:delivery-resend", args=[3]) == "/deliveries/3/resend/"
    assert reverse("notifications:receipt-tencent", args=["t"]) == "/channels/receipts/tencent/t/"
    assert reverse("notifications:receipt-aliyun", args=["t"]) == "/channels/receipts/aliyun/t/"
    assert reverse("notification-list") == "/api/notifications/"


def test_celery_task_names_unchanged():
    from config.celery import app

    names = {
        task.name
        for task in (
            tasks.outbox_process_task,
            tasks.outbox_sweep_task,
            tasks.delivery_send_task,
            tasks.deliveries_send_task,
            tasks.deliveries_sweep_task,
        )
    }
    assert names == {
        "members.outbox_process",
        "members.outbox_sweep",
        "members.delivery_send",
        "members.deliveries_send",
        "members.deliveries_sweep",
    }
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"members.outbox_sweep", "members.deliveries_sweep"} <= scheduled


@pytest.mark.parametrize(
    "former, current",
    [
        ("members.notifications.LogSmsChannel", "notifications.services.LogSmsChannel"),
        (
            "members.channels.tencent_sms.TencentSmsChannel",
            "notifications.channels.tencent_sms.TencentSmsChannel",
        ),
        ("notifications.channels.wecom.WecomChannel", "notifications.channels.wecom.WecomChannel"),
        ("", ""),
    ],
)
def test_former_backend_paths_still_load(former, current):
    assert backend_path(former) == current


def test_settings_naming_a_former_path_still_send(settings):
    settings.LIANHU_NOTIFICATION_CHANNELS = {"sms": "members.notifications.LogSmsChannel"}
    assert isinstance(channel_backends()["sms"], LogSmsChannel)


@pytest.mark.django_db
def test_content_types_follow_the_models():
    """notifications/0001 relabels the content types, so group permissions given before the move survive."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    migration = importlib.import_module("notifications.migrations.0001_initial")
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_model(Notification)  # as post_migrate leaves it
    group = Group.objects.create(name="readers")
    group.permissions.add(Permission.objects.get(codename="view_notification"))
    migration.content_types_backward(apps, None)  # the layout before the move
    assert ContentType.objects.filter(app_label="members", model="notification").exists()
    migration.content_types_forward(apps, None)
    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="members", model__in=migration.MOVED).exists()
    assert group.permissions.get().content_type.app_label == "notifications"
    assert group.permissions.get().codename == "view_notification"
