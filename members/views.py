from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.models import Place

from . import census, selectors
from .access import scope_for
from .enums import AccessAction
from .privacy import access_log


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


# --- census import (摸底导入): town staff only ---------------------------------------------------------------

CENSUS_SESSION_KEY = "census_upload"


class CensusUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("摸底表"))
    town = forms.ModelChoiceField(
        queryset=Place.objects.none(), label=gettext_lazy("导入到"), empty_label=None
    )

    def __init__(self, *args, towns: list[Place], **kwargs):
        super().__init__(*args, **kwargs)
        if len(towns) > 1:
            self.fields["town"].queryset = Place.objects.filter(pk__in=[t.pk for t in towns])
        else:
            del self.fields["town"]
        self.towns = towns

    def chosen_town(self) -> Place:
        return self.cleaned_data.get("town") or self.towns[0]


def _census_towns(request) -> list[Place]:
    towns = census.census_towns_for(request.user)
    if not towns:
        raise PermissionDenied
    return towns


def _census_pending(request, towns: list[Place]) -> tuple[str, Place] | None:
    """The upload kept for this session, if its town is still one the user may import into."""
    pending = request.session.get(CENSUS_SESSION_KEY) or {}
    town = next((t for t in towns if t.pk == pending.get("town")), None)
    if not pending.get("token") or town is None:
        return None
    return pending["token"], town


def _census_forget(request) -> None:
    pending = request.session.pop(CENSUS_SESSION_KEY, None) or {}
    if pending.get("token"):
        census.census_file_delete(token=pending["token"])


@login_required
def census_upload(request):
    """摸底导入: download the template, upload a filled workbook (then preview, then confirm)."""
    towns = _census_towns(request)
    form = CensusUploadForm(request.POST or None, request.FILES or None, towns=towns)
    if request.method == "POST" and form.is_valid():
        try:
            token = census.census_file_store(upload=form.cleaned_data["file"])
        except census.CensusFileError as exc:
            form.add_error("file", str(exc))
        else:
            _census_forget(request)
            request.session[CENSUS_SESSION_KEY] = {"token": token, "town": form.chosen_town().pk}
            return redirect("members:census-preview")
    return render(request, "members/census_upload.html", {"form": form, "towns": towns})


@login_required
def census_template_download(request):
    towns = _census_towns(request)
    town = next((t for t in towns if str(t.pk) == request.GET.get("town")), towns[0])
    response = HttpResponse(
        census.census_template(town=town),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, "摸底导入模板.xlsx")
    return response


@login_required
def census_preview(request):
    towns = _census_towns(request)
    pending = _census_pending(request, towns)
    if pending is None:
        messages.info(request, _("请先上传摸底表"))
        return redirect("members:census-import")
    token, town = pending
    try:
        plan = census.census_preview_kept(town=town, token=token)
    except census.CensusFileError as exc:
        _census_forget(request)
        messages.error(request, str(exc))
        return redirect("members:census-import")
    context = {"plan": plan, "town": town, "token": token, "counts": plan.counts, "errors": plan.errors}
    return render(request, "members/census_preview.html", context)


@login_required
@require_POST
def census_confirm(request):
    towns = _census_towns(request)
    pending = _census_pending(request, towns)
    if pending is None or request.POST.get("token") != pending[0]:
        messages.error(request, _("上传的文件已失效,请重新上传"))
        return redirect("members:census-import")
    token, town = pending
    try:
        with transaction.atomic():
            plan = census.census_import(town=town, path=census.census_file_path(token))
            _census_logged(town, plan)
    except census.CensusFileError as exc:
        _census_forget(request)
        messages.error(request, str(exc))
        return redirect("members:census-import")
    except IntegrityError:
        messages.error(
            request,
            _("导入时数据被他人同时修改,未写入任何数据,请重新预览后再导入"),
        )
        return redirect("members:census-preview")
    _census_forget(request)
    counts = plan.counts()
    summary = ";".join(
        _("%(sheet)s:新增 %(new)d,更新 %(updated)d,无变化 %(unchanged)d,跳过有错误的 %(bad)d")
        % {"sheet": sheet, "new": c.new, "updated": c.updated, "unchanged": c.unchanged, "bad": c.bad}
        for sheet, c in counts.items()
    )
    messages.success(request, _("摸底导入完成。") + summary)
    return redirect("members:census-import")


def _census_logged(town, plan) -> None:
    """Every census import is in the access log (counts per sheet), in the import's transaction."""
    counts = {
        sheet: {"new": c.new, "updated": c.updated, "unchanged": c.unchanged, "bad": c.bad}
        for sheet, c in plan.counts().items()
    }
    access_log(action=AccessAction.CENSUS_IMPORT, obj=town, object_type="census", detail={"counts": counts})


@login_required
@require_POST
def census_cancel(request):
    _census_towns(request)
    _census_forget(request)
    messages.info(request, _("已取消本次导入,上传的文件已删除"))
    return redirect("members:census-import")
