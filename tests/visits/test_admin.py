"""Admin: quota rules are the deployment's (a superuser changes them; town staff and others view); contacts
are read-only and scoped."""

import pytest
from django.urls import reverse

from visits.enums import ContactKind
from visits.models import QuotaRule

from .conftest import at


def test_the_deployment_admin_changes_a_quota_rule(town, login, admin_user):
    rule = QuotaRule.objects.get(link_type="party_household", period="month")
    client = login(admin_user)
    url = reverse("admin:visits_quotarule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "link_type": "party_household",
            "kinds": ["online"],
            "period": "month",
            "min_count": 2,
            "active": "on",
            "note": "改为每月两次线上",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.kinds, rule.min_count) == (["online"], 2)


@pytest.mark.parametrize("persona", ["town_staff", "officer_a", "grid_head_a1"])
def test_others_only_view_quota_rules(town, login, persona):
    rule = QuotaRule.objects.first()
    client = login(town.user(persona))
    assert client.get(reverse("admin:visits_quotarule_changelist")).status_code == 200
    response = client.post(
        reverse("admin:visits_quotarule_change", args=[rule.pk]),
        {"link_type": rule.link_type, "kinds": ["online"], "period": rule.period, "min_count": 9},
    )
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.min_count != 9


def test_contact_admin_is_scoped_and_read_only(town, login, record):
    a = record(
        town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, summary="甲"
    )
    b = record(
        town.user("member_b"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.hb1, summary="乙"
    )
    client = login(town.user("officer_a"))
    html = client.get(reverse("admin:visits_contact_changelist")).content.decode()
    assert reverse("admin:visits_contact_change", args=[a.pk]) in html
    assert reverse("admin:visits_contact_change", args=[b.pk]) not in html
    assert (
        client.get(reverse("admin:visits_contact_change", args=[b.pk])).status_code == 302
    )  # not found → index
    staff = login(town.user("town_staff"))
    assert staff.get(reverse("admin:visits_contact_add")).status_code == 403
    assert staff.post(reverse("admin:visits_contact_delete", args=[a.pk]), {"post": "yes"}).status_code == 403


def test_contact_admin_counts_no_further_than_its_cap(town, login, record, monkeypatch):
    """The contact list counts at most `cap` rows of what the user sees: exact up to the cap, then "more than"
    with the first cap's pages; the count is a LIMITed subquery, never a COUNT of every contact."""
    from django.contrib import admin
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grids.paging import CappedCountPaginator
    from visits.models import Contact

    for day in (10, 11, 12):
        record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, day), household=town.ha1)
    record(town.user("member_b"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.hb1)
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    url = reverse("admin:visits_contact_changelist")

    staff = login(town.user("town_staff"))  # sees the town's 4
    with CaptureQueriesContext(connection) as queries:
        html = staff.get(url).content.decode()
    assert "走访记录超过 2 条,只列出前 2 条:请用筛选或搜索缩小范围" in html
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 3" in counts[0]
    # A page number beyond the counted ones (a typed URL): the list as it is, no error.
    beyond = staff.get(url + "?p=5")
    assert beyond.status_code == 200 and "只列出前 2 条" in beyond.content.decode()
    # One row a page: two counted pages, so page 5 is the admin's own "invalid page" redirect.
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 1)
    beyond = staff.get(url + "?p=5")
    assert beyond.status_code == 302 and "e=1" in beyond["Location"]
    monkeypatch.undo()
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)

    # member_b's officer sees 1: counted exactly, no "more than"
    officer = login(town.user("officer_b"))
    html = officer.get(url).content.decode()
    assert "超过" not in html
    assert "1 走访记录" in html

    # Exactly the cap: exact as well.
    monkeypatch.setattr(CappedCountPaginator, "cap", 4)
    staff = login(town.user("town_staff"))  # one client: logging in again switches it back
    html = staff.get(url).content.decode()
    assert "超过" not in html and "4 走访记录" in html
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)

    # English through the .po, one language in the sentence.
    html = staff.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Visit records: more than 2, only the first 2 listed; narrow them" in html
