from django.urls import reverse

from rewards.enums import AwardKind, RoundStatus

from .conftest import YEAR, at, contact


def _ids(client):
    return [r["id"] for r in client.get(reverse("award-round-list")).json()["results"]]


def test_list_is_scoped(town, round_, login):
    assert _ids(login(town.user("town_staff"))) == [round_.pk]
    assert _ids(login(town.user("discipline"))) == [round_.pk]
    for persona in ("member_a", "officer_a", "handler", "other_handler"):
        assert _ids(login(town.user(persona))) == [], persona


def test_published_round_visible_to_the_town_with_winners(town, published, login):
    client = login(town.user("member_b"))
    assert _ids(client) == [published.pk]
    data = client.get(reverse("award-round-detail", args=[published.pk])).json()
    assert data["status"] == "published"
    names = {n["name"] for n in data["nominations"]}
    assert {"甲村第一网格", "乙村第一网格", "member_a", "member_b"} <= names
    assert _ids(login(town.user("other_handler"))) == []
    assert (
        login(town.user("other_handler")).get(reverse("award-round-detail", args=[published.pk])).status_code
        == 404
    )
    # Members read results, not rankings.
    url = reverse("award-round-ranking", args=[published.pk]) + f"?type={published.types.first().pk}"
    assert login(town.user("member_b")).get(url).status_code == 404


def test_ranking_nominate_and_transitions(town, round_, login):
    contact(town.members["member_a"], at(YEAR, 3, 1), household=town.ha1)
    staff = login(town.user("town_staff"))
    best = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    url = reverse("award-round-ranking", args=[round_.pk]) + f"?type={best.pk}"
    data = staff.get(url).json()
    assert [r["name"] for r in data["rows"]] == ["member_a", "member_b"]
    first = data["rows"][0]
    assert first["components"][0] == {
        "criterion": "contacts",
        "label": "走访次数",
        "value": "1",
        "points": "100.00",
        "weight": "35.00",
        "contribution": "35.00",
    }
    assert staff.get(reverse("award-round-ranking", args=[round_.pk])).status_code == 400

    nominate = reverse("award-round-nominate", args=[round_.pk])
    response = staff.post(
        nominate, {"award_type": best.pk, "subject": town.members["member_a"].pk}, format="json"
    )
    assert response.status_code == 400 and "推荐阶段" in response.json()["detail"]
    transition = reverse("award-round-transition", args=[round_.pk])
    assert staff.post(transition, {"action": "open"}).json()["status"] == RoundStatus.NOMINATING
    response = staff.post(nominate, {"award_type": best.pk, "subject": town.members["member_a"].pk})
    assert response.status_code == 201 and response.json()["rank"] == 1
    # Wrong personas: not managing the round → 404; managing but not allowed → 403.
    assert login(town.user("member_a")).post(transition, {"action": "submit"}).status_code == 404
    assert login(town.user("discipline")).post(transition, {"action": "submit"}).status_code == 403
    assert (
        login(town.user("discipline"))
        .post(nominate, {"award_type": best.pk, "subject": town.members["member_b"].pk})
        .status_code
        == 403
    )
    staff = login(town.user("town_staff"))  # one test client: log back in as town staff
    withdraw = reverse("award-round-withdraw", args=[round_.pk])
    nomination_id = best.nominations.get().pk
    assert staff.post(withdraw, {"nomination": nomination_id}).status_code == 204
    assert not best.nominations.exists()
    assert staff.post(transition, {"action": "dance"}).status_code == 400


def test_published_round_refuses_changes_over_the_api(town, published, login):
    leader = login(town.user("leader"))
    transition = reverse("award-round-transition", args=[published.pk])
    response = leader.post(transition, {"action": "return", "reason": "x"})
    assert response.status_code == 400 and "锁定" in response.json()["detail"]
    nomination = published.types.get(kind="grid3").nominations.first()
    response = leader.post(
        reverse("award-round-withdraw", args=[published.pk]), {"nomination": nomination.pk}
    )
    assert response.status_code == 400 and "锁定" in response.json()["detail"]
