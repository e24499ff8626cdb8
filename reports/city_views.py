"""City pages: the city dashboard, the department league table, a city department's whistles by town.

Thin: access (reports.city.get_city_for_user, members.access), period form, figures, render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from members.access import scope_for

from . import city as figures
from .forms import period_from_request

PAGE_SIZE = 50


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def redirect_to_dashboard(request, url_name: str, place):
    """To `place`'s dashboard (`url_name`), keeping the query (the period); 403 when there is no place."""
    if place is None:
        raise PermissionDenied
    url = reverse(url_name, args=[place.pk])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
def city_home(request):
    """/reports/city/: the user's city (a city post), else 403."""
    return redirect_to_dashboard(request, "reports:city", figures.cities_for(request.user).first())


@login_required
def city_dashboard(request, pk: int):
    city = figures.get_city_for_user(request.user, pk)
    form, period = period_from_request(request)
    context = figures.city_dashboard(user=request.user, city=city, period=period)
    context.update(form=form, query=_query(request))
    return render(request, "reports/city.html", context)


@login_required
def city_departments(request, pk: int):
    city = figures.get_city_for_user(request.user, pk)
    form, period = period_from_request(request)
    rows = figures.department_league(city=city, period=period)
    return render(
        request,
        "reports/city_departments.html",
        {"city": city, "form": form, "period": period, "rows": rows, "query": _query(request)},
    )


@login_required
def city_department(request):
    """A department handler's whistles from every town: counts per town, open ones by deadline."""
    if not scope_for(request.user).department_ids:
        raise PermissionDenied
    data = figures.department_by_town(user=request.user)
    page = Paginator(data["open"], PAGE_SIZE).get_page(request.GET.get("page"))
    for assignment in page:
        assignment.town_name = data["town_names"].get(assignment.town, "")
    return render(request, "reports/city_department.html", {**data, "page": page})
