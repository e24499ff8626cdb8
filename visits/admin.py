"""Admin: quota rules (town staff change them), contacts read-only (they change through services, audited)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grids.admin_readonly import NoAddChangeMixin
from grids.paging import CappedCountPaginator
from members.admin import DeploymentSettingAdmin, ReadOnlyScopedAdmin

from .enums import ContactKind
from .models import Contact, ContactRevision, QuotaRule
from .selectors import contacts_visible_to


class QuotaRuleForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("计入的走访方式"), choices=ContactKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = QuotaRule
        fields = ["link_type", "kinds", "period", "min_count", "active", "note"]


@admin.register(QuotaRule)
class QuotaRuleAdmin(DeploymentSettingAdmin):
    form = QuotaRuleForm
    list_display = ("link_type", "kinds_display", "period", "min_count", "active")
    list_filter = ("link_type", "period", "active")

    @admin.display(description=_("计入的走访方式"))
    def kinds_display(self, obj):
        return "/".join(obj.kind_labels)


class RevisionInline(NoAddChangeMixin, admin.TabularInline):
    model = ContactRevision
    extra = 0
    can_delete = False
    fields = ("action", "changed_by", "changed_at", "changes")
    readonly_fields = fields


@admin.register(Contact)
class ContactAdmin(ReadOnlyScopedAdmin):
    list_display = ("occurred_at", "member", "kind", "target_display", "found_problem")
    # No date_hierarchy: its year links are a DISTINCT over every visible contact (a city superuser: 2.99 s
    # of a 3.17 s page). The date filter's choices (today, 7 days, this month, this year) cost no query and
    # each is a bounded range on the occurred_at index.
    list_filter = (
        ("occurred_at", admin.DateFieldListFilter),
        "kind",
        "found_problem",
        "duty_demands",
        "duty_disputes",
    )
    search_fields = ("member__name", "household__head_name", "place__name")
    list_select_related = ("member", "household", "place")
    paginator = CappedCountPaginator  # counts at most 10,000 rows: a city's contacts grow every year
    inlines = [RevisionInline]
    readonly_fields = [f.name for f in Contact._meta.fields] + ["households"]

    def scoped_queryset(self, request):
        return contacts_visible_to(request.user)

    @admin.display(description=_("对象"))
    def target_display(self, obj):
        return obj.target or "—"
