"""API over issues, their events and department assignments: the same scoping (issues.access) and the
same services as the pages. One endpoint per action; refusals are answered by grids/api_errors.py: 400,
403 when it is about who asks, 409 for a stale version."""

from __future__ import annotations

import datetime

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from grids.dates import BoundedDateFilter
from grids.enums import PlaceKind
from grids.models import Department, Place
from members.access import places_visible_to, scope_for

from . import selectors, services
from .access import assignments_visible_to, events_visible_to, get_issue_for_user
from .deadlines import start_of_local_day
from .enums import OPEN_ASSIGNMENT_STATUSES, IssueAction, IssueLevel, IssueStatus, WhistleKind
from .models import Issue, IssueEvent, WhistleAssignment
from .serializers import (
    AnswerInput,
    AssignmentSerializer,
    EscalateInput,
    EventSerializer,
    FeedbackInput,
    IssueDetailSerializer,
    IssueSerializer,
    RaiseInput,
    ResolveInput,
    ReturnInput,
    SuperviseInput,
    WhistleInput,
)
from .services import IssueError


def _visible_places(request):
    return places_visible_to(request.user) if request is not None else Place.objects.none()


def _visible_villages(request):
    return _visible_places(request).filter(kind=PlaceKind.VILLAGE)


def _visible_grids(request):
    return _visible_places(request).filter(kind__in=[PlaceKind.GRID3, PlaceKind.GRID4])


@extend_schema_field(OpenApiTypes.INT)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter on an id, typed as an integer in the OpenAPI schema."""


class IssueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices)
    level = django_filters.ChoiceFilter(choices=IssueLevel.choices)
    village = IdChoiceFilter(queryset=_visible_villages, method="under_place")
    grid = IdChoiceFilter(queryset=_visible_grids, method="under_place")
    department = IdChoiceFilter(queryset=Department.objects.all(), method="to_department")
    whistle_kind = django_filters.ChoiceFilter(choices=WhistleKind.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    raised_from = BoundedDateFilter(method="filter_raised_from")
    raised_to = BoundedDateFilter(method="filter_raised_to")

    class Meta:
        model = Issue
        fields = ["status", "level", "category", "urgency", "whistle_kind", "kind"]

    def under_place(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)

    def to_department(self, queryset, name, value):
        return selectors.filter_issues(queryset, department_id=value.pk)

    def filter_overdue(self, queryset, name, value):
        return selectors.filter_issues(queryset, overdue=value)

    def filter_raised_from(self, queryset, name, value):
        return selectors.filter_issues(queryset, raised_from=value)

    def filter_raised_to(self, queryset, name, value):
        return selectors.filter_issues(queryset, raised_to=value)


def _own_contact(user, contact_id):
    if not contact_id:
        return None
    from visits.models import Contact

    contact = Contact.objects.filter(pk=contact_id, member=scope_for(user).member).first()
    if contact is None:
        raise IssueError(_("走访记录不存在"))
    return contact


class IssueViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    filterset_class = IssueFilter

    def get_queryset(self):
        return selectors.issues_for_api(self.request.user).prefetch_related("assignments__department")

    def get_serializer_class(self):
        return IssueDetailSerializer if self.action == "retrieve" else IssueSerializer

    def _issue(self) -> Issue:
        return get_issue_for_user(self.request.user, self.kwargs["pk"])

    def _run(self, input_class, call):
        data = input_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        result = call(data.validated_data)
        issue = result if isinstance(result, Issue) else Issue.objects.get(pk=result.issue_id)
        return Response(IssueDetailSerializer(issue).data)

    @extend_schema(request=RaiseInput, responses=IssueDetailSerializer)
    def create(self, request, *args, **kwargs):
        data = RaiseInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        issue = services.issue_raise(
            user=request.user,
            category=d["category"],
            kind=d["kind"],
            urgency=d["urgency"],
            description=d["description"],
            household=d.get("household"),
            place=d.get("place"),
            contact=_own_contact(request.user, d.get("contact")),
            solved_result=d["solved_result"],
            escalate_reason=d["escalate_reason"],
        )
        return Response(IssueDetailSerializer(issue).data, status=status.HTTP_201_CREATED)

    def _act(self, action: str, input_class, prepare=lambda d: d):
        issue = self._issue()
        return self._run(
            input_class,
            lambda d: services.issue_act(action, user=self.request.user, issue_id=issue.pk, data=prepare(d)),
        )

    @extend_schema(request=EscalateInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._act(IssueAction.ESCALATE, EscalateInput)

    @extend_schema(request=ResolveInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._act(IssueAction.RESOLVE, ResolveInput)

    @extend_schema(request=WhistleInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def whistle(self, request, pk=None):
        return self._act(IssueAction.WHISTLE, WhistleInput)

    @extend_schema(request=ReturnInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_department(self, request, pk=None):
        return self._act(IssueAction.RETURN, ReturnInput)

    @extend_schema(request=SuperviseInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def supervise(self, request, pk=None):
        return self._act(IssueAction.SUPERVISE, SuperviseInput)

    @extend_schema(request=FeedbackInput, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        return self._act(
            IssueAction.FEEDBACK,
            FeedbackInput,
            lambda d: {**d, "contact": _own_contact(request.user, d.get("contact"))},
        )

    @extend_schema(responses=EventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def events(self, request, pk=None):
        """The issue's timeline, oldest first, paginated like every list (count / next / previous / results)."""
        issue = self._issue()
        page = self.paginate_queryset(selectors.issue_timeline(issue))
        return self.get_paginated_response(EventSerializer(page, many=True).data)


class EventFilter(django_filters.FilterSet):
    created_from = BoundedDateFilter(method="filter_from")
    created_to = BoundedDateFilter(method="filter_to")

    class Meta:
        model = IssueEvent
        fields = ["issue", "action"]

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_local_day(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of_local_day(value + datetime.timedelta(days=1)))


class IssueEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return events_visible_to(self.request.user).order_by("created_at", "id")


class AssignmentFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = WhistleAssignment
        fields = ["status", "kind", "department", "issue"]

    def filter_overdue(self, queryset, name, value):
        late = {"status__in": OPEN_ASSIGNMENT_STATUSES, "deadline__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Assignments the user can see; handlers answer theirs here."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return (
            assignments_visible_to(self.request.user)
            .select_related("department")
            .order_by("-whistled_at", "-id")
        )

    def _answer(self, call):
        assignment = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if assignment is None:
            raise NotFound
        data = AnswerInput(data=self.request.data)
        data.is_valid(raise_exception=True)
        assignment = call(assignment, data.validated_data)
        return Response(AssignmentSerializer(assignment).data)

    def _act(self, action: str):
        return self._answer(
            lambda a, d: services.assignment_act(action, user=self.request.user, assignment_id=a.pk, data=d)
        )

    @extend_schema(request=AnswerInput, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(IssueAction.ACCEPT)

    @extend_schema(request=AnswerInput, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._act(IssueAction.REPLY)

    @extend_schema(request=AnswerInput, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        return self._act(IssueAction.SEND_BACK)
