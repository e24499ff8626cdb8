"""配对建议 pages with the personas: who may propose, preview, drop, move and apply; the wrong persona is refused."""

import pytest
from django.urls import reverse

from members.models import Link
from pairing.enums import BatchStatus, LineAction, LineOutcome, PairingMode
from pairing.models import PairingBatch


@pytest.fixture
def batch_a(town, login):
    """officer_a proposes a fill for village A (ha2, ha3 uncovered)."""
    client = login(town.user("officer_a"))
    response = client.post(reverse("pairing:home"), {"place": town.village_a.pk, "mode": PairingMode.FILL})
    batch = PairingBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("pairing:batch", args=[batch.pk])
    return batch


def test_officer_sees_the_preview_with_reasons_and_totals(town, login, batch_a):
    page = login(town.user("officer_a")).get(reverse("pairing:batch", args=[batch_a.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "member_a" in text and "张甲二" in text and "同组" in text
    assert "规定 10–15" in text


def test_the_wrong_persona_gets_nothing(town, login, batch_a):
    line = batch_a.lines.first()
    for persona in ("officer_b", "member_a", "grid_head_a1", "discipline", "handler"):
        client = login(town.user(persona))
        assert client.get(reverse("pairing:batch", args=[batch_a.pk])).status_code == 404, persona
        assert client.post(reverse("pairing:apply", args=[batch_a.pk])).status_code == 404, persona
        assert client.post(reverse("pairing:line-drop", args=[line.pk])).status_code == 404, persona
    for persona in ("member_a", "grid_head_a1", "discipline", "handler"):
        assert login(town.user(persona)).get(reverse("pairing:home")).status_code == 403, persona
    # officer_b may pair village B only: village A is not among the choices
    client = login(town.user("officer_b"))
    response = client.post(reverse("pairing:home"), {"place": town.village_a.pk, "mode": PairingMode.FILL})
    assert response.status_code == 200 and PairingBatch.objects.count() == 1
    batch_a.refresh_from_db()
    assert (
        batch_a.status == BatchStatus.DRAFT and not Link.objects.filter(pairing_lines__isnull=False).exists()
    )


def test_drop_then_apply_once_from_the_page(town, login, batch_a):
    client = login(town.user("officer_a"))
    lines = list(batch_a.lines.filter(action=LineAction.CREATE))
    assert {line.household for line in lines} == {town.ha2, town.ha3}
    client.post(reverse("pairing:line-drop", args=[lines[0].pk]))
    before = Link.objects.count()
    response = client.post(reverse("pairing:apply", args=[batch_a.pk]), follow=True)
    assert "新建联系 1 条" in response.content.decode()
    assert Link.objects.count() == before + 1
    again = client.post(reverse("pairing:apply", args=[batch_a.pk]), follow=True)
    assert Link.objects.count() == before + 1 and "没有任何改动" in again.content.decode()
    lines[0].refresh_from_db()
    assert lines[0].outcome == LineOutcome.DROPPED


def test_town_staff_proposes_for_the_town_and_bad_input_is_a_message(town, login):
    client = login(town.user("town_staff"))
    page = client.get(reverse("pairing:home"))
    assert page.status_code == 200 and town.village_b.name in page.content.decode()
    response = client.post(reverse("pairing:home"), {"place": town.town.pk, "mode": "nonsense"})
    assert response.status_code == 200 and PairingBatch.objects.count() == 0
    response = client.post(reverse("pairing:home"), {"place": town.town.pk, "mode": PairingMode.REBALANCE})
    assert response.status_code == 302


def test_move_page_lists_members_of_the_village_only(town, login, batch_a):
    line = batch_a.lines.filter(action=LineAction.CREATE).first()
    client = login(town.user("town_staff"))
    page = client.get(reverse("pairing:line-move", args=[line.pk]))
    assert page.status_code == 200 and "member_b" not in page.content.decode()
    response = client.post(
        reverse("pairing:line-move", args=[line.pk]), {"member": town.members["member_b"].pk}
    )
    assert response.status_code == 200  # refused with a message, the line unchanged
    line.refresh_from_db()
    assert line.member == town.members["member_a"]


def test_what_cannot_be_met_is_said_on_the_page_with_numbers(db, client):
    from pairing import services

    from .conftest import build_village, staff_for

    v = build_village(code="U", per_group=(30, 30), party_per_group=1, cadres=0, key=(0, 0))
    staff = staff_for(v.town, name="ustaff")
    batch = services.batch_propose(user=staff, place=v.village, mode=PairingMode.FILL)
    client.force_login(staff)
    text = client.get(reverse("pairing:batch", args=[batch.pk])).content.decode()
    assert "无法配对 30 户" in text and "剩余名额只有 30 户" in text and "至少还需要 2 名党员" in text
    client.cookies["django_language"] = "en"
    text = client.get(reverse("pairing:batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "30 households cannot be paired" in text
