"""A real phone-sized browser: a member records a visit to an overdue household and sees it turn done.

Debian's chromium driven by playwright (`playwright install` cannot download browsers here). Skips only when
/usr/bin/chromium is missing.
"""

import pytest

from tests.conftest import browser_log_in, no_horizontal_scroll
from tests.personas import build_town
from visits.models import Contact

pytestmark = pytest.mark.browser


@pytest.fixture
def live_town(transactional_db):
    # The seeded quota rules are put back after the flush by tests/conftest.py.
    return build_town()


@pytest.fixture
def page(phone_page):
    return phone_page


def log_in(page, live_server, username):
    browser_log_in(page, live_server, username)


def test_member_records_a_visit_and_sees_it_done(page, live_server, live_town):
    log_in(page, live_server, "member_a")
    no_horizontal_scroll(page)
    page.click("text=我的联系户 · 记录走访")
    target = page.locator("li.target", has_text="张甲一")
    assert target.get_attribute("data-status") == "overdue"
    no_horizontal_scroll(page)

    target.locator("a.target-link").click()
    page.wait_for_selector("#record")
    no_horizontal_scroll(page)
    page.click("#record")
    page.wait_for_selector("#record-form")
    no_horizontal_scroll(page)
    assert page.is_checked("input[name=kind][value=home_visit]")  # remembered default
    page.check("input[name=duties][value=policy]")
    page.check("input[name=duties][value=demands]")
    page.fill("textarea[name=summary]", "了解到老人看病难,已宣传医保政策")
    page.click("#save")
    page.wait_for_selector("text=走访记录已保存")
    no_horizontal_scroll(page)
    assert page.locator("ul.history li", has_text="入户走访").count() == 1

    page.goto(f"{live_server.url}/visits/")
    assert page.locator("li.target", has_text="张甲一").get_attribute("data-status") == "done"
    no_horizontal_scroll(page)
    contact = Contact.objects.get()
    assert (contact.kind, contact.duties) == ("home_visit", ["policy", "demands"])


def test_form_survives_a_failed_submit_and_resends_once(page, live_server, live_town):
    household = live_town.ha1
    log_in(page, live_server, "member_a")
    form_url = f"{live_server.url}/visits/households/{household.pk}/record/"
    page.goto(form_url)
    client_id = page.input_value("input[name=client_id]")
    page.check("input[name=duties][value=opinion]")
    page.fill("textarea[name=summary]", "断网时写的内容")

    # The network drops as the form is sent.
    page.route(
        "**/record/", lambda route: route.abort() if route.request.method == "POST" else route.continue_()
    )
    with pytest.raises(Exception):  # noqa: B017 - navigation fails with a network error
        page.click("#save")
        page.wait_for_url("**/households/*/?saved=*", timeout=3000)
    page.unroute("**/record/")
    assert Contact.objects.count() == 0

    page.goto(form_url)
    assert page.input_value("textarea[name=summary]") == "断网时写的内容"
    assert page.input_value("input[name=client_id]") == client_id
    assert page.is_checked("input[name=duties][value=opinion]")
    assert page.locator("text=已恢复上次未发送成功的内容").count() == 1
    no_horizontal_scroll(page)
    page.click("#save")
    page.wait_for_selector("text=走访记录已保存")
    assert Contact.objects.count() == 1 and str(Contact.objects.get().client_id) == client_id
    # Saved: the draft is gone, a new form starts empty with a new id.
    page.goto(form_url)
    assert page.input_value("textarea[name=summary]") == ""
    assert page.input_value("input[name=client_id]") != client_id
