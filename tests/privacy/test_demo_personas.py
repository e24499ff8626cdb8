"""Which demo personas may reveal full numbers: the centre's designated staff (and the superuser), nobody else."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from demo.town import PERSONAS, demo_town_build
from grids.models import Household


@pytest.fixture
def demo(db):
    return demo_town_build(size="small", seed=7)


def test_only_centre_and_the_superuser_may_reveal(demo):
    users = get_user_model().objects
    allowed = {
        u for u, _label, _staff in PERSONAS if users.get(username=u).has_perm("grids.reveal_personal_number")
    }
    assert allowed == {"centre", "town_admin"}


def test_demo_id_numbers_are_encrypted_and_unique(demo):
    numbers = [h.id_number for h in Household.objects.exclude(id_number="")]
    assert len(numbers) == len(set(numbers)) > 100
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM grids_household WHERE id_number <> ''")
        stored = {row[0] for row in cursor.fetchall()}
    assert not stored & set(numbers)
