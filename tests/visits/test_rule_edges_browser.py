"""The compliance page at 360 px: "as of" a chosen day, households needing a new pairing, one 正常率."""

import pytest

from members.enums import ExemptReason
from members.models import Member
from tests.conftest import browser_log_in, no_horizontal_scroll
from tests.personas import build_town

pytestmark = pytest.mark.browser


def test_compliance_page_as_of_a_day_with_an_exempt_member(phone_page, live_server, transactional_db):
    town = build_town()
    Member.objects.filter(pk=town.members["member_b"].pk).update(
        is_exempt=True, exempt_reason=ExemptReason.WORKING_AWAY
    )
    page = phone_page
    browser_log_in(page, live_server, "town_staff")
    page.goto(f"{live_server.url}/visits/compliance/{town.town.pk}/")
    page.fill("input[name=on]", "2026-09-30")
    page.click("form.as-of button[type=submit]")
    page.wait_for_url("**on=2026-09-30**")
    assert page.locator("#repair-count").inner_text() == "1"
    assert page.locator("#share-legend").is_visible()
    assert "2026-09-30" in page.locator("h1 + form + p, form.as-of + p").first.inner_text()
    no_horizontal_scroll(page)
    page.screenshot(path="/tmp/quota-compliance.png", full_page=True)
