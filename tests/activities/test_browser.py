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


def _shot(page, name: str) -> None:
    """Full-page screenshot when LIANHU_SCREENSHOTS names a directory (to look at the pages by eye)."""
    import os

    folder = os.environ.get("LIANHU_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_officer_uploads_photos_and_records_a_lecture_on_the_phone(
    phone_page, live_server, live_town, tmp_path
):
    import io

    from PIL import Image

    from activities.models import ActivityPhoto, LectureTeam

    starts = timezone.now() - datetime.timedelta(days=1)
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
    team = LectureTeam.objects.create(
        station=station_for(live_town.village_a),
        name="甲村宣讲队",
        topics="惠民政策\n移风易俗",
        leader=live_town.members["officer_a"],
    )
    team.members.add(live_town.members["member_a"])
    photo = tmp_path / "photo.jpg"
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 60)).save(out, format="JPEG")
    photo.write_bytes(out.getvalue())
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"not an image")

    browser_log_in(phone_page, live_server, "officer_a")
    phone_page.goto(f"{live_server.url}/activities/{activity.pk}/")
    phone_page.set_input_files("input[name=photos]", [str(bad)])
    phone_page.click("#photos button[type=submit]")
    phone_page.wait_for_selector("text=不是可用的图片")
    no_horizontal_scroll(phone_page)
    phone_page.set_input_files("input[name=photos]", [str(photo), str(photo)])
    phone_page.click("#photos button[type=submit]")
    phone_page.wait_for_selector("text=已上传 2 张照片")
    no_horizontal_scroll(phone_page)
    assert ActivityPhoto.objects.filter(activity=activity).count() == 2
    loaded = phone_page.evaluate(
        "() => [...document.querySelectorAll('.photo-grid img')].map(i => i.complete && i.naturalWidth)"
    )
    assert loaded == [320, 320]  # thumbnails served by the scoped view
    _shot(phone_page, "activity-photos")

    phone_page.goto(f"{live_server.url}/activities/")
    phone_page.click("a.btn:has-text('宣讲队')")
    phone_page.wait_for_selector("text=甲村宣讲队")
    no_horizontal_scroll(phone_page)
    _shot(phone_page, "teams")
    phone_page.click("text=全部宣讲与登记")
    phone_page.wait_for_selector("text=登记一场宣讲")
    no_horizontal_scroll(phone_page)
    phone_page.fill("input[name=date]", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    phone_page.fill("input[name=location]", "甲村一组禾场")
    phone_page.fill("input[name=topic]", "惠民政策")
    phone_page.check(f"input[name=present][value='{live_town.members['member_a'].pk}']")
    phone_page.check("input[name=yard_meeting]")
    phone_page.fill("textarea[name=households]", f"{live_town.ha2.code} {live_town.ha3.code}")
    phone_page.click("button:has-text('保存')")
    phone_page.wait_for_selector("text=已登记宣讲")
    no_horizontal_scroll(phone_page)
    _shot(phone_page, "team")
    assert Activity.objects.get(team=team).contact is not None
