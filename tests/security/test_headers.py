"""Finding 6 of issue 11: schema and headers. Lists agree with the schema, Swagger UI comes from our own
static files, a Content-Security-Policy without inline script, schema and docs for logged-in users only."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.conftest import browser_log_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_every_page_carries_a_strict_policy(town, client):
    client.force_login(town.user("town_staff"))
    for url in ("/", "/accounts/login/", "/api/issues/", "/api/docs/", "/admin/"):
        policy = _csp(client.get(url))
        assert policy.get("default-src") == ["'self'"], url
        assert policy.get("script-src") == ["'self'"], url
        for directive, sources in policy.items():
            assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, directive
            assert not [s for s in sources if s.startswith(("http", "*")) or "." in s], (directive, sources)


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{template}: inline <script>")
        if re.search(r"<style\b", text) or re.search(r"\sstyle=", text):
            offenders.append(f"{template}: inline style")
        if re.search(r"\son[a-z]+=", text):
            offenders.append(f"{template}: event handler attribute")
    assert offenders == []


def test_schema_and_docs_are_for_logged_in_users(town, client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith("/accounts/login/")
    client.force_login(town.user("member_a"))
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_swagger_ui_comes_from_our_static_files(town, client):
    client.force_login(town.user("member_a"))
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "cdn" not in page.lower() and "@latest" not in page
    for source in sources:
        path = source.split("?")[0]
        if path.startswith(settings.STATIC_URL):
            assert finders.find(path[len(settings.STATIC_URL) :]), path
    script = next(s for s in sources if "script" in s and "static" not in s)
    answer = client.get(script)
    assert answer.status_code == 200 and "javascript" in answer["Content-Type"]
    assert "SwaggerUIBundle" in answer.content.decode()


def _is_paginated(schema, path):
    ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return {"count", "results"} <= set(component["properties"])


def test_issue_events_and_order_recipients_answer_what_the_schema_says(town, client, raise_issue):
    from dispatch.periods import today
    from dispatch.services import order_issue

    client.force_login(town.user("town_staff"))
    schema = client.get("/api/schema/?format=json").json()
    assert _is_paginated(schema, "/api/issues/{id}/events/")
    assert _is_paginated(schema, "/api/dispatch-orders/{id}/recipients/")

    issue = raise_issue()
    events = client.get(f"/api/issues/{issue.pk}/events/").json()
    assert events["count"] == len(events["results"]) >= 1
    order = order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="查",
        task="走访",
        due_date=today(),
        places=[town.village_a],
    )
    rows = client.get(f"/api/dispatch-orders/{order.pk}/recipients/").json()
    assert rows["count"] == 1 and rows["results"][0]["member_name"] == "officer_a"


@pytest.fixture
def raise_issue(town):
    from issues.models import IssueCategory
    from issues.services import issue_raise

    def _raise():
        return issue_raise(
            user=town.user("member_a"),
            category=IssueCategory.objects.first(),
            description="路灯坏了",
            household=town.ha1,
            escalate_reason="需要网格协调",
        )

    return _raise


@pytest.mark.browser
def test_swagger_ui_works_under_the_policy(phone_page, live_server, transactional_db, tmp_path):
    from tests.personas import build_town

    town = build_town()
    page = phone_page
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text
            else None
        ),
    )
    requests_out = []
    page.on(
        "request", lambda r: requests_out.append(r.url) if not r.url.startswith(live_server.url) else None
    )
    browser_log_in(page, live_server, "town_staff")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=/api/issues/", timeout=20000)
    page.screenshot(path=str(tmp_path / "swagger.png"))
    # the pages people use every day, and the admin, under the same policy
    for url in (
        "/",
        "/visits/",
        "/issues/",
        "/reports/",
        "/admin/",
        f"/admin/grids/household/{town.ha1.pk}/change/",
    ):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("load")
    assert violations == []
    assert [u for u in requests_out if not u.startswith("data:")] == []
