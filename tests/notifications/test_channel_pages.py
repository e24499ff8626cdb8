"""The member's channel page, the town's channel policy, the staff delivery page (counts, resend, months),
and the WeCom user id column of the census."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from notifications.enums import DeliveryStatus, NotificationKind
from notifications.models import Delivery, TownChannels
from notifications.services import Draft, notifications_send
from tests.members.test_census import build_xlsx, confirm, member, preview

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # census uploads wait there between preview and confirm


def _send(m, period="2026-11", kind=NotificationKind.TASK_LIST):
    return notifications_send(
        drafts=[Draft(recipient_id=m.pk, kind=kind, title="任务清单", link="/x/", period_key=period)]
    )[0]


# --- the member chooses -----------------------------------------------------------------------------


def test_member_turns_sms_off_and_gets_no_sms_delivery(town, login):
    m = town.members["member_a"]
    client = login(town.user("member_a"))
    page = client.get(reverse("notifications:my-channels"))
    assert page.status_code == 200
    html = page.content.decode()
    assert m.phone not in html and m.phone_masked in html
    assert 'value="sms" checked' in html
    response = client.post(reverse("notifications:my-channels"), {"on": ["wecom"]}, follow=True)
    assert "提醒方式已保存" in response.content.decode()
    m.refresh_from_db()
    assert m.muted_channels == ["email", "sms"]
    assert sorted(_send(m).deliveries.values_list("channel", flat=True)) == ["wecom"]
    # Turning it back on.
    client.post(reverse("notifications:my-channels"), {"on": ["sms", "wecom"]})
    m.refresh_from_db()
    assert m.muted_channels == ["email"]
    assert sorted(_send(m, period="2026-12").deliveries.values_list("channel", flat=True)) == ["sms", "wecom"]


def test_town_policy_limits_what_members_get_and_can_choose(town, login):
    TownChannels.objects.create(town=town.town, sms=False, wecom=True, email=True)
    m = town.members["member_a"]
    assert sorted(_send(m).deliveries.values_list("channel", flat=True)) == ["wecom"]
    client = login(town.user("member_a"))
    html = client.get(reverse("notifications:my-channels")).content.decode()
    assert "本镇未开通" in html
    # A crafted POST cannot switch on what the town does not allow, nor lose the member's own choice.
    client.post(reverse("notifications:my-channels"), {"on": ["sms"]})
    m.refresh_from_db()
    assert "wecom" in m.muted_channels
    assert not _send(m, period="2026-12").deliveries.exists()
    # Members of a town without a policy get everything.
    other = town.members["other_handler"]
    assert sorted(_send(other).deliveries.values_list("channel", flat=True)) == ["sms", "wecom"]


def test_channel_page_for_a_login_without_member(db, login):
    from tests.factories import UserFactory

    client = login(UserFactory(username="loose"))
    assert client.get(reverse("notifications:my-channels")).status_code == 200
    assert client.post(reverse("notifications:my-channels"), {"on": ["sms"]}).status_code == 200


# --- the staff delivery page ------------------------------------------------------------------------


def _failed(n, reason="tencent InvalidParameterValue.IncorrectPhoneNumber"):
    d = n.deliveries.get(channel="sms")
    Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.FAILED, attempts=1, last_error=reason)
    return d


def test_town_staff_sees_counts_failures_with_reason_and_masked_phones(
    town, login, django_assert_max_num_queries
):
    a = town.members["member_a"]
    mine = _failed(_send(a))
    Delivery.objects.filter(notification__recipient=a, channel="wecom").update(
        status=DeliveryStatus.SENT, sent_at=timezone.now()
    )
    outside = _failed(_send(town.members["other_handler"]))  # a city member: not the town's
    client = login(town.user("town_staff"))
    client.get(reverse("notifications:deliveries"))  # warm the session
    with django_assert_max_num_queries(12):
        page = client.get(reverse("notifications:deliveries"))
    assert page.status_code == 200
    html = page.content.decode()
    assert list(page.context["page"]) == [mine]
    assert outside not in list(page.context["page"])
    assert "IncorrectPhoneNumber" in html
    assert a.phone not in html and a.phone_masked in html
    sms_row = next(r for r in page.context["table"] if r["channel"] == "sms")
    assert {c["status"].value: c["n"] for c in sms_row["cells"]}["failed"] == 1
    assert sms_row["total"] == 1
    month = timezone.localdate().replace(day=1)
    assert page.context["monthly"] == [{"month": month, "cells": [0, 0, 1]}]
    # Filter by channel and status.
    page = client.get(reverse("notifications:deliveries"), {"channel": "wecom", "status": "sent"})
    assert [d.channel for d in page.context["page"]] == ["wecom"]


def test_delivery_page_bad_dates_get_a_message_not_a_500(town, login):
    client = login(town.user("town_staff"))
    page = client.get(reverse("notifications:deliveries"), {"start": "2026-12-31", "end": "2026-01-01"})
    assert page.status_code == 200
    assert "结束日期不能早于开始日期" in page.content.decode()
    page = client.get(reverse("notifications:deliveries"), {"start": "not a date"})
    assert page.status_code == 200


@pytest.mark.parametrize("persona", ["member_a", "officer_a", "grid_head_a1", "handler"])
def test_delivery_page_is_for_town_staff_only(town, login, persona):
    client = login(town.user(persona))
    assert client.get(reverse("notifications:deliveries")).status_code == 403
    d = _failed(_send(town.members["member_a"]))
    assert client.post(reverse("notifications:delivery-resend", args=[d.pk])).status_code == 403


def test_resend_queues_a_failed_delivery_from_attempt_one(town, login, django_capture_on_commit_callbacks):
    d = _failed(_send(town.members["member_a"]))
    client = login(town.user("town_staff"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("notifications:delivery-resend", args=[d.pk]), {"next": "https://evil.example/"}
        )
    assert response.status_code == 302 and response["Location"] == reverse("notifications:deliveries")
    assert len(callbacks) == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("queued", 0, "")
    # A delivery that is not failed is not resent.
    response = client.post(reverse("notifications:delivery-resend", args=[d.pk]), follow=True)
    assert "只有发送失败" in response.content.decode()


def test_resend_outside_the_town_is_404(town, login):
    d = _failed(_send(town.members["other_handler"]))
    client = login(town.user("town_staff"))
    assert client.post(reverse("notifications:delivery-resend", args=[d.pk])).status_code == 404
    d.refresh_from_db()
    assert d.status == "failed"


def test_monthly_counts_cover_a_year_by_month(town, login):
    a = town.members["member_a"]
    now = timezone.now()
    for i, months_ago in enumerate((0, 1, 1, 14)):
        n = _send(a, period=f"p{i}")
        Delivery.objects.filter(notification=n, channel="sms").update(
            status="sent", sent_at=now - datetime.timedelta(days=31 * months_ago)
        )
    client = login(town.user("town_staff"))
    monthly = client.get(reverse("notifications:deliveries")).context["monthly"]
    assert [row["cells"][1] for row in monthly] == [1, 2]  # the 14-month-old one is past the year


# --- census: the WeCom user id column ---------------------------------------------------------------


def test_census_imports_wecom_user_id_and_a_blank_cell_keeps_it(town, login):
    client = login(town.user("town_staff"))
    data = build_xlsx(members=[member("王党员", "13712340001", **{"企业微信账号": "WangDangYuan"})])
    confirm(client, preview(client, data))
    assert Member.objects.get(phone="13712340001").wecom_userid == "WangDangYuan"
    data = build_xlsx(members=[member("王党员", "13712340001", **{"单位/职务": "合作社"})])
    confirm(client, preview(client, data))
    wang = Member.objects.get(phone="13712340001")
    assert (wang.unit, wang.wecom_userid) == ("合作社", "WangDangYuan")


def test_channel_pages_in_english(town, login):
    from tests.test_i18n import _chinese_left, _data_names

    _failed(_send(town.members["member_a"]))
    client = login(town.user("town_staff"))
    html = client.get(reverse("notifications:deliveries"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sent per month" in html and "Resend" in html
    assert _chinese_left(html, _data_names(town) | {"任务清单"}) == set()
    client = login(town.user("member_a"))
    html = client.get(reverse("notifications:my-channels"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My reminder channels" in html
    assert _chinese_left(html, _data_names(town)) == set()


def test_town_staff_sets_the_town_policy_in_the_admin(town, login):
    client = login(town.user("town_staff"))
    add = reverse("admin:notifications_townchannels_add")
    page = client.get(add)
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields["town"].queryset) == [town.town]
    response = client.post(add, {"town": town.town.pk, "email": "on", "wecom": "on"})
    assert response.status_code == 302
    assert TownChannels.objects.get().allowed() == {"email", "wecom"}
    member_page = client.get(reverse("admin:members_member_change", args=[town.members["member_a"].pk]))
    assert 'name="wecom_userid"' in member_page.content.decode()
    # A village officer sees the policy but cannot change it.
    client = login(town.user("officer_a"))
    assert client.post(add, {"town": town.town.pk}).status_code == 403
