"""API: inbox and 调度令, scoped like the pages and calling the same services."""

import datetime

import pytest

from dispatch.models import OrderRecipient
from dispatch.periods import today
from dispatch.services import order_issue
from notifications.models import Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _order(town):
    return order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="防汛",
        task="排查",
        due_date=today() + datetime.timedelta(days=2),
        places=[town.village_a],
    )


def test_notifications_api_is_the_callers_own_inbox(town, login):
    mine = notification_send(recipient=town.members["member_a"], kind="general", title="mine")
    theirs = notification_send(recipient=town.members["member_b"], kind="general", title="theirs")
    client = login(town.user("member_a"))
    rows = client.get("/api/notifications/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert client.get("/api/notifications/unread/").json() == {"unread": 1}
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/api/notifications/{mine.pk}/read/").json()["read_at"] is not None
    assert client.post("/api/notifications/read-all/").json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_orders_api_acknowledge_done_and_progress(town, login):
    order = _order(town)
    officer = login(town.user("officer_a"))
    assert [o["id"] for o in officer.get("/api/dispatch-orders/").json()["results"]] == [order.pk]
    assert officer.post(f"/api/dispatch-orders/{order.pk}/acknowledge/").json()["status"] == "acknowledged"
    bad = officer.post(
        f"/api/dispatch-orders/{order.pk}/done/", {"report": ""}, content_type="application/json"
    )
    assert bad.status_code == 400
    done = officer.post(
        f"/api/dispatch-orders/{order.pk}/done/", {"report": "已完成"}, content_type="application/json"
    )
    assert done.json()["status"] == "done"
    assert officer.get(f"/api/dispatch-orders/{order.pk}/progress/").status_code == 403
    staff = login(town.user("town_staff"))
    assert staff.get(f"/api/dispatch-orders/{order.pk}/progress/").json() == {
        "total": 1,
        "pending": 0,
        "acknowledged": 0,
        "done": 1,
    }
    assert staff.post(f"/api/dispatch-orders/{order.pk}/acknowledge/").status_code == 403  # not a recipient


@pytest.mark.parametrize("persona", ["officer_b", "member_a", "handler", "grid_head_b1"])
def test_orders_api_hides_other_peoples_orders(town, login, persona):
    order = _order(town)
    client = login(town.user(persona))
    assert client.get("/api/dispatch-orders/").json()["results"] == []
    assert client.get(f"/api/dispatch-orders/{order.pk}/").status_code == 404
    assert client.post(f"/api/dispatch-orders/{order.pk}/acknowledge/").status_code == 404
    assert OrderRecipient.objects.get().status == "pending"
