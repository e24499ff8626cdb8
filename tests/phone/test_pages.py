"""Error pages in the site's layout, the favicon, the household card's wording."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_403_from_permission_denied_is_the_sites_page_in_chinese(town, login):
    response = login(town.user("member_a")).get(reverse("members:census-import"))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="topbar"' in html and "无权查看" in html and "Forbidden" not in html
    assert f'href="{reverse("home")}"' in html


def test_404_is_the_sites_page_in_chinese(town, login):
    response = login(town.user("member_a")).get("/visits/households/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html and "找不到页面" in html and "回到首页" in html


def test_csrf_failure_is_the_sites_403_saying_why(town):
    client = Client(enforce_csrf_checks=True)
    client.force_login(town.user("member_a"))
    response = client.post(reverse("visits:household-record", args=[town.ha1.pk]), {})
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and 'class="topbar"' in html


def test_500_page_renders_without_a_request_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出错" in html and "回到首页" in html


def test_favicon_is_small_and_cached(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert len(response.content) < 4000 and "max-age" in response["Cache-Control"]


def test_overdue_household_says_which_period_was_missed(town, login):
    html = login(town.user("member_a")).get(reverse("visits:workspace")).content.decode()
    assert 'data-status="overdue"' in html
    assert "上季度未完成" in html and "本期" in html
