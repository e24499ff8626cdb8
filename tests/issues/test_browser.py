"""Phone-sized browser (360 px): a member raises an issue, the grid head escalates it, pages never scroll sideways.

Debian's chromium driven by playwright, as in tests/visits/test_browser.py. Skips when /usr/bin/chromium is missing.
"""

import pytest

from issues.models import Issue, IssueCategory
from tests.conftest import browser_log_in, no_horizontal_scroll
from tests.personas import build_town

pytestmark = pytest.mark.browser


@pytest.fixture
def live_town(transactional_db):
    IssueCategory.objects.get_or_create(name="基础设施")  # the flushed database has no seed rows
    return build_town()


@pytest.fixture
def page(phone_page):
    return phone_page


def log_in(page, live_server, username):
    browser_log_in(page, live_server, username)


def test_member_raises_and_grid_head_escalates_on_a_phone(page, live_server, live_town):
    log_in(page, live_server, "member_a")
    page.goto(f"{live_server.url}/issues/")
    no_horizontal_scroll(page)
    page.click("text=提出诉求/问题")
    no_horizontal_scroll(page)
    page.select_option("select[name=household]", str(live_town.ha1.pk))
    page.select_option("select[name=category]", label="基础设施")
    page.fill("textarea[name=description]", "村道塌方")
    page.fill("textarea[name=note]", "现场无法解决")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/issues/*/")
    no_horizontal_scroll(page)
    issue = Issue.objects.get()
    assert (issue.level, issue.status) == ("grid", "open")

    log_in(page, live_server, "grid_head_a1")
    page.goto(f"{live_server.url}/issues/queue/grid/")
    no_horizontal_scroll(page)
    page.click(f"text=#{issue.pk}")
    page.wait_for_url(f"{live_server.url}/issues/{issue.pk}/")
    no_horizontal_scroll(page)
    page.fill("form[action$='/escalate/'] textarea[name=reason]", "网格无法解决")
    page.click("form[action$='/escalate/'] button[type=submit]")
    page.wait_for_selector("text=已保存")
    issue.refresh_from_db()
    assert issue.level == "village"

    log_in(page, live_server, "town_staff")
    page.goto(f"{live_server.url}/issues/queue/centre/?show=all")
    no_horizontal_scroll(page)
