"""新时代文明实践 pages: activities open to me (phone sign-up), detail with attendance, calendar templates, ledger."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.errors import flash_error, flash_outcome
from grids.private import api_or_session_user, private_file_response
from members.access import scope_for
from members.models import Member

from . import exports, services
from .enums import SignUpStatus
from .models import ActivityPhoto, ActivityTemplate, SignUp, Station


@login_required
def activity_list(request):
    """Upcoming activities open to me (or managed by me), my sign-ups, my hours this year."""
    scope = scope_for(request.user)
    now = timezone.now()
    qs = services.activities_visible_to(request.user).select_related("station", "organiser")
    upcoming = list(qs.filter(ends_at__gte=now).order_by("starts_at")[:50])
    mine = {}
    if scope.member is not None:
        mine = {
            s.activity_id: s
            for s in SignUp.objects.filter(member=scope.member, activity__in=[a.pk for a in upcoming])
        }
    for a in upcoming:
        a.my_signup = mine.get(a.pk)
    summary = services.volunteer_summary(scope.member, now.year) if scope.member else None
    recent = (
        SignUp.objects.filter(member=scope.member, activity__starts_at__lt=now)
        .select_related("activity")
        .order_by("-activity__starts_at")[:20]
        if scope.member
        else []
    )
    context = {
        "upcoming": upcoming,
        "summary": summary,
        "recent": recent,
        "manages": bool(services.managed_places(request.user)),
        "year": now.year,
    }
    return render(request, "activities/list.html", context)


@login_required
def activity_detail(request, pk: int):
    activity = services.get_activity_for_user(request.user, pk)
    scope = scope_for(request.user)
    is_organiser = scope.member is not None and activity.organiser_id == scope.member.pk
    signups = list(
        activity.signups.filter(status=SignUpStatus.SIGNED).select_related("member").order_by("member__name")
    )
    mine = next((s for s in signups if scope.member and s.member_id == scope.member.pk), None)
    context = {
        "activity": activity,
        "signups": signups,
        "mine": mine,
        "can_signup": scope.member is not None and services.open_to(scope.member, activity),
        "can_record": services.can_record(request.user, activity),
        "started": activity.starts_at <= timezone.now(),
        "absentees": services.absentees(activity) if activity.required else [],
        "taken": len(signups),
        "is_organiser": is_organiser,
        "photos": list(activity.photos.all()),
        "max_photos": services.MAX_PHOTOS,
    }
    return render(request, "activities/detail.html", context)


@login_required
@require_POST
def activity_signup(request, pk: int):
    activity = services.get_activity_for_user(request.user, pk)
    try:
        if request.POST.get("cancel"):
            services.signup_cancel(user=request.user, activity=activity)
            messages.info(request, _("已取消报名"))
        else:
            services.signup(user=request.user, activity=activity)
            messages.success(request, _("报名成功"))
    except ValidationError as exc:
        flash_error(request, exc)
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def activity_attendance(request, pk: int):
    activity = services.get_activity_for_user(request.user, pk)
    ids = [int(x) for x in request.POST.getlist("member") if x.isdigit()]
    entries = [
        services.AttendanceEntry(
            member_id=mid,
            attended=request.POST.get(f"attended_{mid}") == "on",
            hours=request.POST.get(f"hours_{mid}", ""),
        )
        for mid in ids
    ]
    extra = (request.POST.get("walk_in") or "").strip()
    if extra:
        member = Member.objects.filter(phone=extra).first() if extra.isdigit() else None
        if member is None:
            messages.error(request, _("未找到该手机号对应的人员"))
            return redirect("activities:detail", pk=activity.pk)
        entries.append(services.AttendanceEntry(member_id=member.pk, attended=True))
    flash_outcome(
        request,
        lambda: services.attendance_record(user=request.user, activity=activity, entries=entries),
        lambda n: _("已登记 %(n)d 人的出勤") % {"n": n},
    )
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def photos_upload(request, pk: int):
    """The organiser or a manager adds photos of an activity once it has started."""
    activity = services.get_activity_for_user(request.user, pk)
    try:
        photos = services.photos_add(
            user=request.user, activity=activity, uploads=request.FILES.getlist("photos")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已上传 %(n)d 张照片") % {"n": len(photos)})
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#photos")


@login_required
@require_POST
def photo_delete(request, pk: int):
    photo = get_object_or_404(
        ActivityPhoto.objects.select_related("activity"),
        pk=pk,
        activity__in=services.activities_visible_to(request.user).values("pk"),
    )
    services.photo_delete(user=request.user, photo=photo)
    messages.info(request, _("已删除照片"))
    return redirect(reverse("activities:detail", args=[photo.activity_id]) + "#photos")


def activity_photo(request, pk: int, thumb: bool = False):
    """An activity's photo (or its thumbnail), only to those who may see the activity (no public URL).

    The API hands out these URLs, so an API client's own authentication is accepted as well as a session.
    """
    user = api_or_session_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    photo = get_object_or_404(
        ActivityPhoto, pk=pk, activity__in=services.activities_visible_to(user).values("pk")
    )
    return private_file_response(
        photo.thumb if thumb else photo.image,
        filename=f"activity-{photo.activity_id}-{photo.pk}.jpg",
        as_attachment=False,
        content_type="image/jpeg",
    )


@login_required
@require_POST
def session_yard_meeting(request, pk: int):
    """A lecture-team session recorded as one 屋场夜话 contact for the households present."""
    activity = services.get_activity_for_user(request.user, pk)
    flash_outcome(
        request,
        lambda: services.session_record_yard_meeting(
            user=request.user, activity=activity, household_codes=request.POST.get("households", "")
        ),
        lambda contact: _("已记为屋场夜话,%(n)d 户") % {"n": contact.reached.count()},
    )
    return redirect("activities:detail", pk=activity.pk)


# --- 宣讲队 --------------------------------------------------------------------------------------------------


class SessionForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label=gettext_lazy("开始时间"), widget=forms.TimeInput(attrs={"type": "time"}), initial="19:30"
    )
    hours = forms.DecimalField(
        label=gettext_lazy("时长(小时)"), min_value=0.5, max_value=24, decimal_places=1, initial=2
    )
    location = forms.CharField(label=gettext_lazy("地点"), max_length=200)
    topic = forms.CharField(label=gettext_lazy("宣讲主题"), max_length=100)
    present = forms.MultipleChoiceField(
        label=gettext_lazy("到场队员"), required=False, widget=forms.CheckboxSelectMultiple
    )
    yard_meeting = forms.BooleanField(label=gettext_lazy("同时记为屋场夜话(到场的户)"), required=False)
    households = forms.CharField(
        label=gettext_lazy("到场的户(户编号,用空格或逗号分隔)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        people = list(team.members.all().order_by("name"))
        if team.leader is not None and team.leader not in people:
            people.insert(0, team.leader)
        self.fields["present"].choices = [(str(m.pk), m.name) for m in people]
        self.fields["topic"].widget.attrs["list"] = "topics"

    def clean(self):
        data = super().clean()
        if data.get("yard_meeting") and not (data.get("households") or "").strip():
            self.add_error("households", _("记为屋场夜话时请填写到场的户编号"))
        return data


@login_required
def team_list(request):
    """宣讲队 of the stations the user sees: members, topics, the latest sessions."""
    teams = list(
        services.teams_visible_to(request.user)
        .select_related("station", "leader")
        .prefetch_related("members")
        .order_by("station__path", "name")
    )
    sessions = services.team_sessions(teams, limit=5)
    for team in teams:
        team.recent = sessions[team.pk]
    return render(request, "activities/teams.html", {"teams": teams})


@login_required
def team_detail(request, pk: int):
    """A team's members, topics and every session held; its leader or a manager records a session."""
    team = get_object_or_404(
        services.teams_visible_to(request.user).select_related("station", "leader"), pk=pk
    )
    can_record = services.can_record_session(request.user, team)
    form = SessionForm(request.POST or None, team=team, initial={"date": timezone.localdate()})
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            starts = datetime.datetime.combine(d["date"], d["time"], tzinfo=timezone.get_current_timezone())
            try:
                activity = services.session_record(
                    user=request.user,
                    data=services.SessionIn(
                        team=team,
                        starts_at=starts,
                        hours=d["hours"],
                        location=d["location"],
                        topic=d["topic"],
                        present=[int(x) for x in d["present"]],
                        household_codes=d["households"] if d["yard_meeting"] else "",
                    ),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _("已登记宣讲:%(title)s") % {"title": activity.title})
                return redirect("activities:team", pk=team.pk)
    sessions = services.team_sessions([team])[team.pk]
    context = {
        "team": team,
        "members": list(team.members.all().order_by("name")),
        "sessions": sessions,
        "form": form,
        "can_record": can_record,
    }
    return render(request, "activities/team.html", context)


class FromTemplateForm(forms.Form):
    station = forms.ModelChoiceField(queryset=Station.objects.none(), label=gettext_lazy("实践所/站"))
    year = forms.IntegerField(label=gettext_lazy("年份"), min_value=2020, max_value=2100)
    location = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        self.fields["station"].empty_label = None


@login_required
def calendar(request):
    """The year's calendar of usual dates; staff copy a template into a real activity of their station."""
    if not services.managed_places(request.user):
        raise PermissionDenied
    stations = services.stations_ensure(request.user)
    form = FromTemplateForm(
        request.POST or None, stations=stations, initial={"year": timezone.localdate().year}
    )
    if request.method == "POST":
        template = get_object_or_404(ActivityTemplate, pk=request.POST.get("template") or 0)
        organiser = scope_for(request.user).member
        if form.is_valid() and organiser is not None:
            try:
                activity = services.activity_from_template(
                    user=request.user,
                    template=template,
                    station=form.cleaned_data["station"],
                    year=form.cleaned_data["year"],
                    organiser=organiser,
                    location=form.cleaned_data["location"],
                )
            except (ValidationError, ValueError) as exc:
                flash_error(request, exc)
            else:
                messages.success(request, _("已按模板建立活动"))
                return redirect("activities:detail", pk=activity.pk)
    year = timezone.localdate().year
    templates = list(ActivityTemplate.objects.all())
    for t in templates:
        t.date = datetime.date(year, t.month, t.day)
    return render(request, "activities/calendar.html", {"templates": templates, "form": form})


@login_required
def ledger(request):
    """Excel ledger of the year's activities and each member's volunteer hours (managers)."""
    if not services.managed_places(request.user):
        raise PermissionDenied
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    exports.activities_ledger(user=request.user, year=year, out=response)
    response["Content-Disposition"] = content_disposition_header(True, f"新时代文明实践台账-{year}.xlsx")
    return response
