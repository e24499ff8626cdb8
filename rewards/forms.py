from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.dates import BoundedDateField
from grids.models import Department, Place

from .enums import AwardKind, Criterion, Half


class RoundCreateForm(forms.Form):
    town = forms.ModelChoiceField(queryset=Place.objects.none(), label=_("镇"), empty_label=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    half = forms.ChoiceField(label=_("评选"), choices=Half.choices)

    def __init__(self, *args, towns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = towns
        self.fields["year"].initial = timezone.localdate().year


class PeriodForm(forms.Form):
    period_start = BoundedDateField(label=_("统计开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = BoundedDateField(label=_("统计截止日期(含)"), widget=forms.DateInput(attrs={"type": "date"}))


class AwardTypeForm(forms.Form):
    name = forms.CharField(label=_("奖项"), max_length=50)
    kind = forms.ChoiceField(label=_("评选对象"), choices=AwardKind.choices)
    places = forms.IntegerField(label=_("名额"), min_value=1, max_value=100)
    prize = forms.DecimalField(label=_("奖金(元)"), min_value=0, max_digits=8, decimal_places=2)
    office = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("组织部门"), empty_label=None)

    def __init__(self, *args, town, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = Department.objects.filter(place=town, active=True)


class WeightsForm(forms.Form):
    def __init__(self, *args, criteria, initial_weights, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            self.fields[str(criterion)] = forms.DecimalField(
                label=Criterion(criterion).label,
                min_value=0,
                max_value=1000,
                decimal_places=2,
                initial=initial_weights.get(criterion),
            )


class NominateForm(forms.Form):
    subject = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("推荐理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(forms.Form):
    member = forms.IntegerField(label=_("人员编号"))
    reason = forms.CharField(label=_("整改原因"), widget=forms.Textarea(attrs={"rows": 2}))
