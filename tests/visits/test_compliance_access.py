"""The compliance place rule (visits.access.get_compliance_place_for_user) is the page's and the API's."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "place", "seen"),
    [
        ("officer_a", "village_a", True),
        ("officer_b", "village_a", False),  # another village
        ("town_staff", "town", True),
        ("town_staff", "grid_a1a", False),  # a fourth-level grid has no compliance page
        ("member_a", "village_a", False),
    ],
)
def test_page_and_api_agree(town, login, persona, place, seen):
    pk = getattr(town, place).pk
    client = login(town.user(persona))
    page = client.get(reverse("visits:compliance", args=[pk]))
    api = client.get(f"/api/compliance/places/{pk}/")
    assert (page.status_code, api.status_code) == ((200, 200) if seen else (404, 404))
