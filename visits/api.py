"""API over contacts and compliance: the same services, selectors and scoping as the pages."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from grids.dates import BoundedDateFilter, parse_bounded_date
from grids.enums import PlaceKind
from grids.models import Place
from members.access import (
    get_member_for_user,
    households_visible_to,
    links_visible_to,
    members_visible_to,
    places_visible_to,
)

from . import selectors, services
from .access import COMPLIANCE_KINDS, get_compliance_place_for_user
from .enums import DUTY_FIELDS, ContactKind, Duty
from .models import ContactHousehold
from .periods import local_midnight
from .serializers import (
    ComplianceSummarySerializer,
    ContactCreateSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    LinkComplianceSerializer,
    MemberComplianceSerializer,
    contact_created_data,
)


def _visible_places(request):
    return places_visible_to(request.user) if request is not None else Place.objects.none()


def _visible_members(request):
    return members_visible_to(request.user) if request is not None else members_visible_to(None)


def _visible_households(request):
    return households_visible_to(request.user) if request is not None else households_visible_to(None)


@extend_schema_field(OpenApiTypes.INT)
class PlaceIdFilter(django_filters.ModelChoiceFilter):
    """A place id the user may see; rows under it."""


class ContactFilter(django_filters.FilterSet):
    member = django_filters.ModelChoiceFilter(queryset=_visible_members)
    household = django_filters.ModelChoiceFilter(queryset=_visible_households, method="filter_household")
    grid = PlaceIdFilter(queryset=_visible_places, method="filter_under")
    village = PlaceIdFilter(queryset=_visible_places, method="filter_under")
    kind = django_filters.ChoiceFilter(choices=ContactKind.choices)
    duty = django_filters.ChoiceFilter(choices=Duty.choices, method="filter_duty")
    date_from = BoundedDateFilter(method="filter_from", help_text="本地日期(含)")
    date_to = BoundedDateFilter(method="filter_to", help_text="本地日期(含)")

    def filter_household(self, queryset, name, value):
        return queryset.filter(pk__in=ContactHousehold.objects.filter(household=value).values("contact_id"))

    def filter_under(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)

    def filter_duty(self, queryset, name, value):
        return queryset.filter(**{DUTY_FIELDS[Duty(value)]: True})

    def filter_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=local_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=local_midnight(value + datetime.timedelta(days=1)))


class ContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """走访记录: list (filters), create (idempotent on client_id: 201 new, 200 already stored), retrieve,
    and partial update by the author within the edit window."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            selectors.contacts_visible_to(self.request.user)
            .select_related("member")
            .prefetch_related("households", "photos")
            .order_by("-occurred_at", "-id")
        )

    @extend_schema(
        request=ContactCreateSerializer, responses={201: ContactSerializer, 200: ContactSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = ContactCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        target = {}
        try:
            # Today's visibility, or a link of the member's that has ended (a late entry): the service then
            # checks the contact's date against the member's links (visits.services).
            if values.get("household") is not None:
                target["household"] = services.recordable_household(request.user, values["household"])
            if values.get("place") is not None:
                target["place"] = services.places_recordable_by(request.user).get(pk=values["place"])
        except ObjectDoesNotExist as exc:  # unknown or out of reach (the serializer bounds the ids)
            raise ValidationError({"target": [_("对象不存在或不在您的范围内")]}) from exc
        if values["households"]:
            found = list(services.households_recordable_by(request.user).filter(pk__in=values["households"]))
            if len(found) != len(set(values["households"])):
                raise ValidationError({"households": [_("屋场夜话的户必须在您的范围内")]})
            target["households"] = found
        contact = services.contact_record(
            user=request.user,
            kind=values["kind"],
            occurred_at=values["occurred_at"],
            duties=values["duties"],
            summary=values["summary"],
            found_problem=values["found_problem"],
            client_id=values["client_id"],
            photos=request.FILES.getlist("photos"),
            position=(values.get("latitude"), values.get("longitude"), values.get("accuracy")),
            **target,
        )
        if contact.created:  # answered from what was written, without reading it back
            return Response(contact_created_data(contact, request), status=status.HTTP_201_CREATED)
        output = ContactSerializer(self.get_queryset().get(pk=contact.pk), context={"request": request})
        return Response(output.data, status=status.HTTP_200_OK)

    @extend_schema(request=ContactUpdateSerializer, responses=ContactSerializer)
    def partial_update(self, request, *args, **kwargs):
        contact = self.get_object()
        data = ContactUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.contact_update(user=request.user, contact=contact, **data.validated_data)
        return Response(ContactSerializer(self.get_queryset().get(pk=contact.pk)).data)


ON_PARAM = OpenApiParameter("on", datetime.date, description="计算日期(默认今天,Asia/Shanghai)")
ID_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _on(request) -> datetime.date:
    raw = request.query_params.get("on")
    if not raw:
        return timezone.localdate()
    try:
        return parse_bounded_date(raw)
    except DjangoValidationError as exc:
        raise ValidationError({"on": exc.messages}) from exc


class LinkComplianceViewSet(viewsets.ViewSet):
    """One link against its quota rules."""

    lookup_value_regex = r"[0-9]+"

    @extend_schema(parameters=[ID_PARAM, ON_PARAM], responses=LinkComplianceSerializer)
    def retrieve(self, request, pk=None):
        links = links_visible_to(request.user).filter(pk=pk)
        result = selectors.link_compliance(links=links, on=_on(request))
        if not result:
            raise Http404
        return Response(LinkComplianceSerializer(result[0]).data)


class MemberComplianceViewSet(viewsets.ViewSet):
    """A member's current links and their share on track."""

    lookup_value_regex = r"[0-9]+"

    @extend_schema(parameters=[ID_PARAM, ON_PARAM], responses=MemberComplianceSerializer)
    def retrieve(self, request, pk=None):
        member = get_member_for_user(request.user, pk)
        on = _on(request)
        # The answer has the "no contact" counts, not the lists: counted only (list_limit=0).
        summary = selectors.compliance_summary(user=request.user, member=member, on=on, list_limit=0)
        links = links_visible_to(request.user).current(on).filter(member=member)
        summary["links"] = selectors.link_compliance(links=links, on=on)
        return Response(MemberComplianceSerializer(summary).data)


class PlaceComplianceViewSet(viewsets.ViewSet):
    """A city (rows per town), town (rows per village), village (rows per grid) or grid (rows per member)."""

    lookup_value_regex = r"[0-9]+"

    @extend_schema(parameters=[ID_PARAM, ON_PARAM], responses=ComplianceSummarySerializer)
    def retrieve(self, request, pk=None):
        place = get_compliance_place_for_user(request.user, pk)
        if place.kind == PlaceKind.CITY:
            # By town, from each town's latest snapshot (visits.snapshots), as the city compliance page.
            from .snapshots import city_summary

            return Response(ComplianceSummarySerializer(city_summary(place, on=_on(request))).data)
        breakdown = COMPLIANCE_KINDS[place.kind]
        summary = selectors.compliance_summary(
            user=request.user,
            place=place,
            on=_on(request),
            breakdown=breakdown,
            id_range=selectors.link_id_range(place.path),
            list_limit=0,  # the answer has the counts, not the lists
        )
        return Response(ComplianceSummarySerializer(summary).data)
