"""demo_pairing: the demo town gets one pairing gap and a draft batch that closes it."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.town import demo_town_build
from members import selectors
from pairing import services
from pairing.enums import BatchStatus, PairingMode
from pairing.models import PairingBatch


@pytest.mark.django_db
def test_demo_gap_is_shown_and_the_draft_batch_closes_it():
    demo_town_build(size="small", seed=7)
    admin = get_user_model().objects.get(username="town_admin")
    call_command("demo_pairing", "--if-empty", stdout=io.StringIO())
    call_command("demo_pairing", "--if-empty", stdout=io.StringIO())  # second run: nothing more
    (batch,) = PairingBatch.objects.all()
    assert (batch.mode, batch.status) == (PairingMode.REBALANCE, BatchStatus.DRAFT)
    assert selectors.link_checks_summary(user=admin)["exempt_with_links"] == 1
    s = batch.summary
    assert s["to_pair"] >= 10 and s["paired"] + s["unmet"] == s["to_pair"]
    assert batch.lines.exclude(metres=None).exists()  # members of that village were given locations
    officer = get_user_model().objects.get(username="officer")
    assert services.can_pair(officer, batch.place)  # the first village's officer sees it
    services.batch_apply(user=officer, batch=batch)
    # what the proposal said it could not meet is exactly what stays uncovered (the small demo's village is
    # short of room; the full demo town's first village takes them all, docs/pairing.md)
    assert selectors.link_checks_summary(user=admin) == {
        "out_of_range": 0,
        "cadres_without_grid": 0,
        "exempt_with_links": 0,
        "uncovered": s["unmet"],
    }
