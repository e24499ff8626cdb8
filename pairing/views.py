"""配对建议 pages: propose for a village or the town, preview per member, drop or move lines, apply as one batch."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.errors import flash_error, flash_outcome, form_error
from grids.models import Place
from members.access import paths_q
from members.models import Link, Member

from . import services
from .enums import BatchStatus, PairingMode
from .models import PairingLine


class ProposeForm(forms.Form):
    place = forms.ModelChoiceField(
        queryset=Place.objects.none(), label=gettext_lazy("范围"), empty_label=None
    )
    mode = forms.ChoiceField(choices=PairingMode.choices, label=gettext_lazy("方式"))
    subject = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        label=gettext_lazy("离开/免于联户的人员"),
        required=False,
        empty_label=gettext_lazy("范围内全部免于联户但仍有联系的人员"),
    )

    def __init__(self, *args, places, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.filter(pk__in=[p.pk for p in places]).order_by("path")
        self.fields["place"].label_from_instance = lambda p: p.label
        self.fields["subject"].queryset = subjects

    def clean(self):
        data = super().clean()
        subject, place = data.get("subject"), data.get("place")
        if subject is not None and place is not None and not subject.path.startswith(place.path):
            self.add_error("subject", _("所选人员不在此范围内"))
        return data


def _subjects(user, places):
    """Members a rebalance may be about: exempt or not, anyone in the places who holds a current link."""
    q = paths_q([place.path for place in places])
    linked = Link.objects.current().values("member_id")
    return Member.objects.filter(q, pk__in=linked).filter(is_exempt=True).order_by("path", "name")


@login_required
def pairing_home(request):
    places = services.pairing_places_for(request.user)
    if not places:
        raise PermissionDenied
    form = ProposeForm(request.POST or None, places=places, subjects=_subjects(request.user, places))
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_propose(
                user=request.user,
                place=form.cleaned_data["place"],
                mode=form.cleaned_data["mode"],
                subject=form.cleaned_data["subject"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            return redirect("pairing:batch", pk=batch.pk)
    batches = Paginator(
        services.batches_visible_to(request.user).select_related("place", "created_by"), 20
    ).get_page(request.GET.get("page"))
    return render(request, "pairing/home.html", {"form": form, "batches": batches})


@login_required
def batch_detail(request, pk: int):
    batch = services.get_batch_for_user(request.user, pk)
    rows, totals = services.batch_rows(batch)
    page = Paginator(rows, 40).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "rows": page,
        "totals": totals,
        "s": batch.summary,
        "draft": batch.status == BatchStatus.DRAFT,
    }
    return render(request, "pairing/batch.html", context)


def _line_for(request, pk: int) -> PairingLine:
    line = get_object_or_404(PairingLine.objects.select_related("batch", "batch__place", "household"), pk=pk)
    services.get_batch_for_user(request.user, line.batch_id)
    return line


@login_required
@require_POST
def line_drop(request, pk: int):
    line = _line_for(request, pk)
    try:
        services.line_drop(user=request.user, line=line)
    except ValidationError as exc:
        flash_error(request, exc)
    return redirect(f"{_batch_url(line)}#m{line.member_id}")


def _batch_url(line) -> str:
    from django.urls import reverse

    return reverse("pairing:batch", args=[line.batch_id])


@login_required
def line_move(request, pk: int):
    line = _line_for(request, pk)
    if request.method == "POST":
        member = Member.objects.filter(pk=request.POST.get("member") or 0).first()
        if member is None:
            messages.error(request, _("请选择改派给谁"))
        else:
            if flash_outcome(
                request,
                lambda: services.line_move(user=request.user, line=line, member=member),
                _("已改派给 %(name)s") % {"name": member.name},
            ):
                return redirect(f"{_batch_url(line)}#m{member.pk}")
    candidates = services.move_candidates(line=line)[:30]
    return render(request, "pairing/move.html", {"line": line, "candidates": candidates})


@login_required
@require_POST
def batch_apply(request, pk: int):
    batch = services.get_batch_for_user(request.user, pk)
    result = services.batch_apply(user=request.user, batch=batch)
    if result.already:
        messages.info(request, _("该批次已处理过,本次没有任何改动"))
    else:
        messages.success(
            request,
            _("已应用:新建联系 %(created)d 条,结束联系 %(ended)d 条,跳过 %(skipped)d 条")
            % {"created": result.created, "ended": result.ended, "skipped": result.skipped},
        )
    return redirect("pairing:batch", pk=batch.pk)


@login_required
@require_POST
def batch_discard(request, pk: int):
    batch = services.get_batch_for_user(request.user, pk)
    try:
        services.batch_discard(user=request.user, batch=batch)
    except ValidationError as exc:
        flash_error(request, exc)
    return redirect("pairing:batch", pk=batch.pk)
