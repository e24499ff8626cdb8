"""Read-only API over places, households, members and links, scoped by members.access like every page."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import viewsets

from grids.enums import PlaceKind
from grids.models import Household, Place

from .access import households_visible_to, links_visible_to, members_visible_to, places_visible_to
from .enums import LinkType, MemberRole
from .models import Link, Member
from .serializers import HouseholdSerializer, LinkSerializer, MemberSerializer, PlaceSerializer


def _under_place(queryset, name, value):
    """Filter rows under a place the requesting user may see (by id)."""
    return queryset.filter(path__startswith=value.path)


@extend_schema_field(OpenApiTypes.INT)
class UnderPlaceFilter(django_filters.ModelChoiceFilter):
    """?under=<place id>: everything below a place in the user's scope (other places are refused)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", _visible_places)
        kwargs.setdefault("method", _under_place)
        kwargs.setdefault("label", "under")
        super().__init__(**kwargs)


def _visible_places(request):
    return places_visible_to(request.user) if request is not None else Place.objects.none()


class PlaceFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PlaceKind.choices)
    parent = django_filters.ModelChoiceFilter(queryset=_visible_places)
    under = UnderPlaceFilter()

    class Meta:
        model = Place
        fields = ["kind", "parent"]


def _visible_households(request):
    return households_visible_to(request.user) if request is not None else Household.objects.none()


def _visible_members(request):
    return members_visible_to(request.user) if request is not None else Member.objects.none()


class HouseholdFilter(django_filters.FilterSet):
    under = UnderPlaceFilter()
    grid = django_filters.ModelChoiceFilter(queryset=_visible_places)

    class Meta:
        model = Household
        fields = ["grid", "is_hardship", "is_disability", "is_elderly_alone", "is_left_behind", "is_key"]


class MemberFilter(django_filters.FilterSet):
    under = UnderPlaceFilter()
    role = django_filters.ChoiceFilter(choices=MemberRole.choices)

    class Meta:
        model = Member
        fields = ["role", "is_exempt", "is_migrant"]


class LinkFilter(django_filters.FilterSet):
    under = UnderPlaceFilter()
    link_type = django_filters.ChoiceFilter(choices=LinkType.choices)
    member = django_filters.ModelChoiceFilter(queryset=_visible_members)
    household = django_filters.ModelChoiceFilter(queryset=_visible_households)

    class Meta:
        model = Link
        fields = ["member", "household", "link_type"]


class PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter

    def get_queryset(self):
        return places_visible_to(self.request.user).order_by("path")


class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self):
        return households_visible_to(self.request.user).order_by("path", "code")


class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MemberSerializer
    filterset_class = MemberFilter

    def get_queryset(self):
        return members_visible_to(self.request.user).order_by("path", "name")


class LinkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LinkSerializer
    filterset_class = LinkFilter

    def get_queryset(self):
        return links_visible_to(self.request.user).order_by("id")
