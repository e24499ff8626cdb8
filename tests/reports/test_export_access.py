"""Who may see an export is one rule (reports.access): the admin's log and the pages ask the same function;
the file itself is only ever the requester's."""

import datetime

import pytest
from django.urls import reverse

from reports.access import exports_visible_to
from reports.periods import period_of
from reports.services import export_request

pytestmark = pytest.mark.django_db


def test_the_log_and_the_pages_use_one_rule(town, data, login):
    sept = period_of("month", datetime.date(2026, 9, 1))
    theirs = export_request(user=town.user("officer_b"), kind="contacts", place=town.village_b, period=sept)
    staff = town.user("town_staff")
    assert theirs in exports_visible_to(staff)  # town staff supervise their town's exports
    assert theirs not in exports_visible_to(town.user("officer_a"))
    client = login(staff)
    listed = client.get("/admin/reports/exportjob/").context["cl"].result_list
    assert set(listed) == set(exports_visible_to(staff))
    # "我的导出" lists only the user's own, and the file is the requester's alone
    assert theirs not in client.get(reverse("reports:exports")).context["jobs"]
    assert client.get(reverse("reports:export-download", args=[theirs.pk])).status_code == 404
    owner = login(town.user("officer_b"))
    assert owner.get(reverse("reports:exports")).context["jobs"] == [theirs]
