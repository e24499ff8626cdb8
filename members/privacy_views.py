"""The reveal of one full number (a POST from the button next to a masked number; static/js/reveal.js)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import privacy


@login_required
@require_POST
def reveal(request, kind: str, pk: int, field: str):
    """{"value": the full number} for holders of grids.reveal_personal_number, within their scope (logged);
    403 without the permission (nothing logged), 404 outside the scope."""
    try:
        value = privacy.reveal_number(user=request.user, kind=kind, pk=pk, field=field, request=request)
    except PermissionDenied:
        return JsonResponse({"error": _("您没有查看完整号码的权限")}, status=403)
    response = JsonResponse({"value": value})
    response["Cache-Control"] = "no-store"
    return response
