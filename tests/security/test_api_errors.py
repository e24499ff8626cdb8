"""Finding 5 of issue 11: no 500s from non-numeric ids or extreme dates; one date range for every input."""

import datetime

import pytest
from django.utils import timezone

from tests.issues.conftest import category, raise_issue  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

BAD_IDS = ["null", "%3C", "true", "1.5", "-1"]

ISSUE_ACTIONS = ["escalate", "resolve", "whistle", "return", "supervise", "feedback"]
ASSIGNMENT_ACTIONS = ["accept", "reply", "send-back"]
ORDER_POSTS = ["acknowledge", "done"]
ORDER_GETS = ["progress", "recipients"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_non_numeric_ids_are_404_on_every_action(town, client, bad):
    client.force_login(town.user("town_staff"))
    answers = {}
    for action in ISSUE_ACTIONS:
        answers[f"issues/{action}"] = client.post(f"/api/issues/{bad}/{action}/", {}).status_code
    answers["issues/events"] = client.get(f"/api/issues/{bad}/events/").status_code
    for action in ASSIGNMENT_ACTIONS:
        answers[f"assign/{action}"] = client.post(f"/api/issue-assignments/{bad}/{action}/", {}).status_code
    for action in ORDER_POSTS:
        answers[f"order/{action}"] = client.post(f"/api/dispatch-orders/{bad}/{action}/", {}).status_code
    for action in ORDER_GETS:
        answers[f"order/{action}"] = client.get(f"/api/dispatch-orders/{bad}/{action}/").status_code
    for base in ("issues", "issue-assignments", "dispatch-orders", "contacts", "households", "members"):
        answers[base] = client.get(f"/api/{base}/{bad}/").status_code
    assert {k: v for k, v in answers.items() if v != 404} == {}


EXTREME = ["9999-12-31", "0001-01-01", "1999-12-31"]


@pytest.mark.parametrize("day", EXTREME)
def test_extreme_dates_in_the_api_are_400_with_a_message(town, client, day):
    from members.models import Link

    client.force_login(town.user("town_staff"))
    link = Link.objects.filter(member=town.members["member_a"]).first()
    urls = [
        f"/api/compliance/places/{town.village_a.pk}/?on={day}",
        f"/api/compliance/places/{town.town.pk}/?on={day}",
        f"/api/compliance/links/{link.pk}/?on={day}",
        f"/api/compliance/members/{town.members['member_a'].pk}/?on={day}",
        f"/api/contacts/?date_to={day}",
        f"/api/contacts/?date_from={day}",
        f"/api/issue-events/?created_to={day}",
        f"/api/issue-events/?created_from={day}",
        f"/api/issues/?raised_to={day}",
        f"/api/issues/?raised_from={day}",
        f"/api/reports/dashboards/{town.town.pk}/?period=month&on={day}",
    ]
    answers = {url: client.get(url) for url in urls}
    assert {u: r.status_code for u, r in answers.items() if r.status_code != 400} == {}
    for response in answers.values():
        assert "日期" in response.content.decode(), response.content


def test_dates_inside_the_range_still_work(town, client):
    client.force_login(town.user("town_staff"))
    today = timezone.localdate()
    for url in (
        f"/api/compliance/places/{town.village_a.pk}/?on=2000-01-01",
        f"/api/compliance/places/{town.village_a.pk}/?on={today.isoformat()}",
        f"/api/contacts/?date_to={today.replace(year=today.year + 1).isoformat()}",
        "/api/issue-events/?created_from=2000-01-01",
    ):
        assert client.get(url).status_code == 200, url


def test_the_message_is_english_through_the_po(town, client):
    client.force_login(town.user("town_staff"))
    response = client.get("/api/contacts/?date_to=9999-12-31", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "date" in response.content.decode().lower()
    assert "日期" not in response.content.decode()


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12"])
def test_extreme_task_list_month_is_not_a_500(town, client, month):
    client.force_login(town.user("member_a"))
    response = client.get("/dispatch/tasks/", {"month": month})
    assert response.status_code == 400
    assert "日期" in response.content.decode()


def test_report_pages_refuse_extreme_dates_without_500(town, client):
    client.force_login(town.user("town_staff"))
    for params in ({"period": "custom", "start": "0001-01-01", "end": "9999-12-31"}, {"on": "9999-12-31"}):
        response = client.get("/reports/", params)
        assert response.status_code < 500


def test_supervise_deadline_is_bounded(town, client, raise_issue):  # noqa: F811
    issue = raise_issue()
    client.force_login(town.user("town_staff"))
    response = client.post(
        f"/api/issues/{issue.pk}/supervise/",
        {"note": "抓紧", "deadline": "9999-12-31"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "日期" in response.content.decode()
    in_range = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        f"/api/issues/{issue.pk}/supervise/",
        {"note": "抓紧", "deadline": in_range},
        content_type="application/json",
    )
    assert response.status_code != 400 or "日期" not in response.content.decode()


def test_dispatch_order_due_date_is_bounded():
    from dispatch.forms import OrderForm
    from tests.factories import PlaceFactory

    town = PlaceFactory(kind="town", name="镇", code="TX")
    form = OrderForm({"title": "t", "task": "x", "due_date": "9999-12-31"}, town=town)
    assert not form.is_valid()
    assert "due_date" in form.errors
    form = OrderForm({"title": "t", "task": "x", "due_date": timezone.localdate().isoformat()}, town=town)
    form.is_valid()
    assert "due_date" not in form.errors


def test_whistle_and_level_durations_are_bounded():
    from django.core.exceptions import ValidationError

    from issues.models import LevelSetting, WhistleSetting

    for row in (
        WhistleSetting(kind="routine", amount=30000, unit="day"),
        LevelSetting(level="grid", amount=30000, unit="day"),
    ):
        with pytest.raises(ValidationError):
            row.clean()
    WhistleSetting(kind="routine", amount=30, unit="day").clean()
