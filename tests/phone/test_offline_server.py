"""The server side of offline use: the service worker at the root scope, the manifest, which pages may be kept."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_at_the_root_with_the_shell_filled_in(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/" and response["Cache-Control"] == "no-cache"
    code = response.content.decode()
    assert '"__SHELL__"' not in code and '"/static/js/offline.js"' in code


def test_manifest_is_installable():
    with open(finders.find("manifest.webmanifest"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    assert manifest["start_url"] == "/visits/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_only_the_members_own_households_may_be_kept_offline(town, login):
    from grids.models import Household

    Household.objects.filter(pk=town.ha1.pk).update(id_number="43012419800101123X")
    member = login(town.user("member_a"))
    own = member.get(reverse("visits:household", args=[town.ha1.pk]))
    assert own["X-Lianhu-Offline"] == "1"
    assert member.get(reverse("visits:household-record", args=[town.ha1.pk]))["X-Lianhu-Offline"] == "1"
    assert member.get(reverse("visits:workspace"))["X-Lianhu-Offline"] == "1"
    assert member.get(reverse("visits:household", args=[town.ha2.pk])).status_code == 404
    # nothing kept offline shows an ID number
    assert "43012419800101123X" not in own.content.decode()
    # a household the grid head sees but does not link: shown, never kept on the phone
    staff = login(town.user("grid_head_a1"))
    seen = staff.get(reverse("visits:household", args=[town.ha1.pk]))
    assert seen.status_code == 200 and "X-Lianhu-Offline" not in seen


def test_pages_carry_the_offline_hooks(town, login):
    html = login(town.user("member_a")).get(reverse("visits:household", args=[town.ha1.pk])).content.decode()
    assert 'data-offline=""' in html and "js/offline.js" in html and 'rel="manifest"' in html
    assert f'data-pending-household="{town.ha1.pk}"' in html
    assert 'data-offline-days="7"' in html
    assert "<script>" not in html and " onclick=" not in html  # no inline script (CSP)
