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
