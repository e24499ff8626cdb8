"""Every page and endpoint, for every persona, with junk in the query string: never a 500.

Walks the URL configuration, fills path arguments with ids that do not exist (a clear 404) or with the
persona town's real objects, and sends query strings a tired user or a broken link might send.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = pytest.mark.django_db

JUNK = {
    "page": "abc",
    "period": "zzz",
    "on": "2026-13-45",
    "date_from": "yesterday",
    "date_to": "--",
    "village": "x",
    "grid": "-1",
    "year": "二〇二六",
    "month": "2026-00",
    "status": "<script>",
    "kind": "' OR 1=1 --",
    "under": "999999999",
    "q": "=cmd|' /C calc'!A0",
}
SKIP_PREFIXES = ("admin/", "i18n/", "api/docs", "accounts/logout")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _urls(fill):
    """Concrete URLs for every route: <converter:name> and DRF's (?P<name>...) groups filled by `fill`."""
    import re

    seen = set()
    for route, _pattern in _walk(get_resolver()):
        if route.startswith(SKIP_PREFIXES) or "(?P<format>" in route:
            continue
        route = route.replace("^", "").replace("$", "")
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: fill("int", m.group(1)), route)
        url = "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: fill(m.group(1) or "str", m.group(2)), route)
        if url not in seen:
            seen.add(url)
            yield url


def _missing(converter, name):
    return "00000000-0000-0000-0000-000000000000" if converter == "uuid" else "999999"


def _existing(ids):
    """Fill every id with one of the persona town's real objects, so pages render, not just 404."""

    def fill(converter, name):
        if converter == "uuid":
            return "00000000-0000-0000-0000-000000000000"
        if name in ("level",):
            return "grid"
        return str(ids.get(name, ids["pk"]))

    return fill


@pytest.mark.parametrize(
    "persona",
    ["town_staff", "discipline", "officer_a", "grid_head_a1", "member_a", "handler", None],
)
def test_no_page_answers_500(town, client, persona):
    if persona:
        client.force_login(town.user(persona))
    failures = {}
    for url in _urls(_missing):
        for params in ({}, JUNK):
            response = client.get(url, params)
            if response.status_code >= 500:
                failures[url] = response.status_code
    assert failures == {}


@pytest.mark.parametrize("persona", ["town_staff", "officer_a", "member_a", "handler"])
def test_real_objects_with_junk_never_answer_500(town, client, persona):
    """Pages of objects that exist (a place, a household, a contact, an issue) with junk parameters."""
    from issues.models import IssueCategory
    from issues.services import issue_raise
    from visits.enums import ContactKind
    from visits.services import contact_record

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
    client.force_login(town.user(persona))
    failures = {}
    for ids in (
        {"pk": town.village_a.pk},
        {"pk": town.ha1.pk},
        {"pk": contact.pk},
        {"pk": issue.pk},
        {"pk": town.members["member_a"].pk},
    ):
        for url in _urls(_existing(ids)):
            for params in ({}, JUNK):
                response = client.get(url, params)
                if response.status_code >= 500:
                    failures[url + str(bool(params))] = response.status_code
    assert failures == {}


def test_posting_junk_never_answers_500(town, client):
    client.force_login(town.user("town_staff"))
    failures = {}
    for url in _urls(_missing):
        response = client.post(url, JUNK)
        if response.status_code >= 500:
            failures[url] = response.status_code
    assert failures == {}
