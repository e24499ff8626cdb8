"""A saved contact form can never be sent again as a new contact: double tap, refresh, Back."""

import uuid

import pytest
from django.urls import reverse

from visits.models import Contact

from ..visits.test_views import post_data


@pytest.mark.django_db
def test_the_same_client_id_twice_stores_one_contact(town, login):
    client = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    data = post_data(client_id=str(uuid.uuid4()))
    first = client.post(url, data, follow=True)
    second = client.post(url, data, follow=True)  # a double tap or a refresh that re-posts
    assert Contact.objects.count() == 1
    assert "走访记录已保存" in first.content.decode()
    assert "未重复保存" in second.content.decode()
    # Post/Redirect/Get: both answers end on the household page, not on a filled form.
    assert second.redirect_chain[-1][0].startswith(reverse("visits:household", args=[town.ha1.pk]))


@pytest.mark.django_db
def test_form_page_is_never_cached_and_each_get_has_a_fresh_id(town, login):
    client = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    first, second = client.get(url), client.get(url)
    assert "no-store" in first["Cache-Control"]
    assert 'autocomplete="off"' in first.content.decode()
    assert first.context["form"].initial["client_id"] != second.context["form"].initial["client_id"]
    place_url = reverse("visits:place-record", args=[town.grid_a1.pk])
    assert "no-store" in login(town.user("grid_head_a1")).get(place_url)["Cache-Control"]
