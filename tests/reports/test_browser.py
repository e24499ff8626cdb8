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


def test_exports_page_shows_a_finished_background_export_without_reload(page, live_server, live_town):
    import datetime

    from reports.models import ExportJob
    from reports.periods import period_of
    from reports.services import export_run

    user = live_town.user("officer_a")
    period = period_of("month", datetime.date(2026, 9, 15))
    job = ExportJob.objects.create(
        requested_by=user, kind="contacts", place=live_town.village_a, params=period.as_params()
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "officer_a")
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/exports/")
    assert "排队中" in page.inner_text("#jobs")
    assert "本页会自动更新" in page.inner_text("main")
    assert page.locator("#jobs a:has-text('下载')").count() == 0
    page.evaluate("window.__notReloaded = true")

    export_run(job_id=job.pk)  # the background worker finishes

    page.wait_for_selector("#jobs a:has-text('下载')", timeout=20000)
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, not a reload
    assert "已完成" in page.inner_text("#jobs") and "导出已完成" in page.inner_text("main")
    assert page.get_attribute("#jobs", "data-pending") == "0"
    no_horizontal_scroll(page)
    page.screenshot(path="/tmp/exports_poll_360.png", full_page=True)
