"""Full phone and ID numbers shown only on purpose, and the access log (members.AccessLog).

- Pages, lists, the API and the admin show masked numbers. The full number of one household or member is
  revealed to holders of the `grids.reveal_personal_number` permission, by an explicit click (a POST to
  `members:reveal`), within their scope; each reveal is one access-log row.
- `access_log()` appends a row: who, what, when, from which address. Callers: the reveal, full-number
  exports and their downloads (reports.services), census imports (members.views), and every save or delete
  of a link or a post (the signal receivers below, whatever the path: admin, pages, API, services).
- The requester's address comes from `client_ip()`: REMOTE_ADDR, or the last untrusted hop of
  X-Forwarded-For when the request came through a proxy listed in LIANHU_TRUSTED_PROXIES. The login
  throttling (django-axes, AXES_CLIENT_IP_CALLABLE) uses the same function: one rule for both.
- `AccessContextMiddleware` keeps the current request in a context variable, so a save deep in a service
  is logged with its user and address; without a request (commands, background jobs) the actor is "系统".
"""

from __future__ import annotations

import contextvars
import datetime
import ipaddress
import re
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import Http404
from django.utils.translation import gettext as _

from grids.models import Household
from grids.validators import mask_id_number, mask_phone

from .access import display_name, get_household_for_user, get_member_for_user, scope_for
from .enums import AccessAction
from .models import AccessLog, Link, Member, Position

REVEAL_PERM = "grids.reveal_personal_number"

# What may be revealed: object kind → (its fields holding personal numbers).
REVEALABLE = {"household": ("phone", "id_number"), "member": ("phone",)}

_request: contextvars.ContextVar = contextvars.ContextVar("lianhu_request", default=None)


# --- the request: who and from where -------------------------------------------------------------------------


class AccessContextMiddleware:
    """Remember the request for the access log (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request():
    return _request.get()


@lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str) -> bool:
    networks = _networks(tuple(getattr(settings, "LIANHU_TRUSTED_PROXIES", ()) or ()))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The requester's address: REMOTE_ADDR, unless that is a trusted proxy; then the nearest address in
    X-Forwarded-For that is not a trusted proxy (each proxy appends the address it saw, so the left part of
    the header is whatever the client chose to send). The access log and the login throttling both ask here.

    Backward compatibility: with LIANHU_TRUSTED_PROXIES empty and the older LIANHU_PROXY_COUNT = n set, the
    n-th hop from the right of X-Forwarded-For (n proxies in front, each appending what it saw).
    """
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    count = (
        0 if getattr(settings, "LIANHU_TRUSTED_PROXIES", ()) else getattr(settings, "LIANHU_PROXY_COUNT", 0)
    )
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= count:
            return _valid(hops[-count]) or remote
        return remote
    if remote is None or not _trusted(remote):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _valid(hop)
        if address is None:
            return remote
        if not _trusted(address):
            return address
    return remote


# --- the log -------------------------------------------------------------------------------------------------

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def _refuse_numbers(value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_numbers(key)
            _refuse_numbers(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_numbers(item)
    elif isinstance(value, str) and (_MOBILE_IN_TEXT.search(value) or _ID_IN_TEXT.search(value)):
        raise ValueError("the access log never holds phone or ID numbers")


def _masked_text(text: str) -> str:
    """A name or code as shown, with anything shaped like a phone or ID number masked."""
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)


def access_log(
    *,
    action: str,
    user=None,
    obj=None,
    object_type: str = "",
    object_id: int | None = None,
    object_repr: str = "",
    path: str = "",
    detail: dict | None = None,
    request=None,
) -> AccessLog:
    """Append one access-log row. `user` and `request` default to the current request's."""
    request = request if request is not None else current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id if object_id is not None else obj.pk
        object_repr = object_repr or str(obj)
        path = path or getattr(obj, "path", "") or ""
    detail = detail or {}
    _refuse_numbers(detail)
    object_repr = _masked_text(object_repr)
    return AccessLog.objects.create(
        actor=user,
        actor_name=(display_name(user) if user is not None else _("系统"))[:100],
        action=action,
        object_type=object_type[:30],
        object_id=object_id,
        object_repr=object_repr[:200],
        place_path=path,
        detail=detail,
        ip=client_ip(request),
    )


def access_log_visible_to(user) -> QuerySet[AccessLog]:
    """The discipline commission and town staff read their town's log; superusers all of it; others nothing."""
    scope = scope_for(user)
    if scope.is_superuser:
        return AccessLog.objects.all()
    if not (scope.is_discipline or scope.is_town_staff) or not scope.town_paths:
        return AccessLog.objects.none()
    q = Q()
    for path in scope.town_paths:
        q |= Q(place_path__startswith=path)
    return AccessLog.objects.filter(q)


def can_read_access_log(user) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or ((scope.is_discipline or scope.is_town_staff) and bool(scope.town_paths))


# --- the reveal ----------------------------------------------------------------------------------------------


def can_reveal(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(REVEAL_PERM))


def reveal_number(*, user, kind: str, pk: int, field: str, request=None) -> str:
    """The full number in `field` of one household or member the user sees, logged. Raises PermissionDenied
    without the permission (nothing logged) and Http404 for what is out of scope or not revealable."""
    if not can_reveal(user):
        raise PermissionDenied
    if field not in REVEALABLE.get(kind, ()):
        raise Http404
    obj: Household | Member = (
        get_household_for_user(user, pk) if kind == "household" else get_member_for_user(user, pk)
    )
    value = getattr(obj, field) or ""
    access_log(
        action=AccessAction.REVEAL,
        user=user,
        obj=obj,
        object_type=kind,
        detail={"field": field, "empty": not value},
        request=request,
    )
    return value


# --- links and posts: every save and delete ------------------------------------------------------------------

_LINK_FIELDS = ("member_id", "link_type", "place_id", "household_id", "migrant_id", "start_date", "end_date")
_POST_FIELDS = ("member_id", "kind", "place_id", "department_id", "start_date", "end_date")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _snapshot(obj, fields) -> dict:
    return {name.removesuffix("_id"): _plain(getattr(obj, name)) for name in fields}


def _before(sender, instance, fields) -> None:
    old = None
    if instance.pk is not None and not instance._state.adding:
        extra = ("note",) if sender is Link else ()
        old = sender.objects.filter(pk=instance.pk).values(*fields, *extra).first()
    instance._lianhu_before = old


def _changes(instance, fields) -> dict:
    old = getattr(instance, "_lianhu_before", None) or {}
    changed = {}
    for name in fields:
        if name in old and old[name] != getattr(instance, name):
            changed[name.removesuffix("_id")] = [_plain(old[name]), _plain(getattr(instance, name))]
    if "note" in old and old["note"] != getattr(instance, "note", old["note"]):
        changed["note"] = True  # free text: that it changed, not what it says
    return changed


@receiver(pre_save, sender=Link, dispatch_uid="lianhu_access_link_before")
def _link_before(sender, instance, raw=False, **kwargs):
    if not raw:
        _before(sender, instance, _LINK_FIELDS)


@receiver(pre_save, sender=Position, dispatch_uid="lianhu_access_post_before")
def _post_before(sender, instance, raw=False, **kwargs):
    if not raw:
        _before(sender, instance, _POST_FIELDS)


@receiver(post_save, sender=Link, dispatch_uid="lianhu_access_link_saved")
def _link_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    detail = {"op": "created" if created else "changed", **_snapshot(instance, _LINK_FIELDS)}
    if not created:
        detail["changes"] = _changes(instance, _LINK_FIELDS)
    access_log(action=AccessAction.LINK_CHANGE, obj=instance, object_repr=_link_repr(instance), detail=detail)


@receiver(post_delete, sender=Link, dispatch_uid="lianhu_access_link_deleted")
def _link_deleted(sender, instance, **kwargs):
    detail = {"op": "deleted", **_snapshot(instance, _LINK_FIELDS)}
    access_log(action=AccessAction.LINK_CHANGE, obj=instance, object_repr=_link_repr(instance), detail=detail)


@receiver(post_save, sender=Position, dispatch_uid="lianhu_access_post_saved")
def _post_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    detail = {"op": "created" if created else "changed", **_snapshot(instance, _POST_FIELDS)}
    if not created:
        detail["changes"] = _changes(instance, _POST_FIELDS)
    access_log(
        action=AccessAction.POST_CHANGE,
        obj=instance,
        object_repr=_post_repr(instance),
        path=_post_path(instance),
        detail=detail,
    )


@receiver(post_delete, sender=Position, dispatch_uid="lianhu_access_post_deleted")
def _post_deleted(sender, instance, **kwargs):
    access_log(
        action=AccessAction.POST_CHANGE,
        obj=instance,
        object_repr=_post_repr(instance),
        path=_post_path(instance),
        detail={"op": "deleted", **_snapshot(instance, _POST_FIELDS)},
    )


def _link_repr(link: Link) -> str:
    member = Member.objects.filter(pk=link.member_id).values_list("name", flat=True).first() or ""
    return f"{member} · {link.get_link_type_display()}"


def _post_repr(position: Position) -> str:
    member = Member.objects.filter(pk=position.member_id).values_list("name", flat=True).first() or ""
    return f"{member} · {position.get_kind_display()}"


def _post_path(position: Position) -> str:
    from grids.models import Place

    return Place.objects.filter(pk=position.place_id).values_list("path", flat=True).first() or ""
