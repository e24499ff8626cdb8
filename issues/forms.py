"""Forms for pages. They only parse input; the rules live in issues.services and issues.access."""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.dates import BoundedDateField
from grids.enums import DepartmentKind, PlaceKind
from grids.models import Department, Household, Place
from grids.paths import ancestors
from members.access import (
    households_writable_by,
    places_writable_by,
    scope_for,
    villages_visible_to,
)
from members.models import Link

from .enums import AssignmentStatus, IssueKind, IssueLevel, IssueStatus, Satisfaction, Urgency, WhistleKind
from .models import IssueCategory, WhistleAssignment
from .services import MAX_PHOTOS, return_contacts


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("照片最多 %(n)d 张") % {"n": MAX_PHOTOS})
        single = super().clean
        return [single(f, initial) for f in files]


class RaiseForm(forms.Form):
    household = forms.ModelChoiceField(label=_("户"), queryset=Household.objects.none(), required=False)
    household_code = forms.CharField(
        label=_("或输入户编号"), max_length=40, required=False, help_text=_("不在列表中的户可输入户编号")
    )
    place = forms.ModelChoiceField(
        label=_("或选择地点(村/网格)"), queryset=Place.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("类型"), choices=IssueKind.choices, initial=IssueKind.DEMAND)
    category = forms.ModelChoiceField(label=_("类别"), queryset=IssueCategory.objects.filter(active=True))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    description = forms.CharField(label=_("情况描述"), widget=forms.Textarea, max_length=2000)
    photos = MultipleImageField(label=_("照片(可选,最多5张)"), required=False)
    outcome = forms.ChoiceField(
        label=_("处理方式"),
        choices=[
            ("escalate", _("现场无法解决,上报网格")),
            ("solved", _("已现场解决")),
            ("keep", _("暂存,稍后处理")),
        ],
        initial="escalate",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("上报理由 / 现场解决结果"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, user, initial_household: Household | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only where the user may write (write scope or own links): seeing a household is not enough.
        visible = households_writable_by(user)
        self.fields["household"].queryset = visible
        # Only the member's own households are listed (a town has thousands); others by code.
        member = scope_for(user).member
        own = (
            visible.filter(pk__in=Link.objects.current().filter(member=member).values("household_id"))
            if member is not None
            else Household.objects.none()
        )
        listed = list(own.order_by("head_name")[:200])
        if initial_household is not None and initial_household not in listed:
            listed.insert(0, initial_household)
        self.fields["household"].choices = [("", "---------")] + [
            (h.pk, f"{h.head_name}({h.code})") for h in listed
        ]
        self.fields["place"].queryset = places_writable_by(user).filter(
            kind__in=[PlaceKind.VILLAGE, PlaceKind.GRID3, PlaceKind.GRID4]
        )

    def clean(self):
        data = super().clean()
        code = (data.get("household_code") or "").strip()
        if code and not data.get("household"):
            household = households_writable_by(self.user).filter(code=code).first()
            if household is None:
                self.add_error("household_code", _("找不到该户或不在您的范围"))
            data["household"] = household
        if not self.errors and bool(data.get("household")) == bool(data.get("place")):
            raise forms.ValidationError(_("请选择一户或一个地点"))
        outcome = data.get("outcome")
        if outcome in ("escalate", "solved") and not (data.get("note") or "").strip():
            self.add_error(
                "note",
                _("上报须说明理由") if outcome == "escalate" else _("请填写现场解决结果"),
            )
        return data


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EscalateForm(VersionForm):
    reason = forms.CharField(label=_("上报理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    to_level = forms.ChoiceField(
        choices=[("", "")] + [(IssueLevel.CENTRE.value, IssueLevel.CENTRE.label)],
        required=False,
        widget=forms.HiddenInput,
    )


class ResolveForm(VersionForm):
    result = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


def whistle_departments(user):
    """Departments a centre user may whistle to: the town offices of their towns and city departments above."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Department.objects.filter(active=True).exclude(
            kind__in=[DepartmentKind.CENTRE, DepartmentKind.DISCIPLINE]
        )
    prefixes = {prefix for path in scope.town_paths for prefix in ancestors(path)}
    return Department.objects.filter(
        active=True,
        place__path__in=sorted(prefixes),
        kind__in=[DepartmentKind.TOWN_OFFICE, DepartmentKind.CITY_DEPT],
    ).order_by("kind", "name")


class WhistleForm(VersionForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("吹哨部门"), queryset=Department.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(label=_("哨型"), choices=WhistleKind.choices, initial=WhistleKind.ROUTINE)
    deadline = forms.DateTimeField(
        label=_("办理期限"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("请输入正确的日期时间")},
    )
    note = forms.CharField(label=_("交办说明"), required=False, max_length=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import whistle_deadlines

        departments = list(whistle_departments(user))
        self.fields["departments"].queryset = whistle_departments(user)
        # Grouped: town offices first, then city departments, so which box is which reads at a glance.
        groups = []
        for kind, label in (
            (DepartmentKind.TOWN_OFFICE, _("镇线办/所/队")),
            (DepartmentKind.CITY_DEPT, _("市直部门单位")),
        ):
            rows = [(d.pk, d.name) for d in departments if d.kind == kind]
            if rows:
                groups.append((label, rows))
        self.fields["departments"].choices = groups
        # The default deadline of each kind: shown, filled in by static/js/whistle.js when the kind changes,
        # editable; left empty, the service uses the kind's default.
        defaults = {k: timezone.localtime(v) for k, v in whistle_deadlines(timezone.now()).items()}
        field = self.fields["deadline"]
        field.widget.attrs["data-defaults"] = json.dumps(
            {k: v.strftime("%Y-%m-%dT%H:%M") for k, v in defaults.items()}
        )
        field.help_text = _("留空按哨型默认期限:%(list)s") % {
            "list": ";".join(f"{WhistleKind(k).label} {v:%m-%d %H:%M}" for k, v in defaults.items())
        }
        if not self.is_bound:
            field.initial = defaults[WhistleKind.ROUTINE].replace(tzinfo=None)
            field.widget.attrs["data-auto"] = "1"

    def clean_deadline(self):
        value = self.cleaned_data.get("deadline")
        if value is None:
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        # The pre-filled default of some kind, left as it was (e.g. the kind changed without JavaScript):
        # the service applies the chosen kind's default.
        from .services import whistle_deadlines

        shown = {
            timezone.localtime(v).replace(second=0, microsecond=0)
            for v in whistle_deadlines(timezone.now()).values()
        }
        return None if timezone.localtime(value) in shown else value


class BulkWhistleForm(WhistleForm):
    version = None
    picks = forms.CharField(required=False)

    def __init__(self, *args, picks: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.raw_picks = picks

    def clean(self):
        data = super().clean()
        parsed = []
        for raw in self.raw_picks:
            issue_id, _sep, version = raw.partition(":")
            if not (issue_id.isdigit() and version.isdigit()):
                raise forms.ValidationError(_("选择的事项无效"))
            parsed.append((int(issue_id), int(version)))
        if not parsed:
            raise forms.ValidationError(_("请先勾选要吹哨的事项"))
        data["parsed_picks"] = parsed
        return data


class ReturnForm(VersionForm):
    assignment = forms.ModelChoiceField(label=_("退回的部门"), queryset=WhistleAssignment.objects.none())
    reason = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = issue.assignments.filter(
            status__in=[AssignmentStatus.REPLIED, AssignmentStatus.SENT_BACK]
        ).select_related("department")
        self.fields["assignment"].label_from_instance = lambda a: (
            f"{a.department.name}({a.get_status_display()})"
        )


class SuperviseForm(forms.Form):
    note = forms.CharField(label=_("督办意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
    deadline = BoundedDateField(label=_("新的办理期限"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_deadline(self):
        day = self.cleaned_data["deadline"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("新期限不能早于今天"))
        return day


class FeedbackForm(VersionForm):
    satisfaction = forms.ChoiceField(
        label=_("群众满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("群众意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    contact = forms.ModelChoiceField(label=_("回访记录(可选)"), queryset=None, required=False)

    def __init__(self, *args, user, issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = return_contacts(issue, scope_for(user).member).order_by(
            "-occurred_at"
        )


class AssignmentAcceptForm(VersionForm):
    pass


class AssignmentReplyForm(VersionForm):
    result = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class AssignmentSendBackForm(VersionForm):
    reason = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DeskFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("范围"),
        choices=[("waiting", _("待本级处理")), ("all", _("全部"))],
        required=False,
    )
    village = forms.ModelChoiceField(label=_("村(社区)"), queryset=Place.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("类别"), queryset=IssueCategory.objects.all(), required=False)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=[("", _("全部"))] + Urgency.choices, required=False
    )
    whistle_kind = forms.ChoiceField(
        label=_("哨型"), choices=[("", _("全部"))] + WhistleKind.choices, required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部"))] + IssueStatus.choices, required=False
    )
    overdue = forms.BooleanField(label=_("只看超期"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages_visible_to(user).order_by("name")
