from decimal import Decimal

from members.enums import ExemptReason
from rewards.enums import AwardKind, Criterion
from rewards.models import Correction
from rewards.selectors import award_ranking

from .conftest import YEAR, at, contact, issue


def _type(round_, kind):
    return round_.types.get(kind=kind)


def _components(row):
    return {c.criterion: (c.value, c.points) for c in row.components}


def test_grid_ranking_arithmetic(town, round_):
    # member_a keeps her household link on track (a home visit in June); the head's grid link and
    # member_b's link are overdue on 30 June. Grid A1 therefore has 1 of 2 links on track.
    contact(town.members["member_a"], at(YEAR, 6, 10), household=town.ha1)
    # Issues: A1a solves 2 in the grid (one on the spot, one at grid level), one more at village level
    # does not count; B1a solves 1. Ratings: A1a 满意 + 不满意 (50 %), B1a 基本满意 (100 %).
    ma, mb = town.members["member_a"], town.members["member_b"]
    issue(ma, household=town.ha1, resolved=at(YEAR, 2, 1), level="on_spot", rating="satisfied")
    issue(ma, household=town.ha2, resolved=at(YEAR, 2, 2), level="grid", rating="unsatisfied")
    issue(ma, household=town.ha2, resolved=at(YEAR, 2, 3), level="village")
    issue(mb, household=town.hb1, resolved=at(YEAR, 5, 5), level="grid", rating="basically")
    # Outside the period: ignored.
    issue(mb, household=town.hb1, resolved=at(YEAR, 7, 1), level="grid", rating="satisfied")

    ranking = award_ranking(award_type=_type(round_, AwardKind.GRID4))
    by_name = {row.name: row for row in ranking.rows}
    assert [row.name for row in ranking.rows] == ["甲村一组", "乙村一组", "甲村二组"]
    a1a = _components(by_name["甲村一组"])
    assert a1a[Criterion.COMPLIANCE] == (Decimal("100.00"), Decimal("100.00"))
    assert a1a[Criterion.ISSUES_SOLVED] == (2, Decimal("100.00"))
    assert a1a[Criterion.SATISFACTION] == (Decimal("50.00"), Decimal("50.00"))
    assert a1a[Criterion.FEEDBACK] == (3 - 1, Decimal("100.00"))
    # 40×100 + 25×100 + 25×50 + 10×100 = 8750 / 100
    assert by_name["甲村一组"].score == Decimal("87.50")
    b1a = _components(by_name["乙村一组"])
    assert b1a[Criterion.COMPLIANCE] == (Decimal("0.00"), Decimal("0.00"))
    assert b1a[Criterion.ISSUES_SOLVED] == (1, Decimal("50.00"))
    assert b1a[Criterion.SATISFACTION] == (Decimal("100.00"), Decimal("100.00"))
    assert b1a[Criterion.FEEDBACK] == (1, Decimal("50.00"))
    # 40×0 + 25×50 + 25×100 + 10×50 = 4250 / 100
    assert by_name["乙村一组"].score == Decimal("42.50")
    assert by_name["甲村二组"].score == Decimal("0.00")
    assert _components(by_name["甲村二组"])[Criterion.COMPLIANCE] == (None, Decimal("0.00"))
    assert by_name["甲村一组"].area_label == "甲村 / 甲村第一网格 / 甲村一组"

    grid3 = award_ranking(award_type=_type(round_, AwardKind.GRID3))
    a1 = next(row for row in grid3.rows if row.name == "甲村第一网格")
    assert _components(a1)[Criterion.COMPLIANCE] == (Decimal("50.00"), Decimal("50.00"))
    assert _components(a1)[Criterion.ISSUES_SOLVED] == (2, Decimal("100.00"))


def test_person_ranking_arithmetic_and_exclusions(town, round_):
    ma, mb = town.members["member_a"], town.members["member_b"]
    for day in (1, 2, 3, 4):
        contact(ma, at(YEAR, 3, day), household=town.ha1, duties=("policy", "opinion"))
    contact(mb, at(YEAR, 3, 1), household=town.hb1, duties=("policy", "demands", "disputes", "supervision"))
    contact(mb, at(YEAR, 7, 2), household=town.hb1)  # after the period
    issue(mb, household=town.hb1, raised=at(YEAR, 2, 1), resolved=at(YEAR, 2, 5), level="grid")
    issue(mb, household=town.hb1, raised=at(YEAR, 2, 1))

    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert [row.name for row in ranking.rows] == ["member_b", "member_a"]
    b, a = ranking.rows
    assert _components(a) == {
        Criterion.CONTACTS: (4, Decimal("100.00")),
        Criterion.DUTIES: (2, Decimal("40.00")),
        Criterion.ISSUES_RAISED: (None, Decimal("0.00")),
        Criterion.ISSUES_RESOLVED: (None, Decimal("0.00")),
        Criterion.DISPATCH_DONE: (None, Decimal("0.00")),
        Criterion.VOLUNTEER_HOURS: (None, Decimal("0.00")),
    }
    assert _components(b)[Criterion.CONTACTS] == (1, Decimal("25.00"))
    assert _components(b)[Criterion.DUTIES] == (4, Decimal("80.00"))
    assert _components(b)[Criterion.ISSUES_RAISED] == (2, Decimal("100.00"))
    assert _components(b)[Criterion.ISSUES_RESOLVED] == (1, Decimal("100.00"))
    total = sum(ranking.weights.values())
    # a: (35×100 + 25×40) / total; b: (35×25 + 25×80 + 15×100 + 15×100) / total
    assert a.score == (Decimal(4500) / total).quantize(Decimal("0.01"))
    assert b.score == (Decimal(5875) / total).quantize(Decimal("0.01"))

    # Exempt and under-correction members leave the ranking, with the reason shown.
    mb.is_exempt, mb.exempt_reason = True, ExemptReason.WORKING_AWAY
    mb.save()
    Correction.objects.create(member=ma, reason="虚报走访", opened_at=at(YEAR, 5, 1).date())
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert ranking.rows == []
    assert {(e.member.name, tuple(e.reasons)) for e in ranking.excluded} == {
        ("member_a", ("走访记录整改中",)),
        ("member_b", ("免于联户",)),
    }


def test_correction_closed_before_the_period_does_not_exclude(town, round_):
    ma = town.members["member_a"]
    Correction.objects.create(
        member=ma, reason="x", opened_at=at(2025, 5, 1).date(), closed_at=at(2025, 12, 31).date()
    )
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert "member_a" in [row.name for row in ranking.rows]


def test_grid_workers_are_grid_heads_and_grid_linked_cadres(town, round_):
    ranking = award_ranking(award_type=_type(round_, AwardKind.GRID_WORKER))
    assert sorted(row.name for row in ranking.rows) == ["grid_head_a1", "grid_head_b1"]


def _equal_weights(town, round_):
    from rewards.services import weights_update

    weights_update(
        user=town.user("town_staff"),
        round_=round_,
        weights={"contacts": 1, "duties": 1, "issues_raised": 0, "issues_resolved": 0, "dispatch_done": 0},
    )


def test_tie_on_score_and_first_criterion_goes_to_the_lower_id(town, round_):
    ma, mb = town.members["member_a"], town.members["member_b"]
    _equal_weights(town, round_)
    # a: 2 contacts (100 points), 1 duty (20) → 60; b: 1 contact (50), 3 duties (60) → 55.
    contact(ma, at(YEAR, 3, 1), household=town.ha1, duties=("policy",))
    contact(ma, at(YEAR, 3, 2), household=town.ha1, duties=("policy",))
    contact(mb, at(YEAR, 3, 1), household=town.hb1, duties=("policy", "opinion", "demands"))
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert [(r.name, r.score) for r in ranking.rows] == [
        ("member_a", Decimal("60.00")),
        ("member_b", Decimal("55.00")),
    ]
    # Both at 3 contacts and 3 duties: 80 each, same contacts and duties points → the lower id first.
    contact(ma, at(YEAR, 3, 3), household=town.ha1, duties=("opinion", "demands"))
    contact(mb, at(YEAR, 3, 2), household=town.hb1, duties=())
    contact(mb, at(YEAR, 3, 3), household=town.hb1, duties=())
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert [r.score for r in ranking.rows] == [Decimal("80.00"), Decimal("80.00")]
    assert ma.pk < mb.pk
    assert [r.name for r in ranking.rows] == ["member_a", "member_b"]
    assert [r.rank for r in ranking.rows] == [1, 2]


def test_tie_on_score_goes_to_more_points_on_the_first_criterion(town, round_):
    ma, mb = town.members["member_a"], town.members["member_b"]
    _equal_weights(town, round_)
    # b (the higher id) has 5 contacts, no duty: (100 + 0) / 2 = 50.
    # a has 1 contact (20 points) covering 4 duties (80 points): (20 + 80) / 2 = 50.
    for day in range(1, 6):
        contact(mb, at(YEAR, 3, day), household=town.hb1, duties=())
    contact(ma, at(YEAR, 3, 1), household=town.ha1, duties=("policy", "opinion", "demands", "disputes"))
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert [(r.name, r.score) for r in ranking.rows] == [
        ("member_b", Decimal("50.00")),
        ("member_a", Decimal("50.00")),
    ]


def test_ranking_query_count_does_not_grow(town, round_, django_assert_max_num_queries):
    ma = town.members["member_a"]
    for day in range(1, 20):
        contact(ma, at(YEAR, 3, day), household=town.ha1)
        issue(ma, household=town.ha1, resolved=at(YEAR, 3, day), level="grid", rating="satisfied")
    for kind in AwardKind:
        award_type = _type(round_, kind)
        with django_assert_max_num_queries(8):
            award_ranking(award_type=award_type)


def test_dispatch_orders_done_in_the_period_count(town, round_):
    import datetime

    from dispatch.models import DispatchOrder, OrderRecipient

    ma, mb = town.members["member_a"], town.members["member_b"]
    order = DispatchOrder.objects.create(
        town=town.town, title="防汛排查", task="排查", due_date=datetime.date(YEAR, 6, 1)
    )
    OrderRecipient.objects.create(order=order, member=ma, status="done", done_at=at(YEAR, 5, 20))
    OrderRecipient.objects.create(
        order=order, member=mb, status="acknowledged", acknowledged_at=at(YEAR, 5, 20)
    )
    later = DispatchOrder.objects.create(
        town=town.town, title="秋收", task="x", due_date=datetime.date(YEAR, 9, 1)
    )
    OrderRecipient.objects.create(order=later, member=mb, status="done", done_at=at(YEAR, 8, 20))
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    rows = {row.name: _components(row) for row in ranking.rows}
    assert rows["member_a"][Criterion.DISPATCH_DONE] == (1, Decimal("100.00"))
    assert rows["member_b"][Criterion.DISPATCH_DONE] == (None, Decimal("0.00"))
    assert ranking.weights[Criterion.DISPATCH_DONE] == Decimal("10.00")
    assert ranking.notes == []


def test_a_contact_decided_false_counts_nowhere_and_bars_the_member_from_the_round(town, round_):
    """Issue 14: the discipline commission decided one of member_a's contacts false (verification)."""
    from visits.services import contact_strike

    ma, mb = town.members["member_a"], town.members["member_b"]
    contacts = [contact(ma, at(YEAR, 3, day), household=town.ha1) for day in (1, 2, 3)]
    contact(mb, at(YEAR, 3, 1), household=town.hb1)
    contact(mb, at(YEAR, 3, 2), household=town.hb1)
    contact_strike(contact=contacts[0], by=town.user("discipline"), reason="回访核实:群众称未走访")
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert [row.name for row in ranking.rows] == ["member_b"]
    assert _components(ranking.rows[0])[Criterion.CONTACTS] == (2, Decimal("100.00"))
    assert {(e.member.name, tuple(e.reasons)) for e in ranking.excluded} == {
        ("member_a", ("统计期内有经镇纪委认定的虚假走访",)),
    }
    # A false contact outside the period does not bar the member from this round.
    from visits.models import Contact

    Contact.objects.filter(pk=contacts[0].pk).update(struck=False)  # as if that one had stood
    late = contact(ma, at(YEAR, 8, 1), household=town.ha1)
    contact_strike(contact=late, by=town.user("discipline"), reason="x")
    ranking = award_ranking(award_type=_type(round_, AwardKind.LINKED_MEMBER))
    assert sorted(row.name for row in ranking.rows) == ["member_a", "member_b"]
