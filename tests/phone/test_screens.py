"""Screenshots of the main phone pages at 360 px, written to docs/screens/ when LIANHU_SCREENS=1.

LIANHU_SCREENS=1 .venv/bin/python -m pytest tests/phone/test_screens.py
"""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import browser_log_in
from tests.personas import build_town

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("LIANHU_SCREENS"), reason="set LIANHU_SCREENS=1 to refresh docs/screens"
    ),
]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screens"


def shot(page, name, full=True):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)


def test_screens(phone_page, live_server, transactional_db):
    from issues.models import IssueCategory
    from issues.services import issue_escalate, issue_raise
    from visits.services import contact_record

    town = build_town()
    contact_record(
        user=town.user("member_a"),
        kind="home_visit",
        occurred_at=timezone.now(),
        duties=("policy", "demands"),
        household=town.ha1,
        summary="宣传医保政策,了解到老人看病难",
    )
    issue = issue_raise(
        user=town.user("member_a"),
        category=IssueCategory.objects.first(),
        description="村道路灯坏了三个月,晚上出行不便",
        household=town.ha1,
        escalate_reason="需要网格协调",
    )
    issue = issue_escalate(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, reason="需村里协调"
    )
    issue = issue_escalate(
        user=town.user("officer_a"), issue_id=issue.pk, version=issue.version, reason="村级无力解决"
    )
    page = phone_page
    url = live_server.url
    browser_log_in(page, live_server, "member_a")
    shot(page, "01-home")
    page.goto(f"{url}/visits/")
    shot(page, "02-my-households")
    page.goto(f"{url}/visits/households/{town.ha1.pk}/")
    shot(page, "03-household")
    page.goto(f"{url}/visits/households/{town.ha1.pk}/record/")
    page.check("input[name=duties][value=policy]")
    shot(page, "04-record-form")
    page.goto(f"{url}/census/")
    shot(page, "09-error-403", full=False)
    # offline: the kept household page, a contact queued on the phone
    page.goto(f"{url}/visits/")
    kept = "caches.open('lianhu-pages').then(c => c.keys()).then(k => k.length)"
    for _ in range(50):
        if page.evaluate(kept) >= 3:
            break
        page.wait_for_timeout(200)
    page.context.set_offline(True)
    page.goto(f"{url}/visits/households/{town.ha1.pk}/record/")
    page.check("input[name=duties][value=opinion]")
    page.click("#save")
    page.wait_for_selector("text=待上传 1 条")
    shot(page, "10-offline-queued", full=False)
    page.context.set_offline(False)
    page.wait_for_selector("#outbox", state="hidden")
    page.context.clear_cookies()
    browser_log_in(page, live_server, "town_staff")
    page.goto(f"{url}/issues/{issue.pk}/")
    shot(page, "05-issue-whistle")
    page.goto(f"{url}/visits/compliance/{town.town.pk}/")
    shot(page, "06-compliance")
    page.goto(f"{url}/reports/")
    shot(page, "07-dashboard")
    page.goto(f"{url}/issues/queue/centre/")
    shot(page, "08-centre-desk")
