"""Offline in a real browser: record offline → reload offline → close the tab → back online → exactly one
contact with its photo. Pages are kept by the project's service worker (static/js/sw.js), the contact is
queued in IndexedDB by static/js/offline.js and sent once the network returns."""

import datetime
import io
import os
import time

import pytest
from django.utils import timezone
from PIL import Image

from members.models import Link
from tests.conftest import CHROMIUM, PHONE
from tests.personas import build_town
from visits.models import Contact, ContactPhoto

pytestmark = pytest.mark.browser


def wait_until(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (200, 60, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_record_offline_then_send_once_online(live_server, transactional_db, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    town = build_town()
    household = town.ha1
    base = live_server.url
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            viewport=PHONE,
            locale="zh-CN",
        )
        context.set_default_timeout(15000)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "member_a")
        page.fill("input[name=password]", "pass-12345")
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/visits/")
        kept = (
            "caches.open('lianhu-pages').then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))"
        )
        assert wait_until(lambda: len(page.evaluate(kept)) >= 3), page.evaluate(kept)
        assert f"/visits/households/{household.pk}/record/" in page.evaluate(kept)
        assert "/visits/" in page.evaluate(kept)
        assert not any("/households/" in p and str(town.hb1.pk) in p for p in page.evaluate(kept))

        # The network goes away: my households and the household page still open, saying they are offline.
        context.set_offline(True)
        page.goto(f"{base}/visits/households/{household.pk}/")
        assert page.locator(".offline-banner").is_visible()
        assert "离线 · 数据更新于" in page.inner_text(".offline-banner")
        page.click("#record")
        page.wait_for_selector("#record-form")
        page.check("input[name=duties][value=policy]")
        page.fill("textarea[name=summary]", "离线时记录的走访")
        page.set_input_files(
            "input[name=photos]", files=[{"name": "a.png", "mimeType": "image/png", "buffer": photo_bytes()}]
        )
        page.click("#save")
        page.wait_for_url(f"**/visits/households/{household.pk}/?queued=1")
        page.wait_for_selector("text=待上传 1 条")
        assert page.locator("[data-pending-household]").is_visible()  # 已记录(待上传)
        page.reload()
        page.wait_for_selector("text=待上传 1 条")

        # Close the tab; a new one in the same browser profile still has the queued contact.
        page.close()
        page = context.new_page()
        page.goto(f"{base}/visits/")
        page.wait_for_selector("text=待上传 1 条")
        assert Contact.objects.count() == 0

        # Back online: sent once, with its photo shrunk on the phone.
        context.set_offline(False)
        assert wait_until(lambda: Contact.objects.count() == 1)
        page.reload()
        page.wait_for_load_state("load")
        time.sleep(1)
        assert Contact.objects.count() == 1
        contact = Contact.objects.get()
        assert contact.summary == "离线时记录的走访" and contact.household_id == household.pk
        photo = ContactPhoto.objects.get(contact=contact)
        with Image.open(photo.image.open("rb")) as img:
            assert max(img.size) <= 1600
        assert page.locator("#outbox").is_hidden()

        # A second contact recorded offline, but the link ends before it is sent: the server refuses it, the
        # phone keeps it with the server's reason until the member discards it.
        context.set_offline(True)
        page.goto(f"{base}/visits/households/{household.pk}/record/")
        page.check("input[name=duties][value=opinion]")
        page.click("#save")
        page.wait_for_selector("text=待上传 1 条")
        Link.objects.filter(member=town.members["member_a"], household=household).update(
            end_date=timezone.localdate() - datetime.timedelta(days=1)
        )
        context.set_offline(False)
        page.wait_for_selector(".outbox-refused")
        assert "范围" in page.inner_text(".outbox-refused") or "联系" in page.inner_text(".outbox-refused")
        assert Contact.objects.count() == 1
        page.click(".outbox-refused button")
        page.wait_for_selector("#outbox", state="hidden")
        context.close()
