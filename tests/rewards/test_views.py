import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from rewards import services
from rewards.enums import AwardKind, RoundStatus
from rewards.models import Correction, Nomination

from .conftest import YEAR, at, contact, issue

MANAGERS = ("town_staff", "leader", "discipline")
OUTSIDERS = ("officer_a", "officer_b", "grid_head_a1", "member_a", "member_b", "handler", "other_handler")


def test_round_list_shows_drafts_to_managers_only(town, round_, login):
    url = reverse("rewards:round-list")
    for persona in MANAGERS:
        body = login(town.user(persona)).get(url).content.decode()
        assert "2026年年中评优" in body, persona
    for persona in OUTSIDERS:
        body = login(town.user(persona)).get(url).content.decode()
        assert "2026年年中评优" not in body, persona


def test_round_detail_for_managers_404_for_others(town, round_, login):
    url = reverse("rewards:round-detail", args=[round_.pk])
    body = login(town.user("town_staff")).get(url).content.decode()
    assert "优秀网格" in body and "开始推荐" in body and "保存权重" in body
    body = login(town.user("discipline")).get(url).content.decode()
    assert "优秀网格" in body and "开始推荐" not in body and "保存权重" not in body
    for persona in OUTSIDERS:
        assert login(town.user(persona)).get(url).status_code == 404, persona


def test_ranking_page_shows_components(town, round_, login, django_assert_max_num_queries):
    ma = town.members["member_a"]
    for day in range(1, 4):
        contact(ma, at(YEAR, 3, day), household=town.ha1, duties=("policy", "opinion"))
    award_type = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    url = reverse("rewards:ranking", args=[round_.pk, award_type.pk])
    client = login(town.user("town_staff"))
    with django_assert_max_num_queries(20):
        body = client.get(url).content.decode()
    assert "<strong>1. member_a</strong>" in body
    row = '<tr><td>走访次数</td><td class="num">3</td><td class="num">100</td><td class="num">35</td></tr>'
    assert row in body
    row = (
        '<tr><td>五到位覆盖项数</td><td class="num">2</td><td class="num">40</td><td class="num">25</td></tr>'
    )
    assert row in body
    for persona in OUTSIDERS:
        assert login(town.user(persona)).get(url).status_code == 404, persona


def test_ranking_page_query_count_does_not_grow(town, round_, login, django_assert_max_num_queries):
    from members.enums import LinkType, MemberRole

    from ..factories import HouseholdFactory, LinkFactory, MemberFactory

    award_type = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    url = reverse("rewards:ranking", args=[round_.pk, award_type.pk])
    for n in range(30):
        household = HouseholdFactory(grid=town.grid_a1b)
        member = MemberFactory(role=MemberRole.PARTY_MEMBER, home=town.grid_a1b)
        LinkFactory(member=member, household=household, link_type=LinkType.PARTY_HOUSEHOLD)
        contact(member, at(YEAR, 4, 1 + n % 28), household=household)
        issue(member, household=household, raised=at(YEAR, 4, 2), resolved=at(YEAR, 4, 3), level="grid")
    client = login(town.user("town_staff"))
    with django_assert_max_num_queries(20):
        body = client.get(url).content.decode()
    assert body.count('name="subject"') == 0  # draft: nobody may nominate yet
    assert "member_a" in body


def test_nominate_through_the_page(town, round_, login, office_handler):
    services.round_open(user=town.user("town_staff"), round_=round_)
    grid3 = round_.types.get(kind=AwardKind.GRID3)
    client = login(office_handler)
    response = client.post(
        reverse("rewards:nominate", args=[round_.pk, grid3.pk]), {"subject": town.grid_a1.pk}
    )
    assert response.status_code == 302
    assert list(grid3.nominations.values_list("place__name", flat=True)) == ["甲村第一网格"]
    # Twice: a message, not a 500.
    response = client.post(
        reverse("rewards:nominate", args=[round_.pk, grid3.pk]), {"subject": town.grid_a1.pk}, follow=True
    )
    assert "已被推荐" in response.content.decode()
    # A handler of another department may not act on the round at all.
    other = login(town.user("handler"))
    assert (
        other.post(
            reverse("rewards:nominate", args=[round_.pk, grid3.pk]), {"subject": town.grid_b1.pk}
        ).status_code
        == 404
    )


def test_transitions_through_the_page_and_wrong_personas(town, round_, login):
    staff = login(town.user("town_staff"))
    assert staff.post(reverse("rewards:transition", args=[round_.pk, "open"])).status_code == 302
    staff.post(reverse("rewards:nominate-fill", args=[round_.pk, round_.types.get(kind="grid3").pk]))
    response = staff.post(reverse("rewards:transition", args=[round_.pk, "submit"]), follow=True)
    assert "应推荐" in response.content.decode()  # not every award is filled: refused with a message
    for award_type in round_.types.all():
        staff.post(reverse("rewards:nominate-fill", args=[round_.pk, award_type.pk]))
    staff.post(reverse("rewards:transition", args=[round_.pk, "submit"]))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.SUBMITTED
    assert staff.post(reverse("rewards:transition", args=[round_.pk, "approve"])).status_code == 403
    assert (
        login(town.user("officer_a"))
        .post(reverse("rewards:transition", args=[round_.pk, "approve"]))
        .status_code
        == 404
    )
    leader = login(town.user("leader"))
    response = leader.post(
        reverse("rewards:transition", args=[round_.pk, "return"]), {"reason": ""}, follow=True
    )
    assert "请写明退回理由" in response.content.decode()
    leader.post(reverse("rewards:transition", args=[round_.pk, "approve"]))
    leader.post(reverse("rewards:transition", args=[round_.pk, "publish"]))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    assert leader.post(reverse("rewards:transition", args=[round_.pk, "bogus"])).status_code == 404


def test_results_page_for_the_town_after_publication(town, published, login):
    url = reverse("rewards:round-results", args=[published.pk])
    for persona in ("member_a", "member_b", "officer_a", "grid_head_b1", "town_staff", "handler"):
        body = login(town.user(persona)).get(url).content.decode()
        assert "获奖名单" in body and "甲村第一网格" in body and "member_a" in body, persona
    member_body = login(town.user("member_a")).get(url).content.decode()
    assert "奖金发放表" not in member_body
    assert login(town.user("other_handler")).get(url).status_code == 404
    # A member is sent from the detail page to the results.
    assert login(town.user("member_a")).get(reverse("rewards:round-detail", args=[published.pk])).url == url


def test_results_page_404_before_publication(town, round_, login):
    url = reverse("rewards:round-results", args=[round_.pk])
    assert login(town.user("member_a")).get(url).status_code == 404


def test_payout_ledger_contents(town, published, login):
    url = reverse("rewards:payout-ledger", args=[published.pk])
    response = login(town.user("town_staff")).get(url)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "双凫铺镇 2026年年中评优 奖金发放表(统计期 2026-01-01 至 2026-06-30)"
    assert rows[1] == ("序号", "姓名", "奖项", "获奖对象", "金额(元)", "所在村/网格", "签名")
    data, (total, capital) = rows[2:-2], rows[-2:]
    count = Nomination.objects.filter(award_type__round=published).count()
    assert len(data) == count == 2 + 3 + 2 + 2
    by_winner = {(r[2], r[3]): r for r in data}
    assert by_winner[("优秀网格(三级网格)", "甲村第一网格")][1:] == (
        "grid_head_a1",
        "优秀网格(三级网格)",
        "甲村第一网格",
        400,
        "甲村 / 甲村第一网格",
        None,
    )
    assert by_winner[("优秀网格(四级网格)", "甲村一组")][1] == "(未设网格长)"
    assert by_winner[("最美联户党员干部", "member_b")][1:] == (
        "member_b",
        "最美联户党员干部",
        "member_b",
        400,
        "乙村 / 乙村第一网格 / 乙村一组",
        None,
    )
    assert [r[0] for r in data] == list(range(1, count + 1))
    assert sum(r[4] for r in data) == 400 * count
    assert total[0] == "合计" and total[4] == 400 * count == 3600
    assert capital[0] == "合计金额(大写):人民币叁仟陆佰元整"
    for persona in OUTSIDERS:
        assert login(town.user(persona)).get(url).status_code == 404, persona


def test_flags_pages_and_home_panel(town, published, login):
    member_a = town.members["member_a"]
    url = reverse("rewards:member-flags", args=[member_a.pk])
    body = login(town.user("member_a")).get(url).content.decode()
    assert "优先推荐村级后备干部" in body and "最美联户党员干部" in body
    assert login(town.user("member_b")).get(url).status_code == 404
    assert login(town.user("officer_b")).get(url).status_code == 404
    place_url = reverse("rewards:place-flags", args=[town.grid_a1.pk])
    assert "文明家庭户" in login(town.user("officer_a")).get(place_url).content.decode()
    assert login(town.user("officer_b")).get(place_url).status_code == 404
    home = login(town.user("grid_head_a1")).get(reverse("home")).content.decode()
    assert "获奖与激励" in home and "双凫干事创业之星" in home and "文明家庭户" in home
    assert "获奖与激励" not in login(town.user("officer_b")).get(reverse("home")).content.decode()


def test_corrections_page(town, login, round_):
    url = reverse("rewards:corrections")
    for persona in ("member_a", "officer_a", "grid_head_a1", "handler"):
        assert login(town.user(persona)).get(url).status_code == 403, persona
    client = login(town.user("discipline"))
    next_url = reverse("rewards:ranking", args=[round_.pk, round_.types.get(kind="linked_member").pk])
    response = client.post(url, {"member": town.members["member_b"].pk, "reason": "虚报", "next": next_url})
    assert response.url == next_url
    response = client.post(
        url, {"member": town.members["member_b"].pk, "reason": "x", "next": "https://evil.example/"}
    )
    assert response.url == url
    assert Correction.objects.filter(member=town.members["member_b"]).count() == 2
    body = client.get(next_url).content.decode()
    assert "走访记录整改中" in body
    correction = Correction.objects.first()
    client.post(reverse("rewards:correction-close", args=[correction.pk]))
    correction.refresh_from_db()
    assert correction.closed_at is not None


@pytest.mark.parametrize("persona", ["town_staff", "leader"])
def test_create_round_page(town, login, persona, office):
    client = login(town.user(persona))
    response = client.post(reverse("rewards:round-list"), {"town": town.town.pk, "year": 2027, "half": "mid"})
    assert response.status_code == 302
    response = client.post(
        reverse("rewards:round-list"), {"town": town.town.pk, "year": 2027, "half": "mid"}, follow=True
    )
    assert "已存在" in response.content.decode()


def test_create_round_refused_for_others(town, login):
    for persona in ("member_a", "officer_a", "discipline", "handler"):
        response = login(town.user(persona)).post(
            reverse("rewards:round-list"), {"town": town.town.pk, "year": 2027, "half": "mid"}
        )
        assert response.status_code == 403, persona


def test_weights_and_types_through_the_page(town, round_, login, office):
    client = login(town.user("town_staff"))
    data = {
        c: "10"
        for c in (
            "compliance",
            "issues_solved",
            "satisfaction",
            "feedback",
            "contacts",
            "duties",
            "issues_raised",
            "issues_resolved",
            "dispatch_done",
            "volunteer_hours",
        )
    }
    data["contacts"] = "70"
    client.post(reverse("rewards:round-weights", args=[round_.pk]), data)
    assert round_.weights.get(criterion="contacts").weight == 70
    client.post(
        reverse("rewards:type-add", args=[round_.pk]),
        {
            "name": "优秀专干",
            "kind": "linked_member",
            "places": "2",
            "prize": "300",
            "office": town.centre.pk,
        },
    )
    assert round_.types.filter(name="优秀专干", places=2).exists()
    response = client.post(
        reverse("rewards:type-add", args=[round_.pk]),
        {"name": "x", "kind": "linked_member", "places": "0", "prize": "300", "office": town.centre.pk},
        follow=True,
    )
    assert response.status_code == 200 and not round_.types.filter(name="x").exists()
    assert (
        login(town.user("discipline"))
        .post(reverse("rewards:round-weights", args=[round_.pk]), data)
        .status_code
        == 403
    )
    assert round_.weights.get(criterion="contacts").weight == 70


def test_detail_and_results_query_counts(town, published, login, django_assert_max_num_queries):
    client = login(town.user("leader"))
    with django_assert_max_num_queries(25):
        assert client.get(reverse("rewards:round-detail", args=[published.pk])).status_code == 200
    client = login(town.user("member_a"))
    with django_assert_max_num_queries(15):
        body = client.get(reverse("rewards:round-results", args=[published.pk])).content.decode()
    assert body.count("<tr><td>") == 9


def test_admin_lists_load_for_town_staff(town, published, login):
    client = login(town.user("town_staff"))
    for model in ("awardround", "nomination", "roundevent", "awardflag", "awardtypedefault", "correction"):
        assert client.get(reverse(f"admin:rewards_{model}_changelist")).status_code == 200, model
    officer = login(town.user("officer_a"))
    assert officer.get(reverse("admin:rewards_awardtypedefault_changelist")).status_code == 200
    assert officer.get(reverse("admin:rewards_awardtypedefault_add")).status_code == 403
