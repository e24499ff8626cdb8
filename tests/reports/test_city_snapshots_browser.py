"""A phone-sized browser (360 px): the city office opens the city dashboard read from the towns' snapshots, one
town computed (as-of time) and one not yet (尚未计算), and the city's compliance by town."""

import pytest

from members.enums import MemberRole, PositionKind
from tests.conftest import no_horizontal_scroll
from tests.factories import MemberFactory, PositionFactory, UserFactory
from tests.personas import START, build_town
from tests.reports.test_city import _second_town
from visits.snapshots import town_snapshot_take

pytestmark = pytest.mark.browser


def test_city_dashboard_from_snapshots_on_a_phone(phone_page, live_server, transactional_db):
    town = build_town()
    user = UserFactory(username="city_office")
    member = MemberFactory(name="city_office", role=MemberRole.CITY_DEPT_HEAD, home=town.city, user=user)
    PositionFactory(member=member, kind=PositionKind.CITY_OFFICE, place=town.city, start_date=START)
    _second_town(town)  # 金洲镇: no snapshot yet
    town_snapshot_take(town.town)
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "city_office")
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/city/{town.city.pk}/")
    page.wait_for_selector("#as-of")
    no_horizontal_scroll(page)
    assert page.locator("#towns .not-computed").count() == 1
    assert page.locator("#towns .as-of").count() == 1
    page.screenshot(path="/tmp/citysnap_city_360.png", full_page=True)
    box = page.locator(".table-box").first
    box.evaluate("el => { el.scrollLeft = 260; }")  # the town table's figures, as-of time and 尚未计算
    box.screenshot(path="/tmp/citysnap_city_towns_360.png")
    page.goto(f"{live_server.url}/visits/compliance/{town.city.pk}/")
    page.wait_for_selector("#as-of")
    no_horizontal_scroll(page)
    assert page.locator(".not-computed").count() == 1
    page.screenshot(path="/tmp/citysnap_city_compliance_360.png", full_page=True)
