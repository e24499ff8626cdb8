"""Writes on the hierarchy."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from .enums import PARENT_KIND
from .models import Household, PathCopy, Place
from .signals import household_paths_moved, places_moved


def path_copies() -> list[type[PathCopy]]:
    """Every concrete model, in any installed app, that keeps a copy of a place's path (grids.models.PathCopy)."""
    return [model for model in apps.get_models() if issubclass(model, PathCopy)]


def household_path_copies() -> list[type[PathCopy]]:
    """The path copies taken from a household (`household` in their path_from)."""
    return [
        model
        for model in path_copies()
        if "household" in model.path_from and model._meta.get_field("household").related_model is Household
    ]


def rewrite_path_prefix(queryset, *, old_path: str, new_path: str, field: str = "path") -> int:
    """Replace the leading `old_path` of `field` by `new_path` for every row under old_path, in one UPDATE."""
    return queryset.filter(**{f"{field}__startswith": old_path}).update(
        **{field: Concat(Value(new_path), Substr(F(field), len(old_path) + 1))}
    )


@transaction.atomic
def place_move(*, place: Place, new_parent: Place) -> Place:
    """Move a place and everything under it to a new parent.

    Side effects: rewrites the materialized paths of the subtree and every copy of them (each subclass of
    grids.models.PathCopy: households, members, links, contacts, issues, orders, snapshots, flags...) in the
    same transaction, without grids having to import the apps above it.
    """
    if PARENT_KIND.get(place.kind) != new_parent.kind:
        raise ValidationError(_("目标上级的层级不正确"))
    if new_parent.path.startswith(place.path):
        raise ValidationError(_("不能移动到自己的下级"))
    old_path = place.path
    new_path = new_parent.path + old_path.rstrip("/").rsplit("/", 1)[-1] + "/"
    depth_change = new_path.count("/") - old_path.count("/")
    Place.objects.filter(pk=place.pk).update(parent=new_parent)
    rewrite_path_prefix(Place.objects.all(), old_path=old_path, new_path=new_path)
    if depth_change:
        Place.objects.filter(path__startswith=new_path).update(depth=F("depth") + depth_change)
    for model in path_copies():
        rewrite_path_prefix(model._default_manager.all(), old_path=old_path, new_path=new_path)
    place.refresh_from_db()
    places_moved.send(sender=Place, path=new_path)
    return place


def household_paths_sync(*, household_ids) -> None:
    """After households changed grid: copy their new path onto every row that belongs to one of them.

    Every path copy taken from a household (links, contacts, issues...: `household` in its
    PathCopy.path_from) is updated here. Then sends grids.signals.household_paths_moved so that counts kept
    by path (visits' month tallies) follow.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return
    new_path = Subquery(Household.objects.filter(pk=OuterRef("household_id")).values("path")[:1])
    old_paths: set[str] = set()
    for model in household_path_copies():
        for start in range(0, len(ids), 900):
            rows = model._default_manager.filter(household_id__in=ids[start : start + 900])
            old_paths.update(rows.order_by().values_list("path", flat=True).distinct())
            rows.update(path=new_path)
    new_paths = set(Household.objects.filter(pk__in=ids).values_list("path", flat=True).distinct())
    household_paths_moved.send(sender=Household, household_ids=ids, old_paths=old_paths, new_paths=new_paths)
