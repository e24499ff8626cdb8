"""Admin pieces for personal numbers and the access log (registered from members/admin.py's import).

Change pages never carry a full phone or ID number: they show the masked number (read-only), with a
"显示完整号码" button for holders of `grids.reveal_personal_number` (static/js/reveal.js posts to
members:reveal, which logs the reveal), and an empty field to type a new full number; nothing is pre-filled.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids.admin_readonly import ReadOnlyAdminMixin
from grids.crypto import id_number_hash
from grids.validators import (
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

from .models import AccessLog
from .privacy import access_log_visible_to, can_read_access_log, can_reveal, current_request

# number field → (normalise, validate, mask)
NUMBER_RULES = {
    "phone": (normalize_phone, validate_phone, mask_phone),
    "id_number": (normalize_id_number, validate_id_number, mask_id_number),
}
# number field → filter finding another row with the same number (for models where it is unique)
UNIQUE_LOOKUPS = {
    "phone": lambda value: {"phone": value},
    "id_number": lambda value: {"id_number_hash": id_number_hash(value)},
}


class NoEchoInput(forms.TextInput):
    """A text input that never renders a value: no full number is written into a page, not even the one just
    typed when the form comes back with an error."""

    def format_value(self, value):
        return None


class PersonalNumbersForm(forms.ModelForm):
    """Base of the forms made by `numbers_form`: `new_<field>` replaces a number, `clear_<field>` empties it."""

    personal_numbers: tuple[str, ...] = ()
    personal_unique: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            for name in self.personal_numbers:
                self.fields.pop(f"clear_{name}", None)
                if f"new_{name}" in self.fields:
                    self.fields[f"new_{name}"].label = self._meta.model._meta.get_field(name).verbose_name
                    self.fields[f"new_{name}"].help_text = ""

    def clean(self):
        cleaned = super().clean()
        model = self._meta.model
        for name in self.personal_numbers:
            key = f"new_{name}"
            if key not in self.fields:
                continue
            normalize, validate, _mask = NUMBER_RULES[name]
            value = normalize(cleaned.get(key) or "")
            if value:
                try:
                    validate(value)
                except ValidationError as exc:
                    self.add_error(key, exc)
                    continue
                if name in self.personal_unique:
                    taken = model._default_manager.filter(**UNIQUE_LOOKUPS[name](value))
                    if self.instance.pk is not None:
                        taken = taken.exclude(pk=self.instance.pk)
                    if taken.exists():
                        self.add_error(key, gettext("该号码已被另一条记录使用"))
                        continue
                setattr(self.instance, name, value)
            elif cleaned.get(f"clear_{name}"):
                setattr(self.instance, name, "")
        return cleaned


def _lazy_label(template: str, label):
    """A label translated when rendered, in the request's language."""
    return lazy(lambda: gettext(template) % {"label": label}, str)()


def numbers_form(model, numbers: tuple[str, ...], unique: tuple[str, ...]) -> type[PersonalNumbersForm]:
    attrs: dict = {"personal_numbers": numbers, "personal_unique": unique}
    for name in numbers:
        label = model._meta.get_field(name).verbose_name
        attrs[f"new_{name}"] = forms.CharField(
            label=_lazy_label("更换%(label)s", label),
            required=False,
            max_length=40,
            help_text=_("输入新的完整号码即更换;留空则保持不变"),
            widget=NoEchoInput(attrs={"autocomplete": "off"}),
        )
        attrs[f"clear_{name}"] = forms.BooleanField(label=_lazy_label("清除%(label)s", label), required=False)
    return type(PersonalNumbersForm)(f"{model.__name__}NumbersForm", (PersonalNumbersForm,), attrs)


class MaskedNumbersAdmin(admin.ModelAdmin):
    """Admin whose `personal_numbers` fields are shown masked, revealed on purpose, replaced by typing."""

    personal_numbers: tuple[str, ...] = ()
    personal_unique: tuple[str, ...] = ()
    reveal_kind = ""  # "household" or "member" (members.privacy.REVEALABLE)

    class Media:
        js = ("js/reveal.js",)

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.form = numbers_form(model, self.personal_numbers, self.personal_unique)

    def _expanded(self, request, obj, name: str) -> list[str]:
        if obj is None:
            return [f"new_{name}"]
        shown = [f"{name}_shown"]
        if self.has_change_permission(request, obj):
            return [*shown, f"new_{name}", f"clear_{name}"]
        return shown

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.personal_numbers]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [f"{name}_shown" for name in self.personal_numbers]
        return readonly

    def get_fields(self, request, obj=None):
        if self.fields:
            return self.fields
        made = {
            f"{p}{n}{s}"
            for n in self.personal_numbers
            for p, s in (("new_", ""), ("clear_", ""), ("", "_shown"))
        }
        fields = [f for f in super().get_fields(request, obj) if f not in made]
        order = [f.name for f in self.model._meta.fields]
        for name in self.personal_numbers:
            after = [f for f in fields if f in order and order.index(f) > order.index(name)]
            fields.insert(fields.index(after[0]) if after else len(fields), name)
        return fields

    def get_fieldsets(self, request, obj=None):
        result = []
        for title, options in super().get_fieldsets(request, obj):
            fields = []
            for name in options["fields"]:
                fields += self._expanded(request, obj, name) if name in self.personal_numbers else [name]
            result.append((title, {**options, "fields": fields}))
        return result

    def _shown(self, obj, name: str):
        masked = NUMBER_RULES[name][2](getattr(obj, name) or "")
        if not masked:
            return "—"
        target = f"lianhu-{name}-{obj.pk}"
        html = format_html('<span class="lianhu-number" id="{}">{}</span>', target, masked)
        request = current_request()
        if request is not None and can_reveal(request.user):
            html += format_html(
                ' <button type="button" class="button lianhu-reveal" data-url="{}" data-target="{}">{}</button>',
                reverse("members:reveal", args=[self.reveal_kind, obj.pk, name]),
                target,
                gettext("显示完整号码"),
            )
        return html

    @admin.display(description=_("电话号码"))
    def phone_shown(self, obj):
        return self._shown(obj, "phone")

    @admin.display(description=_("身份证号"))
    def id_number_shown(self, obj):
        return self._shown(obj, "id_number")


# --- the access log -------------------------------------------------------------------------------------------


class AccessLogActorFilter(admin.SimpleListFilter):
    title = _("操作人")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        rows = (
            access_log_visible_to(request.user)
            .exclude(actor=None)
            .order_by("actor_name", "actor_id")
            .values_list("actor_id", "actor_name")
            .distinct()[:200]
        )
        return [(str(actor), name) for actor, name in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the discipline commission and town staff read their town's log; nobody edits it."""

    list_display = ("created_at", "actor_name", "action", "object_repr", "ip")
    list_filter = ("action", AccessLogActorFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_name", "object_repr")
    list_per_page = 50
    show_full_result_count = False
    actions = None
    fields = (
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "place_path",
        "detail_text",
        "ip",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return access_log_visible_to(request.user)

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and can_read_access_log(user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    @admin.display(description=_("详情"))
    def detail_text(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.detail, ensure_ascii=False, indent=1))
