"""Phone-sized browser (360 px): the member's reminder channels and the town staff's delivery page."""

import os

import pytest

from members.models import Member
from notifications.enums import DeliveryStatus, NotificationKind
from notifications.models import Delivery
from notifications.services import Draft, notifications_send
from tests.conftest import browser_log_in, no_horizontal_scroll
from tests.personas import build_town

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LIANHU_SCREENSHOTS")  # a folder: save PNGs there to look at


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_member_turns_sms_off_and_staff_resends_on_a_phone(phone_page, live_server, transactional_db):
    page = phone_page
    town = build_town()
    a = town.members["member_a"]
    created = notifications_send(
        drafts=[
            Draft(
                recipient_id=a.pk,
                kind=NotificationKind.TASK_LIST,
                title=f"十一月走访任务清单 {i}",
                period_key=f"p{i}",
            )
            for i in range(3)
        ]
    )
    Delivery.objects.filter(notification__in=created, channel="sms").update(
        status=DeliveryStatus.FAILED,
        attempts=1,
        last_error="tencent InvalidParameterValue.IncorrectPhoneNumber",
    )

    browser_log_in(page, live_server, "member_a")
    page.goto(f"{live_server.url}/me/channels/")
    no_horizontal_scroll(page)
    _shot(page, "my_channels")
    page.uncheck("input[value=sms]")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("text=提醒方式已保存")
    assert "sms" in Member.objects.get(pk=a.pk).muted_channels

    browser_log_in(page, live_server, "town_staff")
    page.goto(f"{live_server.url}/deliveries/")
    no_horizontal_scroll(page)
    assert a.phone not in page.content()
    _shot(page, "deliveries")
    page.click("form.inline button[type=submit] >> nth=0")
    page.wait_for_selector("text=已重新排队发送")
    no_horizontal_scroll(page)
    assert Delivery.objects.filter(channel="sms", status=DeliveryStatus.QUEUED).count() == 1
