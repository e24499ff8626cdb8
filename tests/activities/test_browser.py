"""Phone-sized browser (Debian's chromium): a member signs up for an activity; the officer previews a pairing."""

import datetime

import pytest
from django.utils import timezone

from activities.models import Activity, SignUp
from activities.services import station_for
from pairing.models import PairingBatch
from tests.conftest import browser_log_in, no_horizontal_scroll
from tests.personas import build_town

pytestmark = pytest.mark.browser


@pytest.fixture
def live_town(transactional_db):
    return build_town()


def test_member_signs_up_on_the_phone(phone_page, live_server, live_town):
    starts = timezone.now() + datetime.timedelta(days=2)
    activity = Activity.objects.create(
        station=station_for(live_town.village_a),
        title="重阳敬老",
        kind="elderly",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location="甲村党群服务中心",
        organiser=live_town.members["officer_a"],
        capacity=10,
    )
    browser_log_in(phone_page, live_server, "member_a")
    phone_page.goto(f"{live_server.url}/activities/")
    no_horizontal_scroll(phone_page)
    phone_page.click("text=重阳敬老")
    no_horizontal_scroll(phone_page)
    phone_page.click("text=我要报名")
    phone_page.wait_for_selector("text=报名成功")
    no_horizontal_scroll(phone_page)
    assert SignUp.objects.filter(activity=activity, member=live_town.members["member_a"]).exists()


def test_officer_previews_and_applies_a_pairing(phone_page, live_server, live_town):
    browser_log_in(phone_page, live_server, "officer_a")
    phone_page.goto(f"{live_server.url}/pairing/")
    no_horizontal_scroll(phone_page)
    phone_page.click("text=提出配对建议")
    phone_page.wait_for_selector("text=确认并全部应用")
    no_horizontal_scroll(phone_page)
    assert phone_page.locator("li.pairing-line").count() == 2  # ha2 and ha3 to member_a
    phone_page.click("text=确认并全部应用")
    phone_page.wait_for_selector("text=新建联系 2 条")
    assert PairingBatch.objects.get().status == "applied"
