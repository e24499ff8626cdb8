"""The Django admin, scoped: every changelist, autocomplete and filter choice uses members.access.

Admin for grids models is registered here as well, because scoping lives in members (above grids).
Permissions follow the user's posts instead of Django's per-model permission table: town staff manage
the town; village officers and grid heads view and change households in their place; the discipline
commission views the town read-only.
"""

import datetime

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from grids.admin_filters import scoped_filters
from grids.admin_readonly import ReadOnlyAdminMixin
from grids.enums import PlaceKind
from grids.models import Department, Household, Place
from grids.services import household_paths_sync

from .access import (
    households_visible_to,
    links_visible_to,
    members_visible_to,
    places_visible_to,
    scope_for,
)
from .admin_privacy import MaskedNumbersAdmin
from .models import Link, Member, Position

admin.site.site_header = _("联户 · 四联五到位 管理后台")
admin.site.site_title = _("联户管理后台")
admin.site.index_title = _("管理")

VillageFilter, GridFilter = scoped_filters(places_visible_to)


class ScopedAdmin(admin.ModelAdmin):
    """Access by post: view for anyone with a place, change in write scope, the rest for town staff."""

    list_per_page = 50
    show_full_result_count = False
    staff_edits = False  # may village officers / grid heads change rows in their place?

    def scoped_queryset(self, request):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.scoped_queryset(request)

    def has_module_permission(self, request):
        scope = scope_for(request.user)
        return request.user.is_active and request.user.is_staff and (scope.is_superuser or bool(scope.paths))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        scope = scope_for(request.user)
        if not self.has_module_permission(request) or not scope.write_paths:
            return False
        if scope.is_town_staff:
            return True
        if not self.staff_edits:
            return False
        return obj is None or scope.writes_path(getattr(obj, "path", ""))

    def has_add_permission(self, request):
        scope = scope_for(request.user)
        return self.has_module_permission(request) and (
            scope.is_town_staff or (self.staff_edits and bool(scope.write_paths))
        )

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request) and scope_for(request.user).is_town_staff

    # Choices of foreign keys on change forms, by field name: what the user may see, so a crafted POST
    # cannot attach a row to a household or member outside their scope (autocomplete only filters the UI).
    scoped_choices: dict = {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        chooser = self.scoped_choices.get(db_field.name)
        if chooser is not None:
            kwargs["queryset"] = chooser(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Scoped like every admin, read-only: the services write these rows (checked and logged there)."""


class DeploymentSettingAdmin(ScopedAdmin):
    """Settings shared by the whole deployment (they have no town field: issue categories, level and whistle
    deadlines, quota rules, award type defaults, assessment weights): anyone with a place views them; only a
    deployment administrator (superuser) adds, changes or deletes them, since a change applies to every town."""

    def scoped_queryset(self, request):
        return self.model.objects.all()

    def _administrator(self, request) -> bool:
        return self.has_module_permission(request) and request.user.is_superuser

    def has_add_permission(self, request):
        return self._administrator(request)

    def has_change_permission(self, request, obj=None):
        return self._administrator(request)

    def has_delete_permission(self, request, obj=None):
        return self._administrator(request)


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    scoped_choices = {"parent": places_visible_to}

    def scoped_queryset(self, request):
        return places_visible_to(request.user)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("name", "kind", "place", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    list_select_related = ("place",)

    def scoped_queryset(self, request):
        return Department.objects.filter(place__in=places_visible_to(request.user))


@admin.register(Household)
class HouseholdAdmin(MaskedNumbersAdmin, ScopedAdmin):
    staff_edits = True
    # Change pages show these masked; the full number only on purpose (members/admin_privacy.py).
    personal_numbers = ("phone", "id_number")
    personal_unique = ("id_number",)
    reveal_kind = "household"
    list_display = ("code", "head_name", "masked_phone", "where", "people_count", "category_badges")
    list_filter = (
        VillageFilter,
        GridFilter,
        "is_hardship",
        "is_disability",
        "is_elderly_alone",
        "is_left_behind",
        "is_key",
    )
    search_fields = ("code", "head_name", "address")
    autocomplete_fields = ("grid",)
    list_select_related = ("grid__parent__parent",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "grid", "head_name", "address", "phone", "id_number", "people_count")}),
        (
            _("类别"),
            {"fields": ("is_hardship", "is_disability", "is_elderly_alone", "is_left_behind", "is_key")},
        ),
        (_("其他"), {"fields": ("latitude", "longitude", "notes", "created_at", "updated_at")}),
    )

    def scoped_queryset(self, request):
        return households_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "grid" in form.changed_data:
            household_paths_sync(household_ids=[obj.pk])

    def get_search_results(self, request, queryset, search_term):
        # Searching by phone or ID would need the raw numbers in URLs and logs: search by name/code/address only.
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid":
            kwargs["queryset"] = places_visible_to(request.user).filter(
                kind__in=[PlaceKind.GRID3, PlaceKind.GRID4]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("所属网格"))
    def where(self, obj):
        grid = obj.grid
        parts = [grid.name]
        parent = grid.parent
        if grid.kind == PlaceKind.GRID4 and parent is not None:
            parts.insert(0, parent.name)
            parent = parent.parent
        if parent is not None:
            parts.insert(0, parent.name)
        return " / ".join(parts)

    @admin.display(description=_("类别"))
    def category_badges(self, obj):
        return format_html_join(
            " ", '<span class="badge">{}</span>', ((label,) for label in obj.category_labels)
        )


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    autocomplete_fields = ("place", "department")
    fk_name = "member"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "place":
            kwargs["queryset"] = places_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Member)
class MemberAdmin(MaskedNumbersAdmin, ScopedAdmin):
    personal_numbers = ("phone",)
    personal_unique = ("phone",)
    reveal_kind = "member"
    list_display = ("name", "role", "masked_phone", "home", "is_party_member", "is_exempt", "is_migrant")
    list_filter = (VillageFilter, "role", "is_exempt", "is_migrant", "is_party_member")
    search_fields = ("name", "unit")
    autocomplete_fields = ("home",)
    list_select_related = ("home",)
    inlines = [PositionInline]
    scoped_choices = {"home": places_visible_to}

    def scoped_queryset(self, request):
        return members_visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The link form's "migrant" autocomplete offers migrant party members only.
        if request.path.endswith("/autocomplete/") and request.GET.get("field_name") == "migrant":
            queryset = queryset.filter(is_migrant=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.phone_masked


class LinkStatusFilter(admin.SimpleListFilter):
    """Current / ended / not yet started, on today's date in Asia/Shanghai. Needs no query for its choices
    (a date_hierarchy would scan every link in scope on each page to list the dates)."""

    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("current", _("当前有效")), ("ended", _("已结束")), ("future", _("未开始"))]

    def queryset(self, request, queryset):
        today: datetime.date = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today)
        if self.value() == "ended":
            return queryset.filter(end_date__lt=today)
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


@admin.register(Link)
class LinkAdmin(ScopedAdmin):
    list_display = ("member", "link_type", "target_display", "start_date", "end_date")
    list_filter = (LinkStatusFilter, VillageFilter, GridFilter, "link_type")
    search_fields = ("member__name", "household__head_name", "household__code", "place__name")
    autocomplete_fields = ("member", "household", "place", "migrant")
    list_select_related = ("member", "household", "place", "migrant")
    scoped_choices = {
        "member": members_visible_to,
        "household": households_visible_to,
        "place": places_visible_to,
        "migrant": lambda user: members_visible_to(user).filter(is_migrant=True),
    }

    def scoped_queryset(self, request):
        return links_visible_to(request.user)

    @admin.display(description=_("联系对象"))
    def target_display(self, obj):
        return obj.target
