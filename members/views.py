from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .access import scope_for


@login_required
def link_checks(request):
    """配对检查: ranges, cadres' grids, exempt members with links, uncovered households (town staff, officers)."""
    scope = scope_for(request.user)
    if not (scope.is_town_staff or scope.is_village_officer or scope.is_discipline):
        raise PermissionDenied
    uncovered = Paginator(selectors.uncovered_households(user=request.user), 50)
    context = {
        "out_of_range": selectors.members_out_of_range(user=request.user)[:200],
        "cadres_without_grid": selectors.town_cadres_without_one_grid(user=request.user)[:200],
        "exempt_with_links": selectors.exempt_members_with_links(user=request.user)[:200],
        "uncovered_page": uncovered.get_page(request.GET.get("page")),
        "summary": selectors.link_checks_summary(user=request.user),
    }
    return render(request, "members/link_checks.html", context)


@login_required
def household_detail(request, pk: int):
    from .access import get_household_for_user
    from .models import Link

    household = get_household_for_user(request.user, pk)
    links = Link.objects.filter(household=household).select_related("member").order_by("-start_date")
    return render(request, "members/household_detail.html", {"household": household, "links": links})
