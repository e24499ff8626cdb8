"""The reveal button in a real chromium, under a strict Content-Security-Policy (no inline script allowed)."""

import os

import pytest
from django.contrib.auth.models import Permission

from members.enums import AccessAction
from members.models import AccessLog
from tests.conftest import browser_log_in
from tests.factories import make_id_number
from tests.personas import build_town

pytestmark = pytest.mark.browser

ID_A = make_id_number(41)
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


@pytest.fixture
def live_town(transactional_db):
    town = build_town()
    town.ha1.id_number = ID_A
    town.ha1.phone = "13812345678"
    town.ha1.save()
    town.user("town_staff").user_permissions.add(Permission.objects.get(codename="reveal_personal_number"))
    return town


def test_reveal_button_shows_the_full_number_under_a_strict_csp(phone_page, live_server, live_town):
    from playwright.sync_api import expect

    page = phone_page
    violations = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )

    def strict(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

    browser_log_in(page, live_server, "town_staff")
    page.route("**/*", strict)
    page.goto(f"{live_server.url}/admin/grids/household/{live_town.ha1.pk}/change/")
    number = page.locator(f"#lianhu-id_number-{live_town.ha1.pk}")
    assert number.inner_text() == ID_A[:6] + "********" + ID_A[-4:]
    assert ID_A not in page.content()
    page.click(f"button[data-target='lianhu-id_number-{live_town.ha1.pk}']")
    expect(number).to_have_text(ID_A)  # (a locator, not page JavaScript: the policy forbids eval)
    assert page.locator(f"#lianhu-phone-{live_town.ha1.pk}").inner_text() == "138****5678"  # one at a time
    if os.environ.get("LIANHU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["LIANHU_SCREENSHOTS"], "reveal.png"), full_page=True)
    assert not [v for v in violations if "reveal.js" in v]
    [entry] = AccessLog.objects.filter(action=AccessAction.REVEAL)
    assert (entry.object_id, entry.detail["field"]) == (live_town.ha1.pk, "id_number")


def test_discipline_reads_the_access_log_on_a_phone(phone_page, live_server, live_town):
    from members.privacy import access_log

    access_log(
        action=AccessAction.REVEAL,
        user=live_town.user("town_staff"),
        obj=live_town.ha1,
        detail={"field": "phone"},
    )
    browser_log_in(phone_page, live_server, "discipline")
    phone_page.goto(f"{live_server.url}/admin/members/accesslog/")
    assert phone_page.locator("#result_list tbody tr").count() >= 1
    assert "查看完整号码" in phone_page.content()
    if os.environ.get("LIANHU_SCREENSHOTS"):
        phone_page.screenshot(
            path=os.path.join(os.environ["LIANHU_SCREENSHOTS"], "access-log.png"), full_page=True
        )
