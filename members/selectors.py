"""Reads about members and links: the pairing checks town staff look at (all in the database)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from grids.models import Household

from .access import households_visible_to, members_visible_to
from .enums import HOUSEHOLD_RANGE, LinkType, MemberRole
from .models import Link, Member

# The household link type each role is expected to hold (volunteers may, but need not, link).
ROLE_HOUSEHOLD_LINK = {
    MemberRole.CITY_LEADER: LinkType.CITY_HOUSEHOLD,
    MemberRole.CITY_DEPT_HEAD: LinkType.CITY_HOUSEHOLD,
    MemberRole.TOWN_CADRE: LinkType.TOWN_HOUSEHOLD,
    MemberRole.STATIONED_CADRE: LinkType.TOWN_HOUSEHOLD,
    MemberRole.VILLAGE_CADRE: LinkType.VILLAGE_HOUSEHOLD,
    MemberRole.NOTABLE: LinkType.VILLAGE_HOUSEHOLD,
    MemberRole.PARTY_MEMBER: LinkType.PARTY_HOUSEHOLD,
    MemberRole.DEPUTY: LinkType.PARTY_HOUSEHOLD,
}


def _current(prefix: str, on: datetime.date) -> Q:
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})
    )


def members_out_of_range(*, user, on: datetime.date | None = None) -> QuerySet[Member]:
    """Non-exempt members whose number of current households falls outside their role's range.

    Annotates `household_count` and `expected_type`; migrant members are not expected to link.
    """
    on = on or timezone.localdate()
    current = _current("links__", on)
    out = Q(pk__in=[])
    for role, link_type in ROLE_HOUSEHOLD_LINK.items():
        low, high = HOUSEHOLD_RANGE[link_type]
        out |= Q(role=role) & (Q(household_count__lt=low) | Q(household_count__gt=high))
    low, high = HOUSEHOLD_RANGE[LinkType.PARTY_HOUSEHOLD]
    out |= Q(role=MemberRole.VOLUNTEER, household_count__gt=0) & (
        Q(household_count__lt=low) | Q(household_count__gt=high)
    )
    return (
        members_visible_to(user)
        .filter(is_exempt=False, is_migrant=False)
        .annotate(household_count=Count("links", filter=current & Q(links__household__isnull=False)))
        .filter(out)
        .select_related("home")
        .order_by("path", "name")
    )


def town_cadres_without_one_grid(*, user, on: datetime.date | None = None) -> QuerySet[Member]:
    on = on or timezone.localdate()
    return (
        members_visible_to(user)
        .filter(role__in=[MemberRole.TOWN_CADRE, MemberRole.STATIONED_CADRE], is_exempt=False)
        .annotate(
            grid_count=Count("links", filter=_current("links__", on) & Q(links__link_type=LinkType.TOWN_GRID))
        )
        .exclude(grid_count=1)
        .select_related("home")
        .order_by("name")
    )


def exempt_members_with_links(*, user, on: datetime.date | None = None) -> QuerySet[Member]:
    on = on or timezone.localdate()
    return (
        members_visible_to(user)
        .filter(is_exempt=True)
        .annotate(link_count=Count("links", filter=_current("links__", on)))
        .filter(link_count__gt=0)
        .select_related("home")
        .order_by("name")
    )


def uncovered_households(*, user, on: datetime.date | None = None) -> QuerySet[Household]:
    """Households in the user's scope that no member currently links to (the plan wants full coverage).

    A link held by a member exempt from linking does not cover a household: it needs a new pairing."""
    on = on or timezone.localdate()
    linked = Link.objects.filter(_current("", on), household=OuterRef("pk"), member__is_exempt=False)
    return households_visible_to(user).filter(~Exists(linked)).select_related("grid").order_by("path", "code")


def uncovered_households_under(place, *, on: datetime.date) -> QuerySet[Household]:
    """`uncovered_households`' rule for a place seen whole (no scope test): its households no current link of
    a non-exempt member covers, with the links bounded by the place's path (a household's links lie under it):
    a hash anti-join over the place's links instead of two index probes per household on a city's tables.
    Exempt members: a hashed subplan over the few of them."""
    return (
        Household.objects.filter(path__startswith=place.path).filter(~covered_under(place, on=on)).order_by()
    )


def covered_under(place, *, on: datetime.date) -> Exists:
    """For a household under `place` (OuterRef("pk")): does a current link of a non-exempt member cover it?"""
    exempt = Member.objects.filter(is_exempt=True).values("pk")
    linked = (
        Link.objects.current(on)
        .filter(household=OuterRef("pk"), path__startswith=place.path)
        .exclude(member_id__in=exempt)
    )
    return Exists(linked)


def link_checks_summary(*, user) -> dict[str, int]:
    return {
        "out_of_range": members_out_of_range(user=user).count(),
        "cadres_without_grid": town_cadres_without_one_grid(user=user).count(),
        "exempt_with_links": exempt_members_with_links(user=user).count(),
        "uncovered": uncovered_households(user=user).count(),
    }


def member_positions(*, member: Member) -> list:
    from .models import Position

    return list(Position.objects.current().filter(member=member).select_related("place", "department"))


def member_link_summary(*, member: Member) -> list[dict]:
    """Current links of a member counted by type: [{"link_type", "label", "count"}]."""
    rows = (
        Link.objects.current()
        .filter(member=member)
        .values("link_type")
        .annotate(n=Count("id"))
        .order_by("link_type")
    )
    return [
        {"link_type": r["link_type"], "label": LinkType(r["link_type"]).label, "count": r["n"]} for r in rows
    ]
