"""The city-scale query shapes give the same answers as the plain ones (visits/selectors/)."""

import datetime

from django.db.models import Q

from members.access import scope_for
from members.models import Link
from visits.enums import ContactKind
from visits.models import Contact
from visits.selectors import compliance_summary, contacts_visible_to, link_id_range

from .conftest import at


def test_link_id_range_covers_the_place_and_keeps_the_summary(town, record):
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha1)
    record(town.user("member_a"), ContactKind.ONLINE, at(2025, 4, 10), household=town.ha1)
    lo, hi = link_id_range(town.town.path)
    ids = set(Link.objects.filter(path__startswith=town.town.path).values_list("pk", flat=True))
    assert lo == min(ids) and hi == max(ids)
    user = town.user("town_staff")
    for on in (datetime.date(2025, 5, 15), datetime.date(2025, 7, 2)):
        for breakdown in ("child", "member", None):
            plain = compliance_summary(user=user, place=town.town, on=on, breakdown=breakdown)
            hinted = compliance_summary(
                user=user, place=town.town, on=on, breakdown=breakdown, id_range=(lo, hi)
            )
            assert plain == hinted
    assert link_id_range("/nowhere/") is None


def test_post_holder_sees_own_contacts_outside_the_post(town, record):
    """contacts_visible_to: `path under the post OR id = ANY(ARRAY(own))` is the old `OR id IN (own)`."""
    user = town.user("grid_head_a1")
    member = town.members["grid_head_a1"]
    inside = record(user, ContactKind.HOME_VISIT, at(2025, 5, 10), household=town.ha3)
    record(town.user("member_a"), ContactKind.HOME_VISIT, at(2025, 5, 11), household=town.ha1)
    elsewhere = record(town.user("member_b"), ContactKind.HOME_VISIT, at(2025, 5, 11), household=town.hb1)
    assert not scope_for(user).sees_path(town.hb1.path)
    visible = set(contacts_visible_to(user).values_list("pk", flat=True))
    assert inside.pk in visible
    expected = set(
        Contact.objects.filter(
            scope_for(user).path_q("path") | Q(member=member) | Q(created_by=user)
        ).values_list("pk", flat=True)
    )
    assert expected <= visible and elsewhere.pk not in visible
