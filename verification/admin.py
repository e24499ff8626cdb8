"""Admin: each town's signal thresholds, kept by that town's staff. Flags, calls and cases are handled on the
verification pages (every step checked and logged), not here."""

from django.contrib import admin

from grids.enums import PlaceKind
from grids.models import Place
from members.access import scope_for
from members.admin import ScopedAdmin

from .models import SignalSettings


def _towns_of(user):
    return Place.objects.filter(kind=PlaceKind.TOWN).filter(scope_for(user).path_q("path", write=True))


@admin.register(SignalSettings)
class SignalSettingsAdmin(ScopedAdmin):
    list_display = (
        "town",
        "far_metres",
        "burst_count",
        "burst_minutes",
        "late_hours",
        "sample_percent",
        "sample_min",
    )
    list_select_related = ("town",)
    scoped_choices = {"town": _towns_of}

    def scoped_queryset(self, request):
        return SignalSettings.objects.filter(scope_for(request.user).path_q("town__path"))

    def has_change_permission(self, request, obj=None):
        scope = scope_for(request.user)
        allowed = super().has_change_permission(request, obj) and scope.is_town_staff
        return allowed and (obj is None or scope.is_staff_of(obj.town.path))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)
