from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.dates import BoundedDateField

from .enums import LedgerKind, PeriodKind
from .periods import PeriodError, ReportPeriod, custom_period, period_of


class PeriodForm(forms.Form):
    """Month / quarter / year containing a day, or a custom range. Bound to GET parameters."""

    period = forms.ChoiceField(label=_("周期"), choices=PeriodKind.choices, initial=PeriodKind.MONTH)
    on = BoundedDateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start = BoundedDateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        kind = data.get("period")
        if kind is None:
            return data
        try:
            if kind == PeriodKind.CUSTOM:
                if not data.get("start") or not data.get("end"):
                    raise PeriodError(_("自定义范围需填写开始和结束日期"))
                data["report_period"] = custom_period(data["start"], data["end"])
            else:
                on = data.get("on") or timezone.localdate()
                if on.year < 2000 or on.year > 2100:
                    raise PeriodError(_("日期超出范围"))
                data["report_period"] = period_of(kind, on)
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


def period_from_request(request) -> tuple[PeriodForm, ReportPeriod]:
    """The bound form and the period it chose; invalid input falls back to this month (errors stay on the form)."""
    data = request.GET.copy() if "period" in request.GET else QueryDict(mutable=True)
    data.setdefault("period", PeriodKind.MONTH)
    if not data.get("on"):  # show the day the period is taken from, not an empty box
        data["on"] = timezone.localdate().isoformat()
    form = PeriodForm(data)
    if form.is_valid():
        return form, form.cleaned_data["report_period"]
    return form, period_of(PeriodKind.MONTH, timezone.localdate())


class ExportForm(PeriodForm):
    kind = forms.ChoiceField(label=_("台账"), choices=LedgerKind.choices)
    full_numbers = forms.BooleanField(label=_("导出完整电话和身份证号"), required=False)


def default_year() -> int:
    return timezone.localdate().year


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2020, max_value=2100, initial=default_year)
