"""A phone-sized browser (360 px): a village officer opens the dashboard, changes the period, drills down
to a grid and a member, and downloads the contacts ledger. Debian's chromium via playwright."""

import os

import pytest

from tests.conftest import no_horizontal_scroll
from tests.personas import build_town

pytestmark = pytest.mark.browser


@pytest.fixture
def live_town(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_town()


@pytest.fixture
def page(phone_page):
    return phone_page


def test_village_officer_on_a_phone(page, live_server, live_town):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "officer_a")
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector("h1:has-text('甲村')")
    no_horizontal_scroll(page)
    assert page.locator("svg.chart-svg").count() == 8
    page.select_option("select[name=period]", "quarter")
    page.click("text=查看")
    page.wait_for_url("**period=quarter**")
    assert "第4季度" in page.inner_text("main")
    no_horizontal_scroll(page)
    page.screenshot(
        path=os.environ.get("REPORTS_SCREENSHOT", "/tmp/reports_dashboard_360.png"), full_page=True
    )

    page.click("#areas >> text=甲村第一网格")
    page.wait_for_selector("h1:has-text('甲村第一网格')")
    no_horizontal_scroll(page)
    page.click("#members >> text=member_a")
    page.wait_for_selector("h1:has-text('member_a')")
    no_horizontal_scroll(page)

    page.go_back()
    page.select_option("select[name=kind]", "contacts")
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
