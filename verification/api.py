"""API for verification: the same selectors and services as the pages.

GET  /api/verification/flags/                 signals the reviewer may see (?month=YYYY-MM&kind=&status=)
POST /api/verification/flags/{id}/dismiss/    {"note": ""}            centre staff
POST /api/verification/flags/{id}/to-case/    {"note": ""}            centre staff
GET  /api/verification/calls/                 the call list (?month=YYYY-MM); full phone only for the caller
POST /api/verification/calls/{id}/record/     {"outcome": confirmed|denied|unreachable, "note": ""}
GET  /api/verification/cases/                 cases (reviewers) or the member's own decided cases
POST /api/verification/cases/{id}/decide/     {"decision": false|genuine|unverifiable, "reason": ""} discipline
POST /api/verification/cases/{id}/explain/    {"text": ""}            the member concerned, after the decision
Errors: 400 with {"detail": [messages]}, 403 for a wrong persona, 404 for what the user may not see.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grids.validators import mask_phone

from . import selectors, services
from .enums import CallOutcome, CaseDecision
from .models import Call, Case, CaseEvent, Flag
from .views import month_param


class FlagSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    reason = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    class Meta:
        model = Flag
        fields = ["id", "kind", "member", "member_name", "month", "status", "reason", "evidence", "contacts"]
        read_only_fields = fields

    def get_reason(self, obj) -> str:
        return services.reason_text(obj)

    def get_contacts(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.contacts.all())


class CallSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="contact.member.name", read_only=True)
    household_name = serializers.CharField(source="household.head_name", read_only=True, default="")
    phone = serializers.SerializerMethodField(help_text="完整号码仅回访人可见,其他人为脱敏号码")
    occurred_at = serializers.DateTimeField(source="contact.occurred_at", read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "contact",
            "village",
            "caller_village",
            "household",
            "household_name",
            "phone",
            "member_name",
            "occurred_at",
            "flagged",
            "outcome",
            "note",
            "called_at",
        ]
        read_only_fields = fields

    def get_phone(self, obj) -> str:
        if obj.household_id is None:
            return ""
        request = self.context["request"]
        if obj.outcome == CallOutcome.PENDING and services.may_call(request.user, obj):
            services.phones_shown(calls=[obj], request=request)
            return obj.household.phone
        return mask_phone(obj.household.phone)


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["kind", "at", "text"]


class CaseSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "contact",
            "member",
            "member_name",
            "status",
            "decision",
            "reason",
            "decided_at",
            "events",
        ]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CallRecordSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in CallOutcome.choices if c[0] != CallOutcome.PENDING])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=CaseDecision.choices)
    reason = serializers.CharField(max_length=2000)


class ExplainSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


MONTH = OpenApiParameter("month", str, description="YYYY-MM,缺省为本月")


class FlagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FlagSerializer
    queryset = Flag.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        flags = (
            selectors.flags_visible_to(self.request.user)
            .select_related("member")
            .prefetch_related("contacts")
        )
        if self.action == "list":
            flags = flags.filter(month=month_param(self.request.query_params.get("month")))
            for field in ("kind", "status"):
                if self.request.query_params.get(field):
                    flags = flags.filter(**{field: self.request.query_params[field]})
        return flags.order_by("-id")

    @extend_schema(parameters=[MONTH])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=NoteSerializer, responses=FlagSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        flag = self.get_object()
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.flag_dismiss(user=request.user, flag=flag, note=payload.validated_data["note"])
        return Response(FlagSerializer(Flag.objects.get(pk=flag.pk)).data)

    @extend_schema(request=NoteSerializer, responses=FlagSerializer)
    @action(detail=True, methods=["post"], url_path="to-case")
    def to_case(self, request, pk=None):
        flag = self.get_object()
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.flag_to_case(user=request.user, flag=flag, note=payload.validated_data["note"])
        return Response(FlagSerializer(Flag.objects.get(pk=flag.pk)).data)


class CallViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CallSerializer
    queryset = Call.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        calls = selectors.calls_visible_to(self.request.user).select_related(
            "contact__member", "household", "caller_village"
        )
        if self.action == "list":
            calls = calls.filter(sample__month=month_param(self.request.query_params.get("month")))
        return calls.order_by("village_id", "id")

    @extend_schema(parameters=[MONTH])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CallRecordSerializer, responses=CallSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        call = self.get_object()
        payload = CallRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.call_record(user=request.user, call=call, **payload.validated_data)
        return Response(
            CallSerializer(self.get_queryset().get(pk=call.pk), context={"request": request}).data
        )


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CaseSerializer
    queryset = Case.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            selectors.cases_visible_to(self.request.user)
            .select_related("member")
            .prefetch_related("events")
            .order_by("-id")
        )

    @extend_schema(request=DecideSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        case = self.get_object()
        payload = DecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_decide(user=request.user, case=case, **payload.validated_data)
        return Response(CaseSerializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=ExplainSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def explain(self, request, pk=None):
        case = self.get_object()
        payload = ExplainSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_explain(user=request.user, case=case, text=payload.validated_data["text"])
        return Response(CaseSerializer(self.get_queryset().get(pk=case.pk)).data)
