"""Who may see an export: one rule for the pages ("我的导出", the download) and the admin's export log."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from members.access import scope_for

from .models import ExportJob


def exports_visible_to(user) -> QuerySet[ExportJob]:
    """The export log rows the user may see: their own exports, and, for town staff and the discipline commission
    (who supervise full-number exports), every export of a place in their town; superusers all."""
    scope = scope_for(user)
    if scope.is_superuser:
        return ExportJob.objects.all()
    if not user.is_authenticated:
        return ExportJob.objects.none()
    q = Q(requested_by=user)
    if scope.is_town_staff or scope.is_discipline:
        q |= scope.path_q("place__path")
    return ExportJob.objects.filter(q)


def get_export_file_for_user(user, pk) -> ExportJob:
    """An export whose file the user may download: visible to them (exports_visible_to) AND their own (the file
    holds what the requester's scope and permissions allowed, so only they fetch it); else 404."""
    job = exports_visible_to(user).filter(pk=pk, requested_by=user).select_related("place").first()
    if job is None:
        raise Http404
    return job
