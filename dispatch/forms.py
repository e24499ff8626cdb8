from django import forms
from django.utils.translation import gettext_lazy as _

from grids.dates import BoundedDateField
from grids.enums import PlaceKind
from grids.models import Place
from members.models import Member

from .enums import JobName
from .periods import EXAMPLES

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png", ".txt")


class JobRunForm(forms.Form):
    job = forms.ChoiceField(label=_("任务"), choices=JobName.choices)
    period = forms.CharField(
        label=_("周期"),
        max_length=20,
    )
    town = forms.ChoiceField(label=_("镇"), choices=())

    ALL = "all"

    def __init__(self, *args, towns=(), may_run_all: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(t.pk), t.name) for t in towns]
        if may_run_all:
            choices.insert(0, (self.ALL, _("全部镇(每镇一个后台任务)")))
        self.fields["town"].choices = choices
        # Built per form, not at import, so the job names follow the request's language.
        self.fields["period"].help_text = " · ".join(f"{JobName(k).label}: {v}" for k, v in EXAMPLES.items())

    def town_id(self) -> int | None:
        value = self.cleaned_data["town"]
        return None if value == self.ALL else int(value)


class OrderForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    task = forms.CharField(label=_("任务内容"), widget=forms.Textarea)
    due_date = BoundedDateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}))
    villages = forms.ModelMultipleChoiceField(
        label=_("下发到村(社区)专干"),
        queryset=Place.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    grids = forms.ModelMultipleChoiceField(
        label=_("下发到网格长"),
        queryset=Place.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.ModelMultipleChoiceField(
        label=_("下发到人员"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    attachment = forms.FileField(label=_("附件(可选)"), required=False)

    def __init__(self, *args, town: Place, **kwargs):
        super().__init__(*args, **kwargs)
        under = Place.objects.filter(path__startswith=town.path)
        self.fields["villages"].queryset = under.filter(kind=PlaceKind.VILLAGE).order_by("path")
        self.fields["grids"].queryset = under.filter(kind=PlaceKind.GRID3).order_by("path")
        self.fields["members"].queryset = Member.objects.filter(path__startswith=town.path).order_by(
            "path", "name"
        )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return upload
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("附件不能超过10MB"))
        if not upload.name.lower().endswith(ATTACHMENT_EXTENSIONS):
            raise forms.ValidationError(_("附件类型不支持,请上传 PDF、Word、Excel、图片或文本"))
        return upload


class OrderDoneForm(forms.Form):
    report = forms.CharField(label=_("办理情况"), widget=forms.Textarea, max_length=2000)
