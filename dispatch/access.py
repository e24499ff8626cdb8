"""Scoped querysets for dispatch rows, built on members.access (the one place for scoping)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from members.access import paths_q, scope_for, visible_rows

from .models import DispatchOrder, MonthlyTaskList, ReviewSnapshot


def orders_visible_to(user) -> QuerySet[DispatchOrder]:
    """Town staff and the discipline commission: their town's orders; everyone else: orders sent to them."""
    scope = scope_for(user)
    if scope.is_superuser:
        return DispatchOrder.objects.all()
    q = paths_q(scope.town_paths)
    if scope.member is not None:
        q |= Q(recipients__member=scope.member)
    return DispatchOrder.objects.filter(q).distinct()


def orders_managed_by(user) -> QuerySet[DispatchOrder]:
    """Orders whose progress the user manages (town staff of the issuing town)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return DispatchOrder.objects.all()
    return DispatchOrder.objects.filter(paths_q(scope.staff_town_paths))


def get_order_for_user(user, pk) -> DispatchOrder:
    order = orders_visible_to(user).filter(pk=pk).select_related("town", "issued_by").first()
    if order is None:
        raise Http404
    return order


def can_see_progress(user, order: DispatchOrder) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or (
        (scope.is_town_staff or scope.is_discipline)
        and any(order.path.startswith(p) for p in scope.town_paths)
    )


def task_lists_visible_to(user) -> QuerySet[MonthlyTaskList]:
    """A member's own lists, plus every list in the places the user oversees (town, village, grid)."""
    return visible_rows(MonthlyTaskList, user, lambda scope: Q(member=scope.member))


def get_task_list_for_user(user, pk) -> MonthlyTaskList:
    task_list = task_lists_visible_to(user).filter(pk=pk).select_related("member").first()
    if task_list is None:
        raise Http404
    return task_list


def snapshots_visible_to(user) -> QuerySet[ReviewSnapshot]:
    """Town-level review figures: the town's staff and discipline commission only."""
    scope = scope_for(user)
    if scope.is_superuser:
        return ReviewSnapshot.objects.all()
    return ReviewSnapshot.objects.filter(path__in=scope.town_paths)
