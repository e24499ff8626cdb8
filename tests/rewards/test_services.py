from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids.enums import PlaceKind
from members.enums import ExemptReason
from rewards import services
from rewards.enums import AwardKind, EventAction, FlagKind, Half, RoundStatus
from rewards.models import AwardFlag, AwardTypeDefault, Nomination, RoundEvent

from ..factories import HouseholdFactory, PlaceFactory
from .conftest import YEAR, fill_all


def test_defaults_are_the_work_plan(db):
    rows = [(d.name, d.kind, d.places, d.prize, d.office_name) for d in AwardTypeDefault.objects.all()]
    assert rows == [
        ("优秀网格", "grid3", 3, Decimal("400.00"), "社会治安和应急管理办"),
        ("优秀网格", "grid4", 3, Decimal("400.00"), "社会治安和应急管理办"),
        ("先锋网格员", "grid_worker", 4, Decimal("400.00"), "社会治安和应急管理办"),
        ("最美联户党员干部", "linked_member", 8, Decimal("400.00"), "网格化综合服务中心"),
    ]


def test_first_round_copies_defaults_and_later_rounds_copy_the_previous(town, round_, office):
    assert (round_.period_start.isoformat(), round_.period_end.isoformat()) == ("2026-01-01", "2026-06-30")
    types = [(t.name, t.kind, t.places, t.prize, t.office.name) for t in round_.types.order_by("order")]
    assert types == [
        ("优秀网格", "grid3", 3, Decimal("400.00"), "社会治安和应急管理办"),
        ("优秀网格", "grid4", 3, Decimal("400.00"), "社会治安和应急管理办"),
        ("先锋网格员", "grid_worker", 4, Decimal("400.00"), "社会治安和应急管理办"),
        ("最美联户党员干部", "linked_member", 8, Decimal("400.00"), "网格化综合服务中心"),
    ]
    assert round_.types.get(kind="linked_member").office == town.centre
    staff = town.user("town_staff")
    pioneer = round_.types.get(kind=AwardKind.GRID_WORKER)
    services.award_type_save(
        user=staff,
        round_=round_,
        award_type=pioneer,
        name="先锋网格员",
        kind="grid_worker",
        places=5,
        prize="500",
        office=office,
    )
    services.weights_update(user=staff, round_=round_, weights={"contacts": "50"})
    later = services.round_create(user=staff, town=town.town, year=YEAR, half=Half.YEAR_END)
    assert (later.period_start.isoformat(), later.period_end.isoformat()) == ("2026-07-01", "2026-12-31")
    assert later.types.get(kind=AwardKind.GRID_WORKER).places == 5
    assert later.types.get(kind=AwardKind.GRID_WORKER).prize == Decimal("500.00")
    assert later.weights.get(criterion="contacts").weight == Decimal("50.00")
    with pytest.raises(ValidationError):
        services.round_create(user=staff, town=town.town, year=YEAR, half=Half.YEAR_END)


def test_only_town_staff_create_and_configure(town, office):
    for persona in ("leader", "town_staff"):
        services.round_create(
            user=town.user(persona), town=town.town, year=2020 + len(persona), half=Half.MID_YEAR
        )
    for persona in ("officer_a", "grid_head_a1", "member_a", "handler", "discipline", "other_handler"):
        with pytest.raises(PermissionDenied):
            services.round_create(user=town.user(persona), town=town.town, year=2030, half=Half.MID_YEAR)


def test_bad_input_is_a_clear_message(town, round_, office):
    staff = town.user("town_staff")
    with pytest.raises(ValidationError) as err:
        services.weights_update(user=staff, round_=round_, weights={"contacts": "-1", "nope": 1})
    assert set(err.value.message_dict) == {"contacts", "nope"}
    with pytest.raises(ValidationError) as err:
        services.award_type_save(
            user=staff, round_=round_, name="", kind="x", places=0, prize="abc", office=town.other_department
        )
    assert set(err.value.message_dict) == {"name", "kind", "places", "prize", "office"}
    import datetime

    with pytest.raises(ValidationError):
        services.round_update_period(
            user=staff,
            round_=round_,
            period_start=datetime.date(2026, 6, 1),
            period_end=datetime.date(2026, 1, 1),
        )


def test_exact_places_three_third_level_and_three_fourth_level_grids(town, round_):
    # Two more third-level grids and two more fourth-level grids: 4 of each level compete for 3 places each.
    for n in range(2):
        g3 = PlaceFactory(kind=PlaceKind.GRID3, name=f"甲村网格{n + 2}", parent=town.village_a)
        g4 = PlaceFactory(kind=PlaceKind.GRID4, name=f"甲村{n + 3}组", parent=g3)
        HouseholdFactory(grid=g4)
    staff = town.user("town_staff")
    services.round_open(user=staff, round_=round_)
    fill_all(staff, round_)
    grid3 = Nomination.objects.filter(award_type__round=round_, award_type__kind=AwardKind.GRID3)
    grid4 = Nomination.objects.filter(award_type__round=round_, award_type__kind=AwardKind.GRID4)
    assert grid3.count() == 3
    assert grid4.count() == 3
    assert {n.place.kind for n in grid3} == {PlaceKind.GRID3}
    assert {n.place.kind for n in grid4} == {PlaceKind.GRID4}
    excellent = Nomination.objects.filter(award_type__round=round_, award_type__name="优秀网格")
    assert excellent.count() == 6
    assert sorted(grid3.values_list("rank", flat=True)) == [1, 2, 3]
    # A fourth one is refused: the places are full.
    fourth = round_.types.get(kind=AwardKind.GRID3)
    remaining = next(
        p
        for p in fourth.round.town.__class__.objects.filter(kind=PlaceKind.GRID3)
        if not grid3.filter(place=p).exists()
    )
    with pytest.raises(ValidationError, match="已满"):
        services.nomination_add(user=staff, award_type=fourth, place=remaining, reason="特别优秀")


def test_approval_flow_with_refusals_and_event_log(town, round_, office_handler):
    staff, leader = town.user("town_staff"), town.user("leader")
    grid3 = round_.types.get(kind=AwardKind.GRID3)
    best = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    # Not open yet.
    with pytest.raises(ValidationError):
        services.nomination_fill(user=office_handler, award_type=grid3)
    with pytest.raises(PermissionDenied):
        services.round_open(user=office_handler, round_=round_)
    services.round_open(user=staff, round_=round_)
    # The organising office nominates for its own awards only; other departments not at all.
    services.nomination_fill(user=office_handler, award_type=grid3)
    with pytest.raises(PermissionDenied):
        services.nomination_fill(user=office_handler, award_type=best)
    for persona in ("handler", "other_handler", "officer_a", "member_a", "discipline"):
        with pytest.raises(PermissionDenied):
            services.nomination_fill(user=town.user(persona), award_type=grid3)
    # Submitting with awards not filled is refused, naming them.
    with pytest.raises(ValidationError) as err:
        services.round_submit(user=office_handler, round_=round_)
    assert any("最美联户党员干部" in m for m in err.value.messages)
    fill_all(staff, round_)
    services.round_submit(user=office_handler, round_=round_)
    # Only the leading group approves; a return needs a reason.
    for persona in ("town_staff", "discipline", "officer_a"):
        with pytest.raises(PermissionDenied):
            services.round_approve(user=town.user(persona), round_=round_)
    with pytest.raises(ValidationError):
        services.round_return(user=leader, round_=round_, reason=" ")
    services.round_return(user=leader, round_=round_, reason="请补充材料")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.NOMINATING
    services.round_submit(user=staff, round_=round_)
    with pytest.raises(ValidationError):
        services.round_publish(user=leader, round_=round_)  # not approved yet
    services.round_approve(user=leader, round_=round_)
    with pytest.raises(ValidationError):
        services.round_approve(user=leader, round_=round_)  # twice
    services.round_publish(user=leader, round_=round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED and round_.published_at is not None
    events = list(RoundEvent.objects.filter(round=round_).values_list("action", "actor_name"))
    assert events[0] == (EventAction.CREATE, "town_staff")
    assert events[1] == (EventAction.OPEN, "town_staff")
    assert [a for a, _ in events[2:]].count(EventAction.NOMINATE) == Nomination.objects.filter(
        award_type__round=round_
    ).count()
    assert [a for a, _ in events if a != EventAction.NOMINATE] == [
        EventAction.CREATE,
        EventAction.OPEN,
        EventAction.SUBMIT,
        EventAction.RETURN,
        EventAction.SUBMIT,
        EventAction.APPROVE,
        EventAction.PUBLISH,
    ]
    assert events[-1] == (EventAction.PUBLISH, "leader")
    with pytest.raises(TypeError):
        RoundEvent.objects.filter(round=round_).delete()
    with pytest.raises(TypeError):
        RoundEvent.objects.filter(round=round_).first().save()


def test_published_round_is_frozen(town, published, office):
    staff, leader = town.user("town_staff"), town.user("leader")
    award_type = published.types.get(kind=AwardKind.GRID3)
    nomination = award_type.nominations.first()
    frozen = "锁定"
    attempts = [
        lambda: services.nomination_withdraw(user=staff, nomination=nomination),
        lambda: services.nomination_add(user=staff, award_type=award_type, place=town.grid_b1, reason="x"),
        lambda: services.weights_update(user=staff, round_=published, weights={"contacts": 1}),
        lambda: services.award_type_save(
            user=staff,
            round_=published,
            award_type=award_type,
            name="x",
            kind="grid3",
            places=1,
            prize=1,
            office=office,
        ),
        lambda: services.award_type_delete(user=staff, award_type=award_type),
        lambda: services.round_open(user=staff, round_=published),
        lambda: services.round_approve(user=leader, round_=published),
        lambda: services.round_return(user=leader, round_=published, reason="x"),
        lambda: services.round_publish(user=leader, round_=published),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match=frozen):
            attempt()
    assert published.types.get(kind=AwardKind.GRID3).nominations.count() == 2


def test_publication_copies_winners_payees_and_sets_flags(town, published):
    rows = {
        (n.award_type.kind, n.winner_name): (n.payee_name, n.area_label)
        for n in Nomination.objects.filter(award_type__round=published).select_related("award_type")
    }
    assert rows[("grid3", "甲村第一网格")] == ("grid_head_a1", "甲村 / 甲村第一网格")
    assert rows[("grid4", "甲村一组")] == ("", "甲村 / 甲村第一网格 / 甲村一组")  # no grid head there
    assert rows[("grid_worker", "grid_head_b1")] == ("grid_head_b1", "双凫铺镇")
    assert rows[("linked_member", "member_a")] == ("member_a", "甲村 / 甲村第一网格 / 甲村一组")
    flags = {
        (f.member.name if f.member else f.place.name, f.kind)
        for f in AwardFlag.objects.select_related("member", "place")
    }
    assert ("甲村第一网格", FlagKind.CIVILISED) in flags
    assert ("甲村一组", FlagKind.CIVILISED) in flags
    assert ("grid_head_a1", FlagKind.STAR) in flags
    assert ("grid_head_a1", FlagKind.APPRAISAL) in flags
    assert ("member_a", FlagKind.RESERVE_CADRE) in flags
    assert ("member_a", FlagKind.REPRESENTATIVE) in flags
    assert ("member_a", FlagKind.STAR) not in flags
    assert AwardFlag.objects.count() == 2 + 3 + 2 * 2 + 2 * 2


def test_outside_the_places_needs_a_reason_and_excluded_are_refused(town, round_, office):
    staff = town.user("town_staff")
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
    from rewards.selectors import award_ranking

    second = award_ranking(award_type=pioneer).rows[1].subject
    with pytest.raises(ValidationError) as err:
        services.nomination_add(user=staff, award_type=pioneer, member=second)
    assert "reason" in err.value.message_dict
    nomination = services.nomination_add(user=staff, award_type=pioneer, member=second, reason="带头处置汛情")
    assert (nomination.rank, nomination.reason) == (2, "带头处置汛情")
    best = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    member_b = town.members["member_b"]
    member_b.is_exempt, member_b.exempt_reason = True, ExemptReason.OLD_INFIRM
    member_b.save()
    with pytest.raises(ValidationError, match="免于联户"):
        services.nomination_add(user=staff, award_type=best, member=member_b)
    with pytest.raises(ValidationError, match="不在本奖项的参评范围"):
        services.nomination_add(user=staff, award_type=best, member=town.members["officer_b"])
    with pytest.raises(ValidationError):
        services.nomination_add(user=staff, award_type=best, place=town.grid_a1)


def test_corrections_by_town_staff_or_discipline_only(town):
    member_a = town.members["member_a"]
    correction = services.correction_open(
        user=town.user("discipline"), member=member_a, reason="走访照片重复"
    )
    for persona in ("officer_a", "member_b", "handler", "grid_head_a1"):
        with pytest.raises(PermissionDenied):
            services.correction_open(user=town.user(persona), member=member_a, reason="x")
    with pytest.raises(ValidationError):
        services.correction_open(user=town.user("town_staff"), member=member_a, reason="")
    services.correction_close(user=town.user("town_staff"), correction=correction)
    with pytest.raises(ValidationError):
        services.correction_close(user=town.user("town_staff"), correction=correction)
