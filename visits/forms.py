"""Forms for recording and correcting a contact. They only parse input; the rules live in visits.services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import ContactKind, Duty
from .periods import TZ

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("走访方式"), widget=forms.RadioSelect)
    occurred_at = forms.DateTimeField(
        label=_("走访时间"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("请输入正确的日期时间")},
    )
    duties = forms.MultipleChoiceField(
        label=_("五到位"),
        choices=Duty.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "duties"}),
        error_messages={"required": _("请至少选择一项“五到位”内容")},
    )
    households = forms.ModelMultipleChoiceField(
        label=_("屋场夜话同时参加的户"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("走访情况"), widget=forms.Textarea, required=False, max_length=2000)
    found_problem = forms.BooleanField(label=_("发现问题,需要上报"), required=False)
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    # Filled by static/js/position.js when the member taps "附上当前位置" (home visits only; never required).
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, kinds, default_kind: str, households_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in ContactKind if k in kinds]
        if households_qs is None:
            del self.fields["households"]
        else:
            self.fields["households"].queryset = households_qs
            self.fields["households"].label_from_instance = lambda h: f"{h.head_name}({h.code})"
        if not self.is_bound:
            now = timezone.now().astimezone(TZ).replace(second=0, microsecond=0, tzinfo=None)
            self.initial.setdefault("occurred_at", now)
            self.initial.setdefault("kind", default_kind)
            # A fresh id per rendered form: a resubmit of this form (after a network failure) is idempotent.
            self.initial.setdefault("client_id", uuid.uuid4())

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        # The phone sends local wall time: read it in Asia/Shanghai whatever the server says.
        if timezone.is_aware(value):
            value = value.astimezone(TZ).replace(tzinfo=None)
        return value.replace(tzinfo=TZ)


class ContactEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("走访方式"), widget=forms.RadioSelect)
    occurred_at = ContactForm.base_fields["occurred_at"]
    duties = ContactForm.base_fields["duties"]
    summary = ContactForm.base_fields["summary"]
    found_problem = ContactForm.base_fields["found_problem"]

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in ContactKind if k in kinds]

    clean_occurred_at = ContactForm.clean_occurred_at
