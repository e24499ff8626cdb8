"""The same submission sent twice at once (a retry racing the original) on real PostgreSQL: stored once."""

import threading
import uuid

import pytest
from django.db import connection

from tests.personas import build_town
from visits.models import Contact, ContactHousehold, LinkTally
from visits.services import contact_record

from .conftest import at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrent connections"),
    pytest.mark.django_db(transaction=True),
]


def test_racing_duplicates_store_one_contact():
    town = build_town()
    client_id = uuid.uuid4()
    barrier = threading.Barrier(2)
    results: dict = {}

    def send(key):
        try:
            barrier.wait(5)
            results[key] = contact_record(
                user=town.user("member_a"),
                kind="home_visit",
                occurred_at=at(2025, 5, 10),
                duties=["policy"],
                household=town.ha1,
                client_id=client_id,
            )
        except Exception as exc:  # asserted below
            results[key] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(k,)) for k in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    contacts = [results["one"], results["two"]]
    assert all(isinstance(c, Contact) for c in contacts), results
    assert contacts[0].pk == contacts[1].pk
    assert sorted(c.created for c in contacts) == [False, True]
    assert Contact.objects.count() == 1 and ContactHousehold.objects.count() == 1
    assert LinkTally.objects.get(period="quarter").home_visit == 1
