"""A phone-sized browser (360 px): the city office opens the city dashboard, scrolls the towns table inside its
own box, drills into the town, and opens the department league table. Debian's chromium via playwright."""

import pytest

from members.enums import MemberRole, PositionKind
from tests.conftest import no_horizontal_scroll
from tests.factories import MemberFactory, PositionFactory, UserFactory
from tests.personas import START, build_town

pytestmark = pytest.mark.browser


@pytest.fixture
def live_town(transactional_db):
    town = build_town()
    user = UserFactory(username="city_office")
    member = MemberFactory(name="city_office", role=MemberRole.CITY_DEPT_HEAD, home=town.city, user=user)
    PositionFactory(member=member, kind=PositionKind.CITY_OFFICE, place=town.city, start_date=START)
    return town


def test_city_office_on_a_phone(phone_page, live_server, live_town):
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "city_office")
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector("h1:has-text('宁乡市')")
    no_horizontal_scroll(page)
    assert page.locator("#one-town").count() == 1
    box = page.locator(".table-box").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the wide table scrolls in its own box
    page.screenshot(path="/tmp/city_dashboard_360.png", full_page=True)
    page.click("#towns >> text=双凫铺镇")
    page.wait_for_selector("h1:has-text('双凫铺镇')")
    no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/reports/city/{live_town.city.pk}/departments/")
    page.wait_for_selector("#league")
    no_horizontal_scroll(page)
