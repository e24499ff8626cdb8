"""回访 in one step: from the resolved issue, record the return visit and come back with it chosen."""

import datetime
import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.services import issue_resolve
from visits.models import Contact
from visits.periods import TZ

pytestmark = pytest.mark.django_db


def test_record_the_return_visit_from_the_issue_page(town, login, ladder):
    issue = ladder.to_grid()
    issue = issue_resolve(
        user=town.user("grid_head_a1"), issue_id=issue.pk, version=issue.version, result="已修"
    )
    member = login(town.user("member_a"))
    detail_url = reverse("issues:detail", args=[issue.pk])
    html = member.get(detail_url).content.decode()
    link = re.search(r'id="record-return-visit" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert link.startswith(reverse("visits:household-record", args=[town.ha1.pk]))

    form = member.get(link)
    assert form.status_code == 200 and f'href="{detail_url}"' in form.content.decode()  # 返回 goes back
    when = (timezone.now() - datetime.timedelta(minutes=2)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    response = member.post(
        link,
        {"kind": "online", "occurred_at": when, "duties": ["demands"], "client_id": str(uuid.uuid4())},
    )
    contact = Contact.objects.get()
    assert response.status_code == 302 and urlparse(response.url).path == detail_url
    query = parse_qs(urlparse(response.url).query)
    assert query["return_contact"] == [str(contact.pk)] and query["saved"] == [str(contact.client_id)]

    back = member.get(response.url)
    assert back.context["forms"]["feedback"]["contact"].value() == contact.pk
    assert re.search(rf'<option value="{contact.pk}" selected>', back.content.decode())


def test_next_outside_the_site_is_ignored(town, login):
    member = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk]) + "?next=https://evil.example/"
    when = (timezone.now() - datetime.timedelta(minutes=2)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    response = member.post(
        url, {"kind": "online", "occurred_at": when, "duties": ["demands"], "client_id": str(uuid.uuid4())}
    )
    assert response.url.startswith(reverse("visits:household", args=[town.ha1.pk]))
