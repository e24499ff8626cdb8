"""API: same services and scoping as the pages; right and wrong persona on every endpoint."""

import datetime
import uuid

import pytest
from django.utils import timezone

from members.models import Link
from visits.enums import ContactKind
from visits.models import Contact

from .conftest import at


def payload(**overrides):
    data = {
        "client_id": str(uuid.uuid4()),
        "kind": "home_visit",
        "occurred_at": "2025-05-10T10:00:00+08:00",
        "duties": ["policy"],
        "summary": "API",
    }
    data.update(overrides)
    return data


@pytest.fixture
def contacts(town, record):
    a = record(
        town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1, duties=["demands"]
    )
    a2 = record(town.user("member_a"), ContactKind.ONLINE, at(2025, 6, 1, 0, 0), household=town.ha1)
    b = record(town.user("member_b"), ContactKind.ONLINE, at(2025, 5, 11), household=town.hb1)
    g = record(town.user("grid_head_a1"), ContactKind.GRID_SINKDOWN, at(2025, 5, 12), place=town.grid_a1)
    return {"a": a, "a2": a2, "b": b, "g": g}


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("member_a", ["a", "a2"]),
        ("member_b", ["b"]),
        ("officer_a", ["a", "a2", "g"]),
        ("officer_b", ["b"]),
        ("grid_head_a1", ["a", "a2", "g"]),
        ("town_staff", ["a", "a2", "b", "g"]),
        ("handler", []),
    ],
)
def test_contact_list_is_scoped(town, login, contacts, persona, visible):
    assert ids(login(town.user(persona)).get("/api/contacts/")) == sorted(contacts[k].pk for k in visible)


def test_contact_list_filters(town, login, contacts):
    client = login(town.user("town_staff"))
    c = contacts
    assert ids(client.get("/api/contacts/", {"kind": "online"})) == sorted([c["a2"].pk, c["b"].pk])
    assert ids(client.get("/api/contacts/", {"duty": "demands"})) == [c["a"].pk]
    assert ids(client.get("/api/contacts/", {"member": town.members["member_b"].pk})) == [c["b"].pk]
    assert ids(client.get("/api/contacts/", {"household": town.ha1.pk})) == sorted([c["a"].pk, c["a2"].pk])
    assert ids(client.get("/api/contacts/", {"village": town.village_b.pk})) == [c["b"].pk]
    assert ids(client.get("/api/contacts/", {"grid": town.grid_a1.pk})) == sorted(
        [c["a"].pk, c["a2"].pk, c["g"].pk]
    )
    # Dates are local: 1 June 00:00 Shanghai is 31 May 16:00 UTC but belongs to 1 June.
    assert ids(client.get("/api/contacts/", {"date_from": "2025-06-01"})) == [c["a2"].pk]
    assert ids(client.get("/api/contacts/", {"date_to": "2025-05-31", "date_from": "2025-05-11"})) == sorted(
        [c["b"].pk, c["g"].pk]
    )
    assert client.get("/api/contacts/", {"kind": "nonsense"}).status_code == 400
    assert client.get("/api/contacts/", {"date_from": "yesterday"}).status_code == 400
    # A filter on a place outside one's scope is refused, not silently widened.
    assert (
        login(town.user("officer_b")).get("/api/contacts/", {"village": town.village_a.pk}).status_code == 400
    )


def test_contact_retrieve_wrong_persona(town, login, contacts):
    url = f"/api/contacts/{contacts['a'].pk}/"
    body = login(town.user("member_a")).get(url).json()
    assert body["duties"] == ["demands"] and body["households"] == [town.ha1.pk]
    assert body["occurred_at"] == "2025-05-10T10:00:00+08:00"
    assert login(town.user("member_b")).get(url).status_code == 404
    assert login(town.user("officer_b")).get(url).status_code == 404


def test_contact_create_is_idempotent(town, login):
    client = login(town.user("member_a"))
    data = payload(household=town.ha1.pk)
    first = client.post("/api/contacts/", data, content_type="application/json")
    assert first.status_code == 201, first.content
    second = client.post("/api/contacts/", data, content_type="application/json")
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and Contact.objects.count() == 1
    assert first.json()["link"] == Link.objects.get(member=town.members["member_a"], household=town.ha1).pk


def test_contact_create_errors(town, login):
    client = login(town.user("member_a"))
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        "/api/contacts/", payload(household=town.ha1.pk, occurred_at=future), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "不能选择未来的时间", "code": "invalid", "field": "occurred_at"}
    response = client.post("/api/contacts/", payload(household=town.hb1.pk), content_type="application/json")
    assert response.status_code == 400
    assert "target" in response.json()
    response = client.post(
        "/api/contacts/", payload(household=town.ha1.pk, duties=[]), content_type="application/json"
    )
    assert response.status_code == 400
    response = client.post(
        "/api/contacts/",
        payload(kind="yard_meeting", households=[town.ha1.pk, town.ha2.pk]),
        content_type="application/json",
    )
    assert response.status_code == 400 and "households" in response.json()
    response = client.post(
        "/api/contacts/", payload(household=town.ha1.pk, client_id="x"), content_type="application/json"
    )
    assert response.status_code == 400
    assert Contact.objects.count() == 0


def test_contact_patch_author_only(town, login, record):
    contact = record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    url = f"/api/contacts/{contact.pk}/"
    assert (
        login(town.user("officer_a"))
        .patch(url, {"summary": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        login(town.user("member_b")).patch(url, {"summary": "x"}, content_type="application/json").status_code
        == 404
    )
    response = login(town.user("member_a")).patch(
        url, {"summary": "改了", "duties": ["opinion"]}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["summary"] == "改了"
    assert response.json()["duties"] == ["opinion"]
    assert login(town.user("member_a")).put(url, {}, content_type="application/json").status_code == 405
    assert login(town.user("member_a")).delete(url).status_code == 405


def test_link_compliance_endpoint(town, login, contacts):
    link = Link.objects.get(member=town.members["member_a"], household=town.ha1)
    url = f"/api/compliance/links/{link.pk}/?on=2025-05-15"
    body = login(town.user("member_a")).get(url).json()
    assert body["status"] == "done" and body["link"] == link.pk
    assert {
        (r["period"], r["required"], r["done"], r["status"], r["period_start"], r["period_end"])
        for r in body["rules"]
    } == {
        ("quarter", 1, 1, "done", "2025-04-01", "2025-06-30"),
        ("month", 1, 1, "done", "2025-05-01", "2025-05-31"),
    }
    assert login(town.user("member_b")).get(url).status_code == 404
    assert login(town.user("officer_b")).get(url).status_code == 404
    assert login(town.user("member_a")).get(f"/api/compliance/links/{link.pk}/?on=bad").status_code == 400


def test_member_compliance_endpoint(town, login, contacts):
    url = f"/api/compliance/members/{town.members['member_a'].pk}/?on=2025-05-15"
    body = login(town.user("officer_a")).get(url).json()
    assert body["totals"]["total"] == 1 and body["totals"]["done"] == 1
    assert [row["status"] for row in body["links"]] == ["done"]
    assert body["members_without_contact"] == 0
    assert login(town.user("member_b")).get(url).status_code == 404
    assert login(town.user("officer_b")).get(url).status_code == 404


def test_place_compliance_endpoint(town, login, contacts):
    url = f"/api/compliance/places/{town.town.pk}/?on=2025-05-15"
    body = login(town.user("town_staff")).get(url).json()
    # member_b only went online in May: no home visit in Q2 and Q1 missed → overdue.
    assert body["totals"] == {
        "total": 3,
        "done": 2,
        "due": 0,
        "overdue": 1,
        "on_track": 2,
        "share_on_track": 0.6667,
    }
    assert sorted(r["name"] for r in body["rows"]) == ["乙村", "甲村"]
    assert body["households_without_contact"] == 2  # ha2 and ha3
    for persona in ("member_a", "officer_a", "grid_head_a1", "handler"):
        assert login(town.user(persona)).get(url).status_code == 404
    grid = (
        login(town.user("grid_head_a1"))
        .get(f"/api/compliance/places/{town.grid_a1.pk}/?on=2025-05-15")
        .json()
    )
    assert sorted(r["name"] for r in grid["rows"]) == ["grid_head_a1", "member_a"]


def test_api_requires_login(client, town):
    assert client.get("/api/contacts/").status_code in (401, 403)
    assert client.get(f"/api/compliance/places/{town.town.pk}/").status_code in (401, 403)


def test_schema_lists_visits_endpoints(town, login):
    response = login(town.user("town_staff")).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/contacts/",
        "/api/compliance/links/{id}/",
        "/api/compliance/members/{id}/",
        "/api/compliance/places/{id}/",
    ):
        assert path in text
