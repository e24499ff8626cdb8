"""Which compliance pages a user may open: one rule for the pages and the API (scoping itself is members.access)."""

from __future__ import annotations

from django.http import Http404

from grids.enums import PlaceKind
from grids.models import Place
from members.access import scope_for

# Places with a compliance page, and how each is broken down: by child place, or by member (a grid).
COMPLIANCE_KINDS = {
    PlaceKind.CITY: "child",
    PlaceKind.TOWN: "child",
    PlaceKind.VILLAGE: "child",
    PlaceKind.GRID3: "member",
}


def get_compliance_place_for_user(user, pk) -> Place:
    """A city, town, village or grid whose whole subtree the user sees: else 404."""
    place = Place.objects.filter(pk=pk, kind__in=list(COMPLIANCE_KINDS)).first()
    if place is None or not scope_for(user).sees_path(place.path):
        raise Http404
    return place
