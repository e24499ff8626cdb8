import copy

from django.urls import reverse
from rest_framework import serializers

from .enums import ContactKind, Duty, Period, Status
from .models import Contact


class ContactSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    households = serializers.SerializerMethodField()
    duties = serializers.ListField(child=serializers.ChoiceField(choices=Duty.choices), read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "client_id",
            "member",
            "member_name",
            "kind",
            "occurred_at",
            "household",
            "place",
            "households",
            "link",
            "duties",
            "summary",
            "found_problem",
            "photos",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_households(self, obj) -> list[int]:
        return sorted(h.pk for h in obj.households.all())

    def get_photos(self, obj) -> list[str]:
        """Links to the scoped photo view (photos have no public URL)."""
        request = self.context.get("request")
        urls = [reverse("visits:photo", args=[photo.pk]) for photo in obj.photos.all()]
        return [request.build_absolute_uri(url) for url in urls] if request is not None else urls


_DATETIME = serializers.DateTimeField()


def contact_created_data(contact: Contact, request=None) -> dict:
    """`ContactSerializer(contact).data` for a contact just recorded (visits.services.contact_record), built
    directly: a ModelSerializer builds its sixteen fields anew for every answer, a third of the answer's CPU
    time. Same keys, order and formats (tests/visits/test_record_statements.py compares it with a fresh read).
    """
    photos = [reverse("visits:photo", args=[photo.pk]) for photo in contact.photos_written]
    if request is not None:
        photos = [request.build_absolute_uri(url) for url in photos]
    return {
        "id": contact.pk,
        "client_id": str(contact.client_id),
        "member": contact.member_id,
        "member_name": contact.member.name,
        "kind": contact.kind,
        "occurred_at": _DATETIME.to_representation(contact.occurred_at),
        "household": contact.household_id,
        "place": contact.place_id,
        "households": sorted(contact.household_ids_written),
        "link": contact.link_id,
        "duties": contact.duties,
        "summary": contact.summary,
        "found_problem": contact.found_problem,
        "photos": photos,
        "created_at": _DATETIME.to_representation(contact.created_at),
        "updated_at": _DATETIME.to_representation(contact.updated_at),
    }


MAX_ID = 2**63 - 1


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    """A fresh, unbound copy of a declared field: a shallow copy (a list field's child copied too and bound
    to the copy). Binding a field sets attributes on that field only (name, parent, label, source), and its
    validators, choices and error messages are only read while validating, so copies may share them."""
    new = copy.copy(field)
    if isinstance(field, serializers.ListField):
        new.child = copy.copy(field.child)
        new.child.source = None  # as ListField.__init__ finds it, before it binds its child
        new.child.bind(field_name="", parent=new)
    return new


class CopiedFieldsSerializer(serializers.Serializer):
    """A serializer whose fields are shallow copies of the declared ones.

    DRF deep-copies every declared field for each serializer, and a field deep-copies by running its
    constructor again: for the contact form that is 0.3 ms of every contact recorded (a twentieth of the
    request). Only plain fields and lists of them are copied this way; anything else (a nested serializer)
    keeps DRF's deep copy.
    """

    def get_fields(self):
        return {
            name: _unbound_copy(field) if _plain(field) else copy.deepcopy(field)
            for name, field in self._declared_fields.items()
        }


def _plain(field) -> bool:
    if isinstance(field, serializers.BaseSerializer):
        return False
    if isinstance(field, serializers.ListField):
        return _plain(field.child) and not isinstance(field.child, serializers.ListField)
    return not hasattr(field, "child") and not hasattr(field, "child_relation")


class ContactCreateSerializer(CopiedFieldsSerializer):
    """Input for POST /api/contacts/: ids are checked against the user's scope by the service."""

    client_id = serializers.UUIDField(help_text="客户端生成的编号;重复提交同一编号只保存一次")
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    occurred_at = serializers.DateTimeField()
    # Ids the database can hold (a bigint primary key): anything else is refused here, on every database.
    household = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    place = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    duties = serializers.ListField(child=serializers.ChoiceField(choices=Duty.choices), allow_empty=False)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    found_problem = serializers.BooleanField(required=False, default=False)
    latitude = serializers.DecimalField(
        max_digits=12,
        decimal_places=8,
        required=False,
        allow_null=True,
        min_value=-90,
        max_value=90,
        help_text="入户走访时手机的位置(可选),只保存到约 10 米",
    )
    longitude = serializers.DecimalField(
        max_digits=12, decimal_places=8, required=False, allow_null=True, min_value=-180, max_value=180
    )
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0, help_text="定位精度(米)")


class ContactUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices, required=False)
    occurred_at = serializers.DateTimeField(required=False)
    duties = serializers.ListField(
        child=serializers.ChoiceField(choices=Duty.choices), allow_empty=False, required=False
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    found_problem = serializers.BooleanField(required=False)


class RuleStatusSerializer(serializers.Serializer):
    rule = serializers.IntegerField(source="rule.pk")
    label = serializers.CharField(source="rule.label")
    period = serializers.ChoiceField(choices=Period.choices, source="rule.period")
    kinds = serializers.ListField(child=serializers.CharField(), source="rule.kinds")
    required = serializers.IntegerField()
    done = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField(source="period_last_day")


class LinkComplianceSerializer(serializers.Serializer):
    link = serializers.IntegerField(source="link.pk")
    link_type = serializers.CharField(source="link.link_type")
    member = serializers.IntegerField(source="link.member_id")
    household = serializers.IntegerField(source="link.household_id", allow_null=True)
    place = serializers.IntegerField(source="link.place_id", allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    last_contact_at = serializers.DateTimeField(allow_null=True)
    rules = RuleStatusSerializer(many=True)


class RuleShareSerializer(serializers.Serializer):
    label = serializers.CharField()
    period = serializers.ChoiceField(choices=Period.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    done = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_track = serializers.IntegerField(help_text="此要求未逾期的联系数")
    share_on_track = serializers.FloatField(allow_null=True, help_text="正常率:未逾期 ÷ 联系数(与类型行同义)")
    share_done = serializers.FloatField(allow_null=True, help_text="完成率:本期已完成 ÷ 联系数")


class TypeShareSerializer(serializers.Serializer):
    link_type = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_track = serializers.IntegerField()
    share_on_track = serializers.FloatField(allow_null=True)
    share_done = serializers.FloatField(allow_null=True, help_text="完成率:本期已完成 ÷ 联系数")
    rules = RuleShareSerializer(many=True)


class TotalsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_track = serializers.IntegerField()
    share_on_track = serializers.FloatField(allow_null=True)


class RowSerializer(TotalsSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    computed_at = serializers.DateTimeField(
        source="snapshot.computed_at",
        allow_null=True,
        required=False,
        help_text="仅市的各镇行:该镇快照的计算时间,尚未计算时为空(数字为 0)",
    )


class ComplianceSummarySerializer(serializers.Serializer):
    on = serializers.DateField()
    totals = TotalsSerializer()
    by_type = TypeShareSerializer(many=True)
    rows = RowSerializer(many=True)
    households_without_contact = serializers.IntegerField(help_text="本季度没有任何走访的户数")
    members_without_contact = serializers.IntegerField(help_text="本月没有记录走访的联户人员数")
    households_needing_pairing = serializers.IntegerField(
        help_text="联户人员已免于联户、需重新配对的户数(不计入其他任何统计)"
    )
    computed_at = serializers.DateTimeField(
        source="as_of",
        allow_null=True,
        required=False,
        help_text="仅市:数字来自各镇的合规快照,这是其中最早一份的计算时间",
    )


class MemberComplianceSerializer(ComplianceSummarySerializer):
    links = LinkComplianceSerializer(many=True)
