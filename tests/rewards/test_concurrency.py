"""Two people acting at once: the round row lock and conditional updates let exactly one through.
PostgreSQL only (SQLite ignores select_for_update): DATABASE_URL=postgres://... pytest tests/rewards."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from rewards import services
from rewards.enums import AwardKind, RoundStatus
from rewards.models import Nomination, RoundEvent

from ..personas import build_town

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def _race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_approve_once():
    from grids.models import Department

    town = build_town()
    Department.objects.create(place=town.town, name="社会治安和应急管理办", kind="town_office")
    staff, leader = town.user("town_staff"), town.user("leader")
    round_ = services.round_create(user=staff, town=town.town, year=2026, half="mid")
    services.round_open(user=staff, round_=round_)
    for award_type in round_.types.all():
        services.nomination_fill(user=staff, award_type=award_type)
    services.round_submit(user=staff, round_=round_)
    outcomes = _race([lambda: services.round_approve(user=leader, round_=round_)] * 2)
    assert outcomes == ["ok", "refused"]
    round_.refresh_from_db()
    assert round_.status == RoundStatus.APPROVED
    assert RoundEvent.objects.filter(round=round_, action="approve").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_nominations_for_the_last_place_let_one_in():
    from grids.models import Department

    town = build_town()
    office = Department.objects.create(place=town.town, name="社会治安和应急管理办", kind="town_office")
    staff = town.user("town_staff")
    round_ = services.round_create(user=staff, town=town.town, year=2026, half="mid")
    pioneer = round_.types.get(kind=AwardKind.GRID_WORKER)
    services.award_type_save(
        user=staff,
        round_=round_,
        award_type=pioneer,
        name="先锋网格员",
        kind="grid_worker",
        places=1,
        prize=400,
        office=office,
    )
    services.round_open(user=staff, round_=round_)
    heads = [town.members["grid_head_a1"], town.members["grid_head_b1"]]
    outcomes = _race(
        [
            lambda m=m: services.nomination_add(user=staff, award_type=pioneer, member=m, reason="并列")
            for m in heads
        ]
    )
    assert outcomes == ["ok", "refused"]
    assert Nomination.objects.filter(award_type=pioneer).count() == 1
