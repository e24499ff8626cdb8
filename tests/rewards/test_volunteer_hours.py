"""新时代文明实践 hours feed the person ranking as a visible, weighted component (activities app)."""

import datetime
from decimal import Decimal

from activities.models import Activity, SignUp
from activities.services import station_for
from rewards.enums import AwardKind, Criterion
from rewards.selectors import award_ranking

from .conftest import YEAR, at, contact


def test_attended_hours_in_the_period_count_and_carry_the_rounds_weight(town, round_):
    ma, mb = town.members["member_a"], town.members["member_b"]
    contact(ma, at(YEAR, 3, 1), household=town.ha1)
    contact(mb, at(YEAR, 3, 1), household=town.hb1)
    station = station_for(town.town)

    def activity(when):
        return Activity.objects.create(
            station=station,
            title="助农",
            kind="farming",
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=4),
            location="镇",
            organiser=town.members["town_staff"],
        )

    inside, outside = activity(at(YEAR, 5, 10)), activity(at(YEAR, 8, 10))
    SignUp.objects.create(activity=inside, member=mb, attended=True, hours=Decimal("4.0"))
    SignUp.objects.create(activity=outside, member=mb, attended=True, hours=Decimal("4.0"))  # after June
    SignUp.objects.create(activity=inside, member=ma, attended=False, hours=Decimal("0"))  # signed, absent
    # 0 by default (earlier rounds keep their scores); the town gives it a weight in this round
    assert round_.weights.get(criterion=Criterion.VOLUNTEER_HOURS).weight == 0
    round_.weights.filter(criterion=Criterion.VOLUNTEER_HOURS).update(weight=10)
    ranking = award_ranking(award_type=round_.types.get(kind=AwardKind.LINKED_MEMBER))
    rows = {row.name: {c.criterion: c for c in row.components} for row in ranking.rows}
    assert rows["member_b"][Criterion.VOLUNTEER_HOURS].value == Decimal("4.0")
    assert rows["member_b"][Criterion.VOLUNTEER_HOURS].points == Decimal("100.00")
    assert rows["member_a"][Criterion.VOLUNTEER_HOURS].points == Decimal("0.00")
    assert ranking.weights[Criterion.VOLUNTEER_HOURS] == Decimal("10.00")
    assert [row.name for row in ranking.rows] == ["member_b", "member_a"]  # the hours decide the tie


def test_the_hours_component_is_visible_on_the_round_and_ranking_pages(town, round_, login):
    """Visible even at weight 0: the round's weights form has its field, the ranking lists it per candidate."""
    from django.urls import reverse

    client = login(town.user("town_staff"))
    page = client.get(reverse("rewards:round-detail", args=[round_.pk])).content.decode()
    assert 'name="volunteer_hours"' in page and "志愿服务时长" in page
    contact(town.members["member_a"], at(YEAR, 3, 1), household=town.ha1)
    type_ = round_.types.get(kind=AwardKind.LINKED_MEMBER)
    page = client.get(reverse("rewards:ranking", args=[round_.pk, type_.pk])).content.decode()
    assert "志愿服务时长" in page
