from rest_framework import serializers

from grids.dates import validate_date_in_range
from grids.models import Department, Household, Place

from .enums import IssueKind, Satisfaction, Urgency, WhistleKind
from .models import Issue, IssueCategory, IssueEvent, WhistleAssignment


class AssignmentSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = WhistleAssignment
        fields = [
            "id",
            "issue",
            "department",
            "department_name",
            "kind",
            "status",
            "deadline",
            "is_overdue",
            "note",
            "result",
            "reason",
            "whistled_at",
            "answered_at",
            "version",
        ]


class IssueSerializer(serializers.ModelSerializer):
    """Household identity leaves the server as name and code only (no phone, no ID number)."""

    category_name = serializers.CharField(source="category.name", read_only=True)
    subject = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    raised_by_name = serializers.CharField(source="raised_by.name", read_only=True)

    class Meta:
        model = Issue
        fields = [
            "id",
            "kind",
            "category",
            "category_name",
            "urgency",
            "description",
            "household",
            "place",
            "subject",
            "contact",
            "raised_by",
            "raised_by_name",
            "raised_at",
            "level",
            "status",
            "deadline",
            "is_overdue",
            "whistle_kind",
            "result",
            "resolved_level",
            "resolved_at",
            "satisfaction",
            "last_supervision_note",
            "last_supervised_at",
            "version",
        ]


class IssueDetailSerializer(IssueSerializer):
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "assignments"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IssueEvent
        fields = [
            "id",
            "issue",
            "action",
            "actor_name",
            "created_at",
            "from_level",
            "to_level",
            "from_status",
            "to_status",
            "department",
            "whistle_kind",
            "deadline",
            "note",
        ]


# --- input for actions (the same services as the pages) ---------------------------------------------


class RaiseInput(serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True
    )
    place = serializers.PrimaryKeyRelatedField(queryset=Place.objects.all(), required=False, allow_null=True)
    contact = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=IssueCategory.objects.filter(active=True))
    kind = serializers.ChoiceField(choices=IssueKind.choices, default=IssueKind.DEMAND)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    description = serializers.CharField(max_length=2000)
    solved_result = serializers.CharField(required=False, allow_blank=True, default="")
    escalate_reason = serializers.CharField(required=False, allow_blank=True, default="")


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class EscalateInput(VersionInput):
    reason = serializers.CharField(allow_blank=True)
    to_level = serializers.ChoiceField(choices=["village", "grid", "centre"], required=False, allow_null=True)


class ResolveInput(VersionInput):
    result = serializers.CharField(allow_blank=True)


class WhistleInput(VersionInput):
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(active=True), many=True
    )
    kind = serializers.ChoiceField(choices=WhistleKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReturnInput(VersionInput):
    assignment = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class SuperviseInput(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=500)
    deadline = serializers.DateField(validators=[validate_date_in_range])


class FeedbackInput(VersionInput):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.IntegerField(required=False, allow_null=True)


class AnswerInput(VersionInput):
    result = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
