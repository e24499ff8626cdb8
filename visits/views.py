"""Pages: the member's workspace, a household or place with its history, the record form, compliance pages.

Views are thin: check access with members.access / visits.selectors, parse a form, call a service, message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grids.enums import PlaceKind
from grids.errors import form_error
from grids.private import api_or_session_user, private_file_response
from members.access import get_household_for_user, get_place_for_user, households_visible_to, scope_for
from members.models import Link

from . import selectors, services
from .access import COMPLIANCE_KINDS, get_compliance_place_for_user
from .enums import HOUSEHOLD_KINDS, MULTI_HOUSEHOLD_KINDS, PLACE_KINDS, ContactKind
from .forms import ContactEditForm, ContactForm
from .models import Contact, ContactPhoto
from .services import PLACE_KIND_FOR

HISTORY_PAGE = 20
OFFLINE_HEADER = "X-Lianhu-Offline"
YARD_CHOICES_LIMIT = 100


def _safe_next(request) -> str:
    """A local page to come back to after saving (the issue page recording its return visit), or ""."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _after_save(contact: Contact, back: str, next_url: str = ""):
    if next_url:
        query = urlencode({"return_contact": contact.pk, "saved": contact.client_id})
        return redirect(f"{next_url}{'&' if '?' in next_url else '?'}{query}")
    if contact.found_problem and settings.LIANHU_FOUND_PROBLEM_URL:
        # Where a problem found on a visit is reported: set by the project (config), so visits does not name
        # the app above it (issues) that takes it from here.
        try:
            return redirect(
                f"{reverse(settings.LIANHU_FOUND_PROBLEM_URL)}?{urlencode({'contact': contact.pk})}"
            )
        except NoReverseMatch:
            pass
    return redirect(f"{back}?{urlencode({'saved': contact.client_id})}")


@login_required
def workspace(request):
    """我的联系户: the member's households and places, each with status this period, overdue first."""
    scope = scope_for(request.user)
    entries = []
    if scope.member is not None:
        links = Link.objects.current().filter(member=scope.member)
        entries = selectors.link_compliance(links=links)
    households = [e for e in entries if e.link.household_id]
    places = [e for e in entries if e.link.place_id]
    counts = {s: sum(1 for e in entries if e.status == s) for s in ("overdue", "due", "done")}
    response = render(
        request,
        "visits/workspace.html",
        {
            "member": scope.member,
            "households": households,
            "places": places,
            "counts": counts,
            "compliance_places": _compliance_places(scope),
        },
    )
    return _offline_ok(response, scope.member is not None)


def _offline_ok(response, allowed: bool):
    """Let the phone keep this page for offline reading (static/js/sw.js): only the member's own scope."""
    if allowed:
        response[OFFLINE_HEADER] = "1"
    return response


def _own_household(scope, household) -> bool:
    return (
        scope.member is not None
        and Link.objects.current().filter(member=scope.member, household=household).exists()
    )


def _compliance_places(scope) -> list[dict]:
    """The compliance pages a user's posts open (city, town, village, grid; a city leader's linked town)."""
    from grids.models import Place

    paths = [
        *scope.city_paths,
        *scope.linked_town_paths,
        *scope.town_paths,
        *scope.village_paths,
        *scope.grid_paths,
    ]
    if not paths:
        return []
    ids = [int(p.strip("/").split("/")[-1]) for p in paths]
    return [
        {"place": p, "url": reverse("visits:compliance", args=[p.pk])}
        for p in Place.objects.filter(pk__in=ids, kind__in=list(COMPLIANCE_KINDS)).order_by("path")
    ]


def _target_context(request, scope, field: str, target, history) -> dict:
    """A household's or a place's page (`field` names which): its contacts, page by page; the user's own
    current links to it with their compliance; everyone's links; whether the user may record a contact."""
    mine = []
    if scope.member is not None:
        mine = selectors.link_compliance(
            links=Link.objects.current().filter(member=scope.member, **{field: target})
        )
    return {
        field: target,
        "history": Paginator(history, HISTORY_PAGE).get_page(request.GET.get("page")),
        "mine": mine,
        "links": Link.objects.filter(**{field: target})
        .select_related("member")
        .order_by("-start_date", "id"),
        "saved": request.GET.get("saved", ""),
        "can_record": services.may_record_for(user=request.user, target=target),
    }


@login_required
def household_page(request, pk: int):
    household = get_household_for_user(request.user, pk)
    scope = scope_for(request.user)
    history = selectors.household_history(household=household)
    context = _target_context(request, scope, "household", household, history)
    response = render(request, "visits/household.html", context)
    return _offline_ok(response, bool(context["mine"]))


@login_required
def place_page(request, pk: int):
    place = get_place_for_user(request.user, pk)
    if place.kind not in (PlaceKind.TOWN, PlaceKind.VILLAGE, PlaceKind.GRID3):
        raise Http404
    scope = scope_for(request.user)
    context = _target_context(request, scope, "place", place, selectors.place_history(place=place))
    context["compliance_url"] = (
        reverse("visits:compliance", args=[place.pk]) if scope.sees_path(place.path) else ""
    )
    return render(request, "visits/place.html", context)


def _record(request, *, target, kinds, default_kind, households_qs, back, template_context):
    scope = scope_for(request.user)
    if not services.may_record_for(user=request.user, target=target):
        raise PermissionDenied
    default_kind = selectors.last_kind_for(member=scope.member, kinds=kinds, default=default_kind)
    form = ContactForm(
        request.POST or None, kinds=kinds, default_kind=default_kind, households_qs=households_qs
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        target_kwargs = {}
        if kind in MULTI_HOUSEHOLD_KINDS:
            target_kwargs["households"] = [target, *data.get("households", [])]
        elif kind in HOUSEHOLD_KINDS:
            target_kwargs["household"] = target
        else:
            target_kwargs["place"] = target
        photos = request.FILES.getlist("photos")
        try:
            contact = services.contact_record(
                user=request.user,
                kind=kind,
                occurred_at=data["occurred_at"],
                duties=data["duties"],
                summary=data["summary"],
                found_problem=data["found_problem"],
                client_id=data["client_id"],
                photos=photos,
                position=(data.get("latitude"), data.get("longitude"), data.get("accuracy")),
                **target_kwargs,
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            if contact.created:
                messages.success(request, _("走访记录已保存。"))
            else:
                messages.info(request, _("这条走访记录之前已保存,未重复保存。"))
            return _after_save(contact, back, _safe_next(request))
    next_url = _safe_next(request)
    return render(
        request,
        "visits/record.html",
        {"form": form, "target": target, "back": next_url or back, **template_context},
    )


@never_cache
@login_required
def household_record(request, pk: int):
    # Also a household of a link that has ended: a late entry dated inside it (visits.services).
    household = services.households_recordable_by(request.user).select_related("grid").filter(pk=pk).first()
    if household is None:
        raise Http404
    grid3 = household.grid if household.grid.kind == PlaceKind.GRID3 else household.grid.parent
    households_qs = (
        households_visible_to(request.user)
        .filter(path__startswith=grid3.path)
        .exclude(pk=household.pk)
        .order_by("path", "code")
    )
    households_qs = households_qs.filter(
        pk__in=list(households_qs.values_list("pk", flat=True)[:YARD_CHOICES_LIMIT])
    )
    response = _record(
        request,
        target=household,
        kinds=HOUSEHOLD_KINDS | MULTI_HOUSEHOLD_KINDS,
        default_kind=ContactKind.HOME_VISIT,
        households_qs=households_qs,
        back=reverse("visits:household", args=[household.pk]),
        template_context={"household": household, "keep_key": f"record-household-{household.pk}"},
    )
    if request.method == "GET" and response.status_code == 200:
        _offline_ok(response, _own_household(scope_for(request.user), household))
    return response


@never_cache
@login_required
def place_record(request, pk: int):
    place = services.places_recordable_by(request.user).filter(pk=pk).first()
    if place is None:
        raise Http404
    kinds = {kind for kind in PLACE_KINDS if place.kind in PLACE_KIND_FOR[kind]}
    if not kinds:
        raise Http404
    default = ContactKind.GRID_SINKDOWN if place.kind == PlaceKind.GRID3 else ContactKind.ONSITE
    return _record(
        request,
        target=place,
        kinds=kinds,
        default_kind=default,
        households_qs=None,
        back=reverse("visits:place", args=[place.pk]),
        template_context={"place": place, "keep_key": f"record-place-{place.pk}"},
    )


def _get_contact(user, pk: int) -> Contact:
    contact = (
        selectors.contacts_visible_to(user)
        .select_related("member", "household", "place", "link", "created_by")
        .prefetch_related("photos", "households")
        .filter(pk=pk)
        .first()
    )
    if contact is None:
        raise Http404
    return contact


@login_required
def contact_detail(request, pk: int):
    contact = _get_contact(request.user, pk)
    revisions = contact.revisions.select_related("changed_by").order_by("id")
    return render(
        request,
        "visits/contact.html",
        {
            "contact": contact,
            "revisions": revisions,
            "editable": services.contact_is_editable(user=request.user, contact=contact),
        },
    )


def contact_photo(request, pk: int):
    """A contact's photo, only to those who may see the contact (photos have no public URL).

    The API hands out these URLs too, so an API client's own authentication is accepted as well as a session.
    """
    user = api_or_session_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    photo = get_object_or_404(
        ContactPhoto, pk=pk, contact__in=selectors.contacts_visible_to(user).values("pk")
    )
    return private_file_response(
        photo.image, filename=f"photo-{photo.pk}.jpg", as_attachment=False, content_type="image/jpeg"
    )


@login_required
def contact_edit(request, pk: int):
    contact = _get_contact(request.user, pk)
    if contact.created_by_id != request.user.pk:
        raise PermissionDenied
    groups = (HOUSEHOLD_KINDS, PLACE_KINDS, MULTI_HOUSEHOLD_KINDS)
    kinds = next(group for group in groups if contact.kind in group)
    if contact.place_id:
        kinds = {k for k in kinds if contact.place.kind in PLACE_KIND_FOR[k]}
    initial = {
        "kind": contact.kind,
        "occurred_at": timezone.localtime(contact.occurred_at).replace(tzinfo=None),
        "duties": contact.duties,
        "summary": contact.summary,
        "found_problem": contact.found_problem,
    }
    form = ContactEditForm(request.POST or None, initial=initial, kinds=kinds)
    if not services.contact_is_editable(user=request.user, contact=contact):
        messages.error(request, _("走访记录已超过修改期,已锁定"))
        return redirect("visits:contact", pk=contact.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(user=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("走访记录已修改。"))
            return redirect("visits:contact", pk=contact.pk)
    return render(request, "visits/contact_edit.html", {"form": form, "contact": contact})


@login_required
def compliance_home(request):
    """Open the widest compliance page the user's posts give."""
    places = _compliance_places(scope_for(request.user))
    if not places:
        raise PermissionDenied
    return redirect(places[0]["url"])


def _on_param(request):
    """`?on=YYYY-MM-DD`: the day the compliance page is judged as of (default today); bad input → today."""
    import datetime

    raw = request.GET.get("on", "").strip()
    if raw:
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, _("日期格式应为 YYYY-MM-DD"))
    return timezone.localdate()


def _compliance_city(request, city, on):
    """The city by town, from the towns' latest compliance snapshots (visits.snapshots): one query for every
    town's figures, each with the time it was computed; the lists are on each town's own (live) page."""
    from .snapshots import city_summary

    summary = city_summary(city, on=on)
    for row in summary["rows"]:
        row["url"] = reverse("visits:compliance", args=[row["id"]])
    scope = scope_for(request.user)
    may_run = scope.is_superuser or any(city.path.startswith(p) for p in scope.staff_town_paths)
    return render(
        request,
        "visits/compliance.html",
        {
            "place": city,
            "summary": summary,
            "breakdown": "child",
            "behind": [],
            "silent": [],
            "city": True,
            "may_run_snapshots": may_run,
        },
    )


@login_required
def compliance_place(request, pk: int):
    """Town by village, village by grid, grid by member: share on track, who is behind, who had no contact."""
    place = get_compliance_place_for_user(request.user, pk)
    on = _on_param(request)
    if place.kind == PlaceKind.CITY:
        return _compliance_city(request, place, on)
    summary = selectors.compliance_summary(
        user=request.user,
        place=place,
        on=on,
        breakdown=COMPLIANCE_KINDS[place.kind],
        id_range=selectors.link_id_range(place.path),
        early=True,  # the grouping beside the request while the "no contact" lists are read (grids.beside)
    )
    behind = summary["members_without_contact_list"]
    silent = summary["households_without_contact_list"]
    for row in summary["rows"]:
        if COMPLIANCE_KINDS[place.kind] == "child" and row.get("place") is not None:
            row["url"] = (
                reverse("visits:compliance", args=[row["id"]])
                if row["place"].kind in COMPLIANCE_KINDS
                else ""
            )
    return render(
        request,
        "visits/compliance.html",
        {
            "place": place,
            "summary": summary,
            "breakdown": COMPLIANCE_KINDS[place.kind],
            "behind": behind,
            "silent": silent,
        },
    )
