"""List filters by village and grid whose choices are limited to what the user may see.

They take the scoped queryset of places as a callable so this module does not import members.access
(members sits above grids); members.admin wires them up.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .enums import PlaceKind
from .models import Place


class _PlaceFilter(admin.SimpleListFilter):
    path_field = "path"
    places_for_user = staticmethod(lambda user: Place.objects.none())

    def place_choices(self, request):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [(str(p.pk), p.name) for p in self.place_choices(request)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        place = self.places_for_user(request.user).filter(pk=int(value)).first()
        if place is None:
            return queryset.none()
        return queryset.filter(**{f"{self.path_field}__startswith": place.path})


class VillageFilter(_PlaceFilter):
    title = _("村(社区)")
    parameter_name = "village"

    def place_choices(self, request):
        return self.places_for_user(request.user).filter(kind=PlaceKind.VILLAGE).order_by("name")


class GridFilter(_PlaceFilter):
    title = _("网格")
    parameter_name = "grid"

    def place_choices(self, request):
        qs = self.places_for_user(request.user)
        village = request.GET.get("village", "")
        if village.isdigit():
            parent = qs.filter(pk=int(village), kind=PlaceKind.VILLAGE).first()
            if parent is None:
                return Place.objects.none()
            return qs.filter(path__startswith=parent.path, kind__in=[PlaceKind.GRID3, PlaceKind.GRID4])
        return qs.filter(kind=PlaceKind.GRID3).order_by("path")


def scoped_filters(places_for_user, path_field: str = "path"):
    """VillageFilter and GridFilter bound to a scoped place queryset and the model's path field."""
    attrs = {"places_for_user": staticmethod(places_for_user), "path_field": path_field}
    return (
        type("ScopedVillageFilter", (VillageFilter,), attrs),
        type("ScopedGridFilter", (GridFilter,), attrs),
    )
