"""Admin of the notifications app: each town's channel policy (scoped like the rest, members.admin)."""

from django.contrib import admin

from grids.enums import PlaceKind
from members.access import places_visible_to, scope_for
from members.admin import ScopedAdmin

from .models import TownChannels


@admin.register(TownChannels)
class TownChannelsAdmin(ScopedAdmin):
    """镇提醒渠道设置: which external channels the town's members may be reached by (town staff)."""

    list_display = ("town", "sms", "wecom", "email")
    scoped_choices = {"town": lambda user: places_visible_to(user).filter(kind=PlaceKind.TOWN)}

    def scoped_queryset(self, request):
        scope = scope_for(request.user)
        return TownChannels.objects.select_related("town").filter(scope.path_q("town__path"))

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and scope_for(request.user).is_town_staff
