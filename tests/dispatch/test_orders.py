"""调度令: the centre issues, recipients acknowledge and report done, the centre sees who has not acted."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dispatch.models import DispatchOrder, OrderRecipient
from dispatch.periods import today
from dispatch.services import DispatchError, order_acknowledge, order_issue, order_report_done
from notifications.enums import NotificationKind
from notifications.models import Notification, OutboxEvent
from notifications.outbox import outbox_process

pytestmark = pytest.mark.django_db


def _issue(town, **kwargs):
    defaults = dict(
        user=town.user("town_staff"),
        town=town.town,
        title="防汛排查",
        task="排查辖区山塘水库",
        due_date=today() + datetime.timedelta(days=3),
        places=[town.village_a, town.grid_a1],
        members=[town.members["member_b"]],
    )
    defaults.update(kwargs)
    return order_issue(**defaults)


def test_issue_resolves_villages_to_officers_grids_to_heads_and_members(town):
    order = _issue(town)
    rows = {
        r.member.name: (r.via.name if r.via else None, r.status)
        for r in order.recipients.select_related("member", "via")
    }
    assert rows == {
        "officer_a": ("甲村", "pending"),
        "grid_head_a1": ("甲村第一网格", "pending"),
        "member_b": (None, "pending"),
    }
    assert order.path == town.town.path


def test_recipients_are_notified_through_the_outbox_once(town):
    order = _issue(town)
    event = OutboxEvent.objects.get(topic="dispatch.order_issued")
    assert event.payload == {"order_id": order.pk} and event.status == "pending"
    assert outbox_process(event_id=event.pk) is True
    assert outbox_process(event_id=event.pk) is False
    got = Notification.objects.filter(kind=NotificationKind.DISPATCH_ORDER).values_list(
        "recipient__name", "period_key", "link"
    )
    link = reverse("dispatch:order-detail", args=[order.pk])
    assert sorted(got) == sorted(
        [(name, f"order-{order.pk}", link) for name in ("officer_a", "grid_head_a1", "member_b")]
    )


@pytest.mark.parametrize("persona", ["officer_a", "grid_head_a1", "member_a", "discipline", "handler"])
def test_only_town_staff_may_issue(town, persona, login):
    with pytest.raises(DispatchError):
        _issue(town, user=town.user(persona))
    assert login(town.user(persona)).get(reverse("dispatch:order-new")).status_code == 403


def test_bad_input_is_refused_with_a_clear_message(town):
    with pytest.raises(DispatchError, match="完成期限不能早于今天"):
        _issue(town, due_date=today() - datetime.timedelta(days=1))
    with pytest.raises(DispatchError, match="请至少选择一个"):
        _issue(town, places=[], members=[])
    with pytest.raises(DispatchError, match="没有在任专干或网格长:乙村一组$") as error:
        _issue(town, places=[town.grid_b1a.parent, town.grid_b1a])  # B1 has a head, B1a (grid4) has none
    assert "乙村第一网格" not in str(error.value)
    assert DispatchOrder.objects.count() == 0


def test_issue_form_creates_the_order(town, login):
    client = login(town.user("town_staff"))
    response = client.post(
        reverse("dispatch:order-new"),
        {
            "title": "人口普查",
            "task": "核对户籍",
            "due_date": (today() + datetime.timedelta(days=5)).isoformat(),
            "villages": [town.village_b.pk],
            "attachment": SimpleUploadedFile("通知.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
        },
    )
    order = DispatchOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dispatch:order-detail", args=[order.pk]
    )
    assert list(order.recipients.values_list("member__name", flat=True)) == ["officer_b"]
    # The attachment: the recipient and the centre may download it, others not.
    assert (
        login(town.user("officer_b")).get(reverse("dispatch:order-attachment", args=[order.pk])).status_code
        == 200
    )
    assert (
        login(town.user("officer_a")).get(reverse("dispatch:order-attachment", args=[order.pk])).status_code
        == 404
    )


def test_issue_form_rejects_a_past_due_date_without_500(town, login):
    client = login(town.user("town_staff"))
    response = client.post(
        reverse("dispatch:order-new"),
        {"title": "t", "task": "x", "due_date": "2020-01-01", "villages": [town.village_a.pk]},
    )
    assert response.status_code == 200
    assert "完成期限不能早于今天" in response.content.decode()


def test_acknowledge_then_report_done(town):
    order = _issue(town)
    officer = town.user("officer_a")
    row = order_acknowledge(user=officer, order=order)
    assert row.status == "acknowledged" and row.acknowledged_at is not None
    first_ack = row.acknowledged_at
    assert order_acknowledge(user=officer, order=order).acknowledged_at == first_ack
    with pytest.raises(DispatchError, match="请填写办理情况"):
        order_report_done(user=officer, order=order, report="  ")
    row = order_report_done(user=officer, order=order, report="已排查3处")
    assert (row.status, row.report) == ("done", "已排查3处")
    with pytest.raises(DispatchError, match="已经办结"):
        order_report_done(user=officer, order=order, report="again")
    with pytest.raises(PermissionDenied, match="不是下发给您的"):
        order_acknowledge(user=town.user("officer_b"), order=order)


def test_centre_sees_progress_and_who_has_not_acted(town, login, django_assert_max_num_queries):
    order = _issue(town)
    order_report_done(user=town.user("officer_a"), order=order, report="完成")
    order_acknowledge(user=town.user("member_b"), order=order)
    client = login(town.user("town_staff"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dispatch:order-detail", args=[order.pk]))
    assert response.context["progress"] == {"total": 3, "pending": 1, "acknowledged": 1, "done": 1}
    assert [(r.member.name, r.status) for r in response.context["recipients"]] == [
        ("grid_head_a1", "pending"),
        ("member_b", "acknowledged"),
        ("officer_a", "done"),
    ]
    listing = client.get(reverse("dispatch:orders"))
    o = listing.context["page"][0]
    assert (o.n_total, o.n_pending, o.n_acknowledged, o.n_done) == (3, 1, 1, 1)


def test_recipient_sees_own_row_not_progress_and_outsiders_get_404(town, login):
    order = _issue(town)
    response = login(town.user("grid_head_a1")).get(reverse("dispatch:order-detail", args=[order.pk]))
    assert response.status_code == 200
    assert response.context["my_row"].member.name == "grid_head_a1"
    assert "progress" not in response.context
    for persona in ("officer_b", "member_a", "handler"):
        client = login(town.user(persona))
        assert client.get(reverse("dispatch:order-detail", args=[order.pk])).status_code == 404
        assert client.post(reverse("dispatch:order-ack", args=[order.pk])).status_code == 404
        assert list(client.get(reverse("dispatch:orders")).context["page"]) == []
    assert OrderRecipient.objects.filter(status="pending").count() == 3


def test_ack_and_done_through_the_pages(town, login):
    order = _issue(town)
    client = login(town.user("member_b"))
    client.post(reverse("dispatch:order-ack", args=[order.pk]))
    response = client.post(reverse("dispatch:order-done", args=[order.pk]), {"report": "已走访"}, follow=True)
    assert "已报告办结" in response.content.decode()
    assert OrderRecipient.objects.get(member=town.members["member_b"]).status == "done"
    response = client.post(reverse("dispatch:order-done", args=[order.pk]), {"report": ""}, follow=True)
    assert "请填写办理情况" in response.content.decode()
