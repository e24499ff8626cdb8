import os
from importlib import import_module

import pytest

from .personas import build_town

# Rows that data migrations seed. A transactional test (live server, real concurrency) starts from a
# flushed database, so they are put back before it runs.
SEEDING_MIGRATIONS = (
    "visits.migrations.0002_seed_quota_rules",
    "issues.migrations.0002_seed_settings",
    "rewards.migrations.0002_seed_default_award_types",
    "activities.migrations.0002_seed_templates",
)

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


def reseed() -> None:
    from django.apps import apps

    for module in SEEDING_MIGRATIONS:
        import_module(module).seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, plus: before they are dropped, end sessions other threads left open.

    Live-server request threads (browser tests) can still hold a PostgreSQL session when the run ends, and
    PostgreSQL refuses to drop a database in use ("is being accessed by other users"). The next run would
    recreate it anyway; this only keeps the end of a run clean.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switched the language (translation.activate) must not leave it on for the next test."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reseed_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        reseed()
    yield
    if transactional:
        # Outside a transaction a page may have read beside itself (grids.beside): let go of those
        # connections, or the test database could not be flushed or dropped.
        from grids import beside

        beside.shutdown()


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    """Private files (photos, attachments, exports) of a test go to its own directory, removed after it."""
    settings.LIANHU_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def town(db):
    """The persona town (tests/personas.py)."""
    return build_town()


@pytest.fixture
def login(client):
    """login(user) → the test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


def pytest_collection_modifyitems(config, items):
    """Browser tests skip when Debian's chromium is missing, except where LIANHU_REQUIRE_BROWSER is set (CI)."""
    if os.path.exists(CHROMIUM) or os.environ.get("LIANHU_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"needs Debian chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture
def phone_page(live_server, settings, tmp_path):
    """A 360×740 chromium tab (Debian's chromium driven by playwright; `playwright install` cannot run here)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(15000)
        yield tab
        context.close()
        browser.close()


# Form controls that stick out of their card (a date input's intrinsic width can push a grid track wider
# than the card without making the page itself scroll).
CONTROLS_OUTSIDE_CARDS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .map(el => [el, el.closest('.card')])
  .filter(([el, card]) => card && el.getBoundingClientRect().right > card.getBoundingClientRect().right + 0.5)
  .map(([el]) => el.outerHTML.slice(0, 80))"""


def no_horizontal_scroll(page) -> None:
    from playwright.sync_api import Error as PlaywrightError

    # A click on a link only starts the navigation: on a busy machine the old document may be gone and the
    # new one not yet there when we measure. Measure once the page has loaded, again if it was replaced.
    for attempt in range(5):
        try:
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            outside = page.evaluate(CONTROLS_OUTSIDE_CARDS)
            break
        except PlaywrightError:
            if attempt == 4:
                raise
            page.wait_for_timeout(200)
    assert width <= PHONE["width"], page.url
    assert outside == [], page.url


def browser_log_in(page, live_server, username: str, password: str = "pass-12345") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
