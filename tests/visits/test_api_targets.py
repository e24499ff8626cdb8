"""POST /api/contacts/: a target the member may not record for is a 400 with the usual message; an id no
database can hold is refused by the serializer, on SQLite as on PostgreSQL (no 500)."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

BODY = {"kind": "home_visit", "duties": ["policy"], "occurred_at": "2025-05-09T10:00:00+08:00"}


def _post(town, login, persona, **target):
    body = {**BODY, "client_id": str(uuid.uuid4()), **target}
    return login(town.user(persona)).post("/api/contacts/", body, content_type="application/json")


@pytest.mark.parametrize(
    "field, target",
    [
        ("household", {"household": 10**20}),
        ("household", {"household": -1}),
        ("place", {"place": 10**20}),
        ("households", {"kind": "yard_meeting", "households": [10**20]}),
    ],
)
def test_ids_no_database_holds_get_a_clear_400(town, login, field, target):
    response = _post(town, login, "member_a", **target)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_unknown_household_gets_the_usual_message(town, login):
    response = _post(town, login, "member_a", household=10**12)
    assert response.status_code == 400
    assert response.json() == {"target": ["对象不存在或不在您的范围内"]}


def test_another_members_household_is_not_a_target(town, login):
    response = _post(town, login, "member_b", household=town.ha1.pk)
    assert response.status_code == 400
    assert response.json() == {"target": ["对象不存在或不在您的范围内"]}
    assert _post(town, login, "member_a", household=town.ha1.pk).status_code == 201
