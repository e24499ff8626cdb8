"""Every page of every persona in a real browser, at 360×740 and at 1366×900.

Fails when the page scrolls sideways, when a visible form control or button is under 44 px tall, or when a
checkbox/radio is not on the same row as its label, or when a table's name column is squeezed to a character. The URL list is the smoke test's (tests/test_smoke_urls.py),
kept to the pages that answer 200 with HTML for that persona. Each page is loaded once and measured at both
sizes (the viewport is resized, the page re-lays itself out), so the whole walk stays short.
"""

import os

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import CHROMIUM
from tests.personas import build_town
from tests.test_smoke_urls import _existing, _urls

pytestmark = pytest.mark.browser

PERSONAS = ["town_staff", "discipline", "officer_a", "grid_head_a1", "member_a", "handler"]
SIZES = [{"width": 360, "height": 740}, {"width": 1366, "height": 900}]

CHECK = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) problems.push('sideways scroll ' + doc.scrollWidth + 'px');
  const shown = el => {
    if (!el.getClientRects().length) return false;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.opacity === '0') return false;
    const r = el.getBoundingClientRect();
    return r.width > 2 && r.height > 2 && !el.closest('details:not([open])');
  };
  const name = el => el.outerHTML.slice(0, 90);
  for (const el of document.querySelectorAll('input, select, textarea, button, a.btn')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (!label) { problems.push('no label: ' + name(el)); continue; }
      const lr = label.getBoundingClientRect();
      if (lr.height < 43.5) problems.push('row under 44px (' + Math.round(lr.height) + '): ' + name(label));
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT,
        {acceptNode: n => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
      const text = walker.nextNode();
      if (!text) { problems.push('label without text: ' + name(label)); continue; }
      const range = document.createRange(); range.selectNodeContents(text);
      const tr = range.getClientRects()[0], br = el.getBoundingClientRect();
      if (!tr || Math.abs((tr.top + tr.bottom) / 2 - (br.top + br.bottom) / 2) > 16)
        problems.push('box not beside its label: ' + name(label));
      continue;
    }
    const h = el.getBoundingClientRect().height;
    if (h < 43.5) problems.push('control under 44px (' + Math.round(h) + '): ' + name(el));
  }
  for (const cell of document.querySelectorAll('table tr > :first-child')) {
    if (!shown(cell) || !cell.textContent.trim()) continue;
    const w = cell.getBoundingClientRect().width;
    if (w < 48) problems.push('name column ' + Math.round(w) + 'px wide (one character a line): ' + name(cell));
  }
  return problems;
}"""


def _pages_for(persona, town, ids_list):
    client = Client()
    client.force_login(town.user(persona))
    pages, seen = [], set()
    for ids in ids_list:
        for url in _urls(_existing(ids)):
            if url in seen or url.startswith("/api/") or url.endswith("/logout/"):
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                pages.append(url)
    return pages


def test_every_page_fits_a_phone_and_a_desktop(live_server, transactional_db, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    from issues.models import IssueCategory
    from issues.services import issue_raise
    from visits.enums import ContactKind
    from visits.services import contact_record

    settings.MEDIA_ROOT = tmp_path / "media"
    town = build_town()
    contact = contact_record(
        user=town.user("member_a"),
        kind=ContactKind.HOME_VISIT,
        occurred_at=timezone.now(),
        duties=("policy",),
        household=town.ha1,
    )
    issue = issue_raise(
        user=town.user("member_a"),
        category=IssueCategory.objects.first(),
        description="路灯坏了",
        household=town.ha1,
        escalate_reason="需要网格协调",
    )
    ids_list = [
        {"pk": town.village_a.pk},
        {"pk": town.ha1.pk},
        {"pk": contact.pk},
        {"pk": issue.pk},
        {"pk": town.members["member_a"].pk},
    ]
    failures, visited = {}, 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for persona in [*PERSONAS, None]:
            context = browser.new_context(viewport=SIZES[0], locale="zh-CN")
            page = context.new_page()
            if persona is None:
                pages = ["/accounts/login/"]
            else:
                pages = _pages_for(persona, town, ids_list)
                page.goto(f"{live_server.url}/accounts/login/")
                page.fill("input[name=username]", town.user(persona).username)
                page.fill("input[name=password]", "pass-12345")
                page.click("form.stack button[type=submit]")
                page.wait_for_url(f"{live_server.url}/")
            for url in pages:
                page.set_viewport_size(SIZES[0])
                page.goto(live_server.url + url, wait_until="load")  # "load": the stylesheet is applied
                visited += 1
                for size in SIZES:
                    page.set_viewport_size(size)
                    problems = page.evaluate(CHECK)
                    if problems:
                        failures[f"{persona} {size['width']} {url}"] = problems[:3]
            context.close()
        browser.close()
    assert visited > 60
    assert failures == {}
