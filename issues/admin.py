"""Admin: the category list and the deadline settings are the deployment's (superusers change them, staff with
a place view them); issues and events are read-only here (every change goes through the services, so it
leaves an event)."""

from django.contrib import admin

from grids.admin_readonly import NoAddChangeMixin
from members.access import scope_for
from members.admin import DeploymentSettingAdmin, ReadOnlyScopedAdmin

from .access import issues_visible_to
from .models import Issue, IssueCategory, IssueEvent, LevelSetting, WhistleAssignment, WhistleSetting


class TownSettingAdmin(DeploymentSettingAdmin):
    """Settings with no place: deployment-wide (members.admin.DeploymentSettingAdmin); never deleted here."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IssueCategory)
class IssueCategoryAdmin(TownSettingAdmin):
    list_display = ("name", "active", "order")
    list_editable = ("active", "order")
    search_fields = ("name",)


@admin.register(WhistleSetting)
class WhistleSettingAdmin(TownSettingAdmin):
    list_display = ("kind", "amount", "unit")

    def has_add_permission(self, request):
        return False


@admin.register(LevelSetting)
class LevelSettingAdmin(TownSettingAdmin):
    list_display = ("level", "amount", "unit")

    def has_add_permission(self, request):
        return False


class EventInline(NoAddChangeMixin, admin.TabularInline):
    model = IssueEvent
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "action",
        "actor_name",
        "from_level",
        "to_level",
        "from_status",
        "to_status",
        "note",
    )
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(ReadOnlyScopedAdmin):
    list_display = ("id", "category", "level", "status", "urgency", "whistle_kind", "deadline", "raised_at")
    list_filter = ("status", "level", "urgency", "whistle_kind", "category")
    list_select_related = ("category",)
    search_fields = ("description",)
    inlines = [EventInline]
    exclude = ("household", "place", "raised_by", "contact")

    def scoped_queryset(self, request):
        return issues_visible_to(request.user)

    def has_module_permission(self, request):
        scope = scope_for(request.user)
        return (
            request.user.is_active
            and request.user.is_staff
            and (scope.is_superuser or bool(scope.town_paths))
        )


@admin.register(IssueEvent)
class IssueEventAdmin(ReadOnlyScopedAdmin):
    """Append-only: no add, change or delete, even for superusers."""

    list_display = ("issue", "created_at", "action", "actor_name", "from_level", "to_level", "to_status")
    list_filter = ("action",)
    list_select_related = ("issue__category",)

    def scoped_queryset(self, request):
        return IssueEvent.objects.filter(issue__in=issues_visible_to(request.user))

    def has_module_permission(self, request):
        return IssueAdmin.has_module_permission(self, request)


@admin.register(WhistleAssignment)
class WhistleAssignmentAdmin(ReadOnlyScopedAdmin):
    list_display = ("issue", "department", "kind", "status", "deadline")
    list_filter = ("status", "kind")
    list_select_related = ("department", "issue__category")

    def scoped_queryset(self, request):
        return WhistleAssignment.objects.filter(issue__in=issues_visible_to(request.user))

    def has_module_permission(self, request):
        return IssueAdmin.has_module_permission(self, request)
