"""Pages: the right persona sees exact content, the wrong one gets 404/403; query counts stay bounded."""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from members.models import Link
from tests.factories import HouseholdFactory, LinkFactory
from visits.enums import ContactKind
from visits.models import Contact
from visits.periods import TZ


def now_local(**delta) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(**delta)).astimezone(TZ)


def post_data(**overrides):
    data = {
        "kind": "home_visit",
        "occurred_at": now_local(minutes=5).strftime("%Y-%m-%dT%H:%M"),
        "duties": ["policy", "opinion"],
        "summary": "了解到老人看病难",
        "client_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client, town):
    for url in (
        reverse("visits:workspace"),
        reverse("visits:household", args=[town.ha1.pk]),
        reverse("visits:compliance", args=[town.town.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_workspace_lists_my_households_with_status(town, login):
    page = login(town.user("member_a")).get(reverse("visits:workspace"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "张甲一" in html and "困难户" in html
    assert "李乙一" not in html
    assert 'data-status="overdue"' in html  # nothing recorded in the previous quarter
    assert html.count('class="target"') == 1


def test_workspace_of_grid_head_lists_grid_and_compliance_link(town, login):
    html = login(town.user("grid_head_a1")).get(reverse("visits:workspace")).content.decode()
    assert "甲村第一网格" in html
    assert reverse("visits:place", args=[town.grid_a1.pk]) in html
    assert reverse("visits:compliance", args=[town.grid_a1.pk]) in html


def test_home_links_to_workspace(town, login):
    html = login(town.user("member_a")).get(reverse("home")).content.decode()
    assert reverse("visits:workspace") in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("member_a", 200),
        ("grid_head_a1", 200),
        ("officer_a", 200),
        ("town_staff", 200),
        ("member_b", 404),
        ("officer_b", 404),
        ("grid_head_b1", 404),
        ("handler", 404),
    ],
)
def test_household_page_access(town, login, persona, status):
    assert (
        login(town.user(persona)).get(reverse("visits:household", args=[town.ha1.pk])).status_code == status
    )


def test_household_page_shows_history_by_anyone_and_links_over_time(town, login, record):
    record(
        town.user("grid_head_a1"),
        ContactKind.HOME_VISIT,
        now_local(days=1),
        household=town.ha1,
        summary="网格长来访",
    )
    Link.objects.filter(household=town.ha1).update(start_date=datetime.date(2021, 1, 1))
    html = login(town.user("member_a")).get(reverse("visits:household", args=[town.ha1.pk])).content.decode()
    assert "网格长来访" in html and "grid_head_a1" in html
    assert "member_a" in html and "2021-01-01" in html
    assert reverse("visits:household-record", args=[town.ha1.pk]) in html
    assert town.ha1.phone not in html and town.ha1.phone_masked in html


def test_record_form_prefills_today_client_id_and_last_kind(town, login, record):
    client = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    html = client.get(url).content.decode()
    today = timezone.localdate().isoformat()
    assert f'value="{today}T' in html
    assert re.search(r'name="client_id" value="[0-9a-f-]{36}"', html)
    assert re.search(r'value="home_visit"[^>]*checked', html)
    assert 'class="choices duties"' in html
    assert 'src="/static/js/keep-form.js"' in html
    # Two renders → two different client ids.
    ids = {
        re.search(r'name="client_id" value="([0-9a-f-]{36})"', client.get(url).content.decode()).group(1)
        for _ in range(2)
    }
    assert len(ids) == 2
    record(town.user("member_a"), ContactKind.ONLINE, now_local(days=1), household=town.ha1)
    html = client.get(url).content.decode()
    assert re.search(r'value="online"[^>]*checked', html)


def test_record_post_saves_and_a_resubmit_is_idempotent(town, login):
    client = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    data = post_data(kind="home_visit")
    response = client.post(url, data)
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("visits:household", args=[town.ha1.pk]) + f"?saved={contact.client_id}"
    assert (contact.kind, contact.duties, contact.summary) == (
        "home_visit",
        ["policy", "opinion"],
        "了解到老人看病难",
    )
    again = client.post(url, data, follow=True)
    assert Contact.objects.count() == 1
    assert "这条走访记录之前已保存" in again.content.decode()
    # The workspace now shows the household done for this period.
    html = client.get(reverse("visits:workspace")).content.decode()
    assert 'data-status="done"' in html


def test_record_post_errors_are_shown_in_chinese(town, login):
    client = login(town.user("member_a"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    future = (timezone.now() + datetime.timedelta(days=2)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, post_data(occurred_at=future))
    assert response.status_code == 200
    assert "不能选择未来的时间" in response.content.decode()
    response = client.post(url, post_data(duties=[]))
    assert "请至少选择一项“五到位”内容" in response.content.decode()
    response = client.post(url, post_data(occurred_at="not a date"))
    assert "请输入正确的日期时间" in response.content.decode()
    assert Contact.objects.count() == 0


def test_record_for_someone_elses_household(town, login):
    assert (
        login(town.user("member_b"))
        .post(reverse("visits:household-record", args=[town.ha1.pk]), post_data())
        .status_code
        == 404
    )
    # member_a cannot see ha2 either (not linked)
    assert (
        login(town.user("member_a")).get(reverse("visits:household-record", args=[town.ha2.pk])).status_code
        == 404
    )
    assert Contact.objects.count() == 0


def test_record_yard_meeting_from_household_page(town, login):
    client = login(town.user("grid_head_a1"))
    url = reverse("visits:household-record", args=[town.ha1.pk])
    html = client.get(url).content.decode()
    assert "张甲二" in html and "张甲三" in html and "李乙一" not in html
    client.post(url, post_data(kind="yard_meeting", households=[town.ha2.pk, town.ha3.pk]))
    contact = Contact.objects.get()
    assert sorted(contact.households.values_list("pk", flat=True)) == sorted(
        [town.ha1.pk, town.ha2.pk, town.ha3.pk]
    )


def test_found_problem_goes_to_the_issue_form(town, login):
    client = login(town.user("member_a"))
    response = client.post(
        reverse("visits:household-record", args=[town.ha1.pk]), post_data(found_problem="on")
    )
    contact = Contact.objects.get()
    try:
        expected = f"{reverse('issues:raise')}?contact={contact.pk}"
    except NoReverseMatch:
        expected = reverse("visits:household", args=[town.ha1.pk]) + f"?saved={contact.client_id}"
    assert response.url == expected


def test_place_page_and_record_for_grid_head(town, login):
    client = login(town.user("grid_head_a1"))
    assert client.get(reverse("visits:place", args=[town.grid_a1.pk])).status_code == 200
    response = client.post(
        reverse("visits:place-record", args=[town.grid_a1.pk]), post_data(kind="grid_sinkdown")
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.place, contact.kind, contact.link.place) == (town.grid_a1, "grid_sinkdown", town.grid_a1)


@pytest.mark.parametrize(
    ("persona", "status"), [("member_a", 404), ("officer_b", 404), ("grid_head_b1", 404)]
)
def test_place_page_wrong_persona(town, login, persona, status):
    client = login(town.user(persona))
    assert client.get(reverse("visits:place", args=[town.grid_a1.pk])).status_code == status
    assert client.get(reverse("visits:place-record", args=[town.grid_a1.pk])).status_code == status


def test_contact_detail_and_edit_access(town, login, record):
    contact = record(town.user("member_a"), ContactKind.HOME_VISIT, now_local(hours=2), household=town.ha1)
    detail = reverse("visits:contact", args=[contact.pk])
    edit = reverse("visits:contact-edit", args=[contact.pk])
    assert login(town.user("member_b")).get(detail).status_code == 404
    assert login(town.user("officer_a")).get(detail).status_code == 200
    assert login(town.user("officer_a")).get(edit).status_code == 403
    client = login(town.user("member_a"))
    assert "修改" in client.get(detail).content.decode()
    response = client.post(
        edit,
        {
            "kind": "online",
            "occurred_at": now_local(hours=3).strftime("%Y-%m-%dT%H:%M"),
            "duties": ["disputes"],
            "summary": "更正",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.kind, contact.duties, contact.summary) == ("online", ["disputes"], "更正")
    assert "更正" in client.get(detail).content.decode()
    Contact.objects.filter(pk=contact.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    locked = client.get(edit, follow=True).content.decode()
    assert "已锁定" in locked


@pytest.mark.parametrize(
    ("persona", "place", "status"),
    [
        ("town_staff", "town", 200),
        ("discipline", "town", 200),
        ("officer_a", "village_a", 200),
        ("grid_head_a1", "grid_a1", 200),
        ("officer_a", "town", 404),
        ("officer_a", "village_b", 404),
        ("officer_b", "village_a", 404),
        ("grid_head_b1", "grid_a1", 404),
        ("member_a", "grid_a1", 404),
        ("member_a", "town", 404),
        ("handler", "town", 404),
    ],
)
def test_compliance_page_access(town, login, persona, place, status):
    place_obj = getattr(town, place)
    assert (
        login(town.user(persona)).get(reverse("visits:compliance", args=[place_obj.pk])).status_code == status
    )


def test_compliance_pages_break_down_by_level(town, login):
    html = (
        login(town.user("town_staff")).get(reverse("visits:compliance", args=[town.town.pk])).content.decode()
    )
    assert "甲村" in html and "乙村" in html
    assert reverse("visits:compliance", args=[town.village_a.pk]) in html
    html = (
        login(town.user("officer_a"))
        .get(reverse("visits:compliance", args=[town.village_a.pk]))
        .content.decode()
    )
    assert "甲村第一网格" in html and "乙村" not in html
    html = (
        login(town.user("grid_head_a1"))
        .get(reverse("visits:compliance", args=[town.grid_a1.pk]))
        .content.decode()
    )
    assert "member_a" in html and "grid_head_a1" in html and "member_b" not in html
    assert '<dd id="silent-count">3</dd>' in html  # ha1, ha2, ha3: nobody visited this quarter


def test_compliance_home_redirects_to_own_level(town, login):
    assert login(town.user("officer_a")).get(reverse("visits:compliance-home")).url == reverse(
        "visits:compliance", args=[town.village_a.pk]
    )
    assert login(town.user("member_a")).get(reverse("visits:compliance-home")).status_code == 403


def _grow(town, n, record):
    member = town.members["member_a"]
    for i in range(n):
        household = HouseholdFactory(grid=town.grid_a1a, is_key=bool(i % 2))
        LinkFactory(member=member, household=household)
        if i % 2:
            record(town.user("member_a"), ContactKind.HOME_VISIT, now_local(hours=1 + i), household=household)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_workspace_and_compliance_queries_do_not_grow(town, client, record):
    pages = [
        ("member_a", reverse("visits:workspace")),
        ("member_a", reverse("visits:household", args=[town.ha1.pk])),
        ("town_staff", reverse("visits:compliance", args=[town.town.pk])),
        ("officer_a", reverse("visits:compliance", args=[town.village_a.pk])),
        ("grid_head_a1", reverse("visits:compliance", args=[town.grid_a1.pk])),
    ]

    def counts():
        result = []
        for persona, url in pages:
            client.force_login(town.user(persona))
            result.append(_count_queries(client, url))
        return result

    # The first visit after a change to a user's links computes their scope; later visits read it kept
    # (members.access): like is compared with like, each count taken on the second visit.
    _grow(town, 5, record)
    counts()
    small = counts()
    _grow(town, 45, record)
    counts()
    assert counts() == small
    assert max(small) <= 16
