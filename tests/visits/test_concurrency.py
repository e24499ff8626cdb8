"""The same submission sent twice at once (a retry racing the original) on real PostgreSQL: stored once."""

import threading
import uuid

import pytest
from django.db import connection

from tests.personas import build_town
from visits.models import Contact, ContactHousehold, ContactMonthTally, LinkTally
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


def test_concurrent_contacts_are_all_counted():
    """Four contacts on one household at once: no counter loses an increment (INSERT … ON CONFLICT, then
    UPDATE … = n + 1 under the row lock)."""
    town = build_town()
    barrier = threading.Barrier(4)
    errors: list = []

    def send(minute):
        try:
            barrier.wait(5)
            contact_record(
                user=town.user("member_a"),
                kind="home_visit",
                occurred_at=at(2025, 5, 10, 10, minute),
                duties=["policy", "opinion"],
                household=town.ha1,
                client_id=uuid.uuid4(),
            )
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(m,)) for m in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert Contact.objects.count() == 4
    assert LinkTally.objects.get(period="quarter").home_visit == 4
    month = ContactMonthTally.objects.get(path=town.ha1.path, kind="home_visit")
    assert (month.contacts, month.duty_policy, month.duty_opinion, month.duty_demands) == (4, 4, 4, 0)
