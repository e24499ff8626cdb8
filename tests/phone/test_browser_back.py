"""In a phone browser: Back after saving a contact does not offer the sent form again."""

import pytest

from tests.conftest import browser_log_in
from tests.personas import build_town
from visits.models import Contact

pytestmark = pytest.mark.browser


def test_back_after_save_still_one_contact(phone_page, live_server, transactional_db):
    town = build_town()
    page = phone_page
    browser_log_in(page, live_server, "member_a")
    page.goto(f"{live_server.url}/visits/households/{town.ha1.pk}/record/")
    sent_id = page.input_value("input[name=client_id]")
    page.check("input[name=duties][value=policy]")
    page.fill("textarea[name=summary]", "返回键测试")
    page.click("#save")
    page.wait_for_selector("text=走访记录已保存")
    assert Contact.objects.count() == 1

    page.go_back()
    page.wait_for_selector("#record-form")
    # The form comes back empty with a new id: nothing from the sent contact is offered again.
    assert page.input_value("textarea[name=summary]") == ""
    assert not page.is_checked("input[name=duties][value=policy]")
    assert page.input_value("input[name=client_id]") != sent_id
    page.click("#save")  # nothing chosen: the form answers with an error, stores nothing
    page.wait_for_selector(".errorlist")
    assert Contact.objects.count() == 1

    page.go_forward()
    page.go_back()
    page.go_back()
    assert Contact.objects.count() == 1
