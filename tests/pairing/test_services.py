"""Proposals on the database (pairing/services.py): modes, size rules, coverage, batches applied once."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from members import selectors
from members.enums import HOUSEHOLD_RANGE, LinkType
from members.models import Link
from pairing import services
from pairing.enums import BatchStatus, LineAction, LineOutcome, PairingMode, Reason

from ..factories import LinkFactory, UserFactory
from .conftest import START, build_village, officer_for, staff_for

pytestmark = pytest.mark.django_db


def _current(**kw):
    return Link.objects.current().filter(**kw)


def _check_ranges(village):
    """Every member of the village within their role's range (the /checks/ rule), every household covered."""
    admin = UserFactory(username="root", is_superuser=True)
    out = selectors.members_out_of_range(user=admin).filter(path__startswith=village.village.path)
    assert list(out.values_list("name", "household_count")) == []
    uncovered = selectors.uncovered_households(user=admin).filter(path__startswith=village.village.path)
    assert uncovered.count() == 0


def test_full_proposal_for_a_new_village_covers_every_household_within_the_rules(village):
    staff = staff_for(village.town)
    batch = services.batch_propose(user=staff, place=village.village, mode=PairingMode.FULL)
    s = batch.summary
    assert (s["to_pair"], s["paired"], s["unmet"], s["shortfall_members"]) == (24, 24, 0, 0)
    # same group first: group 0 has 12 households, the cadre takes 3 key ones, so its member (9 left, needs
    # 10) takes exactly one household of group 1 (same grid); every other line stays in its group
    lines = batch.lines.filter(action=LineAction.CREATE)
    (other,) = lines.exclude(reason=Reason.SAME_GROUP)
    assert (other.member, other.reason, other.household.grid) == (
        village.party[0],
        Reason.SAME_GRID,
        village.groups[1],
    )
    result = services.batch_apply(user=staff, batch=batch)
    assert (result.created, result.ended, result.skipped) == (24, 0, 0)
    _check_ranges(village)
    cadre = village.cadres[0]
    assert _current(member=cadre).count() == 3
    assert not _current(member=cadre, household__is_hardship=False).exists()
    # the batch is recorded in each new link's history and can be read back
    link = _current(member=cadre).first()
    assert link.pairing_lines.get().batch == batch and f"#{batch.pk}" in link.note


def test_fill_gaps_never_touches_existing_links_and_applying_twice_changes_nothing(village):
    staff = staff_for(village.town)
    member = village.party[0]
    existing = [
        LinkFactory(member=member, household=h, link_type=LinkType.PARTY_HOUSEHOLD, start_date=START)
        for h in village.households[0][6:12]
    ]
    before = set(Link.objects.values_list("id", "member_id", "household_id", "start_date", "end_date"))
    batch = services.batch_propose(user=staff, place=village.village, mode=PairingMode.FILL)
    assert not batch.lines.filter(action=LineAction.END).exists()
    assert batch.summary["to_pair"] == 24 - 6
    services.batch_apply(user=staff, batch=batch)
    after = set(Link.objects.values_list("id", "member_id", "household_id", "start_date", "end_date"))
    assert before <= after  # every existing link is still there, unchanged
    assert all(_current(pk=link.pk).exists() for link in existing)
    _check_ranges(village)
    snapshot = sorted(after)
    again = services.batch_apply(user=staff, batch=batch)
    assert (
        again.already
        and sorted(Link.objects.values_list("id", "member_id", "household_id", "start_date", "end_date"))
        == snapshot
    )
    # a second fill proposal finds nothing to do
    assert services.proposal_build(place=village.village, mode=PairingMode.FILL).lines == []


def test_rebalance_ends_an_exempt_members_links_and_repairs_their_households(db):
    v = build_village(per_group=(11, 11, 11), party_per_group=1)  # 3 to the cadre, 10 each
    staff = staff_for(v.town)
    services.batch_apply(
        user=staff, batch=services.batch_propose(user=staff, place=v.village, mode=PairingMode.FULL)
    )
    leaving = v.party[1]
    theirs = set(_current(member=leaving).values_list("household_id", flat=True))
    others_before = set(_current().exclude(member=leaving).values_list("id", flat=True))
    leaving.is_exempt, leaving.exempt_reason = True, "working_away"
    leaving.save()
    batch = services.batch_propose(user=staff, place=v.village, mode=PairingMode.REBALANCE)
    ends = batch.lines.filter(action=LineAction.END)
    assert set(ends.values_list("household_id", flat=True)) == theirs and ends.filter(
        reason=Reason.EXEMPT
    ).count() == len(theirs)
    assert batch.summary["unmet"] == 0  # the two others had room for 5 each
    assert set(batch.lines.filter(action=LineAction.CREATE).values_list("household_id", flat=True)) == theirs
    # applied the next day: the old links end today (the day before), the new ones begin tomorrow
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    services.batch_apply(user=staff, batch=batch, on=tomorrow)
    assert not Link.objects.current(tomorrow).filter(member=leaving).exists()
    assert set(Link.objects.filter(member=leaving).values_list("end_date", flat=True)) == {
        datetime.date.today()
    }
    assert others_before <= set(Link.objects.current(tomorrow).values_list("id", flat=True))
    assert Link.objects.current(tomorrow).filter(household_id__in=theirs).count() == len(theirs)


def test_what_cannot_be_met_is_stated_with_numbers(db):
    v = build_village(per_group=(30, 30), party_per_group=1, cadres=0, key=(0, 0))
    batch = services.batch_propose(user=None, place=v.village, mode=PairingMode.FILL)
    s = batch.summary
    assert (s["to_pair"], s["paired"], s["unmet"], s["room"], s["members_needed"]) == (60, 30, 30, 30, 2)
    assert s["shortfall_members"] == 0


def test_too_few_households_for_the_members_is_a_shortfall(db):
    v = build_village(per_group=(12,), party_per_group=2, cadres=0, key=(0, 0))
    s = services.proposal_build(place=v.village, mode=PairingMode.FILL).summary
    assert (s["unmet"], s["shortfall_members"], s["shortfall_households"]) == (0, 1, 8)


def test_key_households_beyond_the_cadres_go_to_party_members_and_are_counted(db):
    v = build_village(per_group=(12, 12), key=(0, 5), cadres=1)
    s = services.proposal_build(place=v.village, mode=PairingMode.FULL).summary
    assert s["unmet"] == 0 and s["key_to_party"] == 2  # the cadre takes 3 of the 5


def test_drop_and_move_lines_then_apply(village):
    staff = staff_for(village.town)
    batch = services.batch_propose(user=staff, place=village.village, mode=PairingMode.FULL)
    dropped = batch.lines.filter(action=LineAction.CREATE, member=village.party[0]).first()
    services.line_drop(user=staff, line=dropped)
    moving = batch.lines.filter(action=LineAction.CREATE, member=village.party[1]).first()
    candidates = services.move_candidates(line=moving)
    assert [c["id"] for c in candidates] == [village.party[0].pk]  # the cadre takes key households only
    services.line_move(user=staff, line=moving, member=village.party[0])
    with pytest.raises(services.PairingError):
        services.line_move(user=staff, line=moving, member=village.cadres[0])
    rows, totals = services.batch_rows(batch)
    by_member = {row.member.pk: row for row in rows}
    # party 0 proposed 10, one dropped, one moved in: 10; party 1 proposed 11, one moved out: 10
    assert (by_member[village.party[0].pk].after, by_member[village.party[1].pk].after) == (10, 10)
    party = next(t for t in totals if t["link_type"] == LinkType.PARTY_HOUSEHOLD)
    assert (party["members"], party["in_range"], party["households"]) == (2, 2, 20)
    result = services.batch_apply(user=staff, batch=batch)
    assert result.created == 23
    assert not _current(household=dropped.household).exists()
    assert _current(household=moving.household, member=village.party[0]).exists()
    moving.refresh_from_db()
    assert moving.reason == Reason.MOVED and moving.outcome == LineOutcome.DONE
    with pytest.raises(services.PairingError):
        services.line_drop(user=staff, line=moving)


def test_a_household_taken_meanwhile_is_skipped_not_doubled(village):
    batch = services.batch_propose(user=None, place=village.village, mode=PairingMode.FILL)
    line = batch.lines.filter(action=LineAction.CREATE).first()
    LinkFactory(member=line.member, household=line.household, start_date=START)
    result = services.batch_apply(user=None, batch=batch)
    line.refresh_from_db()
    assert result.skipped == 1 and line.outcome == LineOutcome.SKIPPED and line.outcome_note
    assert _current(household=line.household).count() == 1


def test_town_wide_proposal_gives_free_grids_to_town_cadres(db):
    from members.enums import MemberRole

    from ..factories import MemberFactory

    v = build_village(key=(0, 12))
    cadre = MemberFactory(name="镇干部", role=MemberRole.TOWN_CADRE, home=v.town)
    batch = services.batch_propose(user=None, place=v.town, mode=PairingMode.FILL)
    grid_line = batch.lines.get(link_type=LinkType.TOWN_GRID)
    assert (grid_line.member, grid_line.place) == (cadre, v.grid3)
    assert (
        batch.lines.filter(member=cadre, link_type=LinkType.TOWN_HOUSEHOLD).count()
        == HOUSEHOLD_RANGE[LinkType.TOWN_HOUSEHOLD][0]
    )
    services.batch_apply(user=None, batch=batch)
    assert _current(member=cadre, place=v.grid3).exists()
    # a village proposal never hands out grids: that is the town's decision
    other = MemberFactory(name="另一镇干部", role=MemberRole.TOWN_CADRE, home=v.town)
    lines = services.proposal_build(place=v.village, mode=PairingMode.FULL).lines
    assert not [line for line in lines if line.link_type == LinkType.TOWN_GRID or line.member_id == other.pk]


def test_only_town_staff_and_the_villages_own_officer_may_pair(village):
    other = build_village(code="W", town=village.town)
    staff = staff_for(village.town)
    officer = officer_for(village.village)
    other_officer = officer_for(other.village, name="officer_w")
    assert services.can_pair(staff, village.town) and services.can_pair(staff, village.village)
    assert services.can_pair(officer, village.village)
    assert not services.can_pair(officer, village.town) and not services.can_pair(officer, other.village)
    batch = services.batch_propose(user=officer, place=village.village, mode=PairingMode.FILL)
    with pytest.raises(PermissionDenied):
        services.batch_apply(user=other_officer, batch=batch)
    with pytest.raises(PermissionDenied):
        services.batch_propose(user=other_officer, place=village.village, mode=PairingMode.FILL)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
