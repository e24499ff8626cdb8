"""Page weight on a throttled phone (CDP: Slow 3G, 400 ms, 500 kbit/s): a cold first contact and a warm second.

cold: login page → log in → 我的联系户 → household → record form → submit  ≤ 60 KB transferred
warm: household → record form → submit (same browser, cache and service worker warm)  ≤ 15 KB

Bytes are what the page's own requests transferred (CDP Network.loadingFinished encodedDataLength) plus what the
service worker fetched in the background (its install and the offline copies of the member's pages), counted
on the server side. Figures are printed for docs/benchmarks.md:

    LIANHU_REQUIRE_BROWSER=1 .venv/bin/python -m pytest tests/phone/test_browser_weight.py -s
"""

import os
import time

import pytest

from tests.conftest import CHROMIUM, PHONE
from tests.personas import build_town
from visits.models import Contact

pytestmark = pytest.mark.browser

SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 500 * 1000 / 8,
    "uploadThroughput": 500 * 1000 / 8,
}


class Meter:
    def __init__(self, page, cdp, sw_bytes):
        self.bytes = 0
        self.sw_bytes = sw_bytes
        cdp.on("Network.loadingFinished", lambda e: self._add(e.get("encodedDataLength", 0)))
        self.page = page

    def _add(self, n):
        self.bytes += n

    def step(self, rows, name, action):
        before, sw_before, start = self.bytes, sum(self.sw_bytes), time.monotonic()
        action()
        self.page.wait_for_load_state("load")
        sw = sum(self.sw_bytes) - sw_before
        rows.append((name, self.bytes - before + sw, time.monotonic() - start))


def test_page_weight_cold_and_warm(live_server, transactional_db, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    town = build_town()
    base = live_server.url
    hid = town.ha1.pk
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        sw_bytes = []

        def on_finished(request):
            sizes = request.sizes()
            if (
                request.service_worker
                and sizes["responseBodySize"] >= 0
                and sizes["responseHeadersSize"] >= 0
            ):
                sw_bytes.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])
                sw_log.append((request.method, request.url, sizes["responseBodySize"]))

        sw_log = []
        context.on("requestfinished", on_finished)
        page = context.new_page()
        page.set_default_timeout(30000)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        meter = Meter(page, cdp, sw_bytes)

        def record(summary):
            page.check("input[name=duties][value=policy]")
            page.fill("textarea[name=summary]", summary)
            page.click("#save")
            page.wait_for_selector("text=走访记录已保存")

        def log_in():
            page.fill("input[name=username]", "member_a")
            page.fill("input[name=password]", "pass-12345")
            page.click("form.stack button[type=submit]")
            page.wait_for_url(f"{base}/")

        cold = []
        meter.step(cold, "login page", lambda: page.goto(f"{base}/accounts/login/"))
        meter.step(cold, "log in → home", log_in)
        meter.step(cold, "我的联系户", lambda: page.goto(f"{base}/visits/"))
        meter.step(cold, "household", lambda: page.click(f"a[href='/visits/households/{hid}/']"))
        meter.step(cold, "record form", lambda: page.click("#record"))
        meter.step(cold, "submit", lambda: record("第一次走访"))
        time.sleep(2)  # let the service worker finish its background work
        cold_total = meter.bytes + sum(sw_bytes)

        warm = []
        meter.step(warm, "household", lambda: page.goto(f"{base}/visits/households/{hid}/"))
        meter.step(warm, "record form", lambda: page.click("#record"))
        meter.step(warm, "submit", lambda: record("第二次走访"))
        time.sleep(1)
        warm_total = meter.bytes + sum(sw_bytes) - cold_total
        browser.close()

    for row in sw_log:
        print("service worker fetched", *row)
    for title, rows, total in (("cold", cold, cold_total), ("warm", warm, warm_total)):
        steps = "; ".join(f"{n} {b / 1000:.1f} KB {t:.1f} s" for n, b, t in rows)
        background = total - sum(b for _, b, _ in rows)
        seconds = sum(t for *_, t in rows)
        print(f"\n{title}: {steps}; in the background {background / 1000:.1f} KB")
        print(f"{title} total {total / 1000:.1f} KB, {seconds:.1f} s")
    assert Contact.objects.count() == 2
    assert cold_total <= 60_000
    assert warm_total <= 15_000
