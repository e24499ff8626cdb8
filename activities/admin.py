from django.contrib import admin

from .models import Activity, ActivityTemplate, LectureTeam, SignUp, Station
from .services import activities_visible_to, stations_managed_by


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "place")
    autocomplete_fields = ("place",)

    def get_queryset(self, request):
        return stations_managed_by(request.user).select_related("place")


@admin.register(ActivityTemplate)
class ActivityTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "month", "day", "hours", "capacity", "required")


class SignUpInline(admin.TabularInline):
    model = SignUp
    extra = 0
    autocomplete_fields = ("member",)
    fields = ("member", "status", "attended", "hours", "recorded_at")
    readonly_fields = ("recorded_at",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("title", "station", "kind", "starts_at", "capacity", "status")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    autocomplete_fields = ("organiser",)
    inlines = [SignUpInline]

    def get_queryset(self, request):
        return activities_visible_to(request.user).select_related("station")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "station":
            kwargs["queryset"] = stations_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(LectureTeam)
class LectureTeamAdmin(admin.ModelAdmin):
    """宣讲队: membership and topics (sessions are activities with the team set)."""

    list_display = ("name", "station", "leader")
    autocomplete_fields = ("members", "leader")
    filter_horizontal = ()

    def get_queryset(self, request):
        return super().get_queryset(request).filter(station__in=stations_managed_by(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "station":
            kwargs["queryset"] = stations_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
