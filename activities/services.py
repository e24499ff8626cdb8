"""Activities: who sees and manages what, sign-up with its limits, attendance and hours, templates, summaries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import Invalid
from grids.models import Place
from grids.paths import ancestors
from members.access import paths_q, scope_for
from members.enums import PositionKind
from members.models import Member, Position

from .enums import ActivityStatus, RequiredGroup, SignUpStatus
from .models import Activity, ActivityPhoto, ActivityTemplate, LectureTeam, SignUp, Station

MAX_PHOTOS = 12  # per activity
MAX_PHOTOS_PER_UPLOAD = 6
THUMB_SIDE = 320

REQUIRED_POSITION = {
    RequiredGroup.GRID_HEADS: PositionKind.GRID_HEAD,
    RequiredGroup.VILLAGE_OFFICERS: PositionKind.VILLAGE_OFFICER,
}


class ActivityError(Invalid):
    """A refused sign-up or change (grids/errors.py)."""


# --- scoping ----------------------------------------------------------------------------------------------


def can_manage_path(user, path: str) -> bool:
    """Town staff manage every station of their town; a village officer their village's station."""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if scope.is_staff_of(path):
        return True
    if scope.is_village_officer and path in scope.village_paths:
        return scope.writes_path(path)
    return False


def managed_places(user) -> list[Place]:
    """The towns and villages whose station the user manages (town staff: town and villages; officer: village)."""
    scope = scope_for(user)
    kinds = [PlaceKind.TOWN, PlaceKind.VILLAGE]
    if scope.is_superuser:
        return list(Place.objects.filter(kind__in=kinds).order_by("path"))
    q = Q(pk__in=[])
    for path in scope.staff_town_paths:
        q |= Q(path__startswith=path, kind__in=kinds)
    if scope.is_village_officer:
        q |= Q(path__in=[p for p in scope.village_paths if scope.writes_path(p)], kind=PlaceKind.VILLAGE)
    return list(Place.objects.filter(q).order_by("path"))


def stations_ensure(user) -> QuerySet[Station]:
    """The user's stations, creating the missing ones (a town and its villages: a handful of rows)."""
    places = managed_places(user)
    have = set(Station.objects.filter(place__in=places).values_list("place_id", flat=True))
    for place in places:
        if place.pk not in have:
            station_for(place)
    return Station.objects.filter(place__in=places).order_by("path")


def stations_managed_by(user) -> QuerySet[Station]:
    scope = scope_for(user)
    if scope.is_superuser:
        return Station.objects.all()
    q = paths_q(scope.staff_town_paths)
    if scope.is_village_officer:
        q |= Q(path__in=[p for p in scope.village_paths if scope.writes_path(p)])
    return Station.objects.filter(q)


def activities_visible_to(user) -> QuerySet[Activity]:
    """Managers and the discipline commission see their subtree; a member sees the activities open to them:
    those of the town's 所 and of their own village's 站 (stations at or above where they live)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Activity.objects.all()
    q = Q(pk__in=[])
    if scope.is_town_staff or scope.is_village_officer or scope.is_discipline:
        q |= scope.path_q()
    if scope.member is not None:
        q |= Q(path__in=ancestors(scope.member.path))
        q |= Q(organiser=scope.member)
    return Activity.objects.filter(q)


def teams_visible_to(user) -> QuerySet[LectureTeam]:
    """宣讲队 as activities: managers and the discipline commission see their subtree's teams; a member sees the
    teams of the stations open to them, and the teams they belong to or lead."""
    scope = scope_for(user)
    if scope.is_superuser:
        return LectureTeam.objects.all()
    q = Q(pk__in=[])
    if scope.is_town_staff or scope.is_village_officer or scope.is_discipline:
        q |= scope.path_q("station__path")
    if scope.member is not None:
        q |= Q(station__path__in=ancestors(scope.member.path))
        q |= Q(members=scope.member) | Q(leader=scope.member)
    return LectureTeam.objects.filter(pk__in=LectureTeam.objects.filter(q).values("pk"))


def can_record_session(user, team: LectureTeam) -> bool:
    """The team's leader, or a manager of its station (town staff, the village's 专干)."""
    scope = scope_for(user)
    if scope.member is None:
        return False
    return team.leader_id == scope.member.pk or can_manage_path(user, team.station.path)


def open_to(member: Member, activity: Activity) -> bool:
    return activity.path in ancestors(member.path)


def get_activity_for_user(user, pk) -> Activity:
    activity = activities_visible_to(user).select_related("station", "organiser").filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def can_record(user, activity: Activity) -> bool:
    scope = scope_for(user)
    return can_manage_path(user, activity.path) or (
        scope.member is not None and activity.organiser_id == scope.member.pk
    )


# --- writes -----------------------------------------------------------------------------------------------


def station_for(place: Place) -> Station:
    if place.kind not in (PlaceKind.TOWN, PlaceKind.VILLAGE):
        raise ActivityError(_("实践所/站只能设在镇或村(社区)"))
    # a stored name, in the town's language whatever the page's language (not translated)
    suffix = "新时代文明实践所" if place.kind == PlaceKind.TOWN else "新时代文明实践站"
    station, _created = Station.objects.get_or_create(place=place, defaults={"name": f"{place.name}{suffix}"})
    return station


@transaction.atomic
def activity_create(
    *,
    user,
    station: Station,
    title: str,
    kind: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    location: str,
    organiser: Member,
    capacity: int = 30,
    hours: Decimal = Decimal(2),
    description: str = "",
    required: str = "",
    template: ActivityTemplate | None = None,
) -> Activity:
    if user is not None and not can_manage_path(user, station.path):
        raise PermissionDenied
    if ends_at < starts_at:
        raise ActivityError(_("结束时间不能早于开始时间"), field="ends_at")
    if not (Decimal(0) <= Decimal(hours) <= Decimal(24)):
        raise ActivityError(_("志愿服务时长应在 0 到 24 小时之间"), field="hours")
    if not organiser.path.startswith(station.path) and not station.path.startswith(organiser.path):
        raise ActivityError(_("组织者应是本镇/本村的人员"), field="organiser")
    return Activity.objects.create(
        station=station,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        organiser=organiser,
        capacity=capacity,
        hours=hours,
        description=description,
        required=required,
        template=template,
        created_by=user,
    )


def activity_from_template(
    *, user, template: ActivityTemplate, station: Station, year: int, organiser: Member, location: str = ""
) -> Activity:
    """Copy a calendar template into a real activity at 9:00–11:00 local time on its day of `year`."""
    tz = timezone.get_current_timezone()
    day = datetime.date(year, template.month, template.day)
    starts = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=tz)
    return activity_create(
        user=user,
        station=station,
        title=template.title,
        kind=template.kind,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location=location or station.name,
        organiser=organiser,
        capacity=template.capacity,
        hours=template.hours,
        description=template.description,
        required=template.required,
        template=template,
    )


@transaction.atomic
def signup(*, user, activity: Activity, now: datetime.datetime | None = None) -> SignUp:
    """The user's member signs up. Refused: not open to them, not open, already started, full."""
    now = now or timezone.now()
    member = scope_for(user).member
    if member is None:
        raise PermissionDenied
    activity = Activity.objects.select_for_update().get(pk=activity.pk)  # one sign-up at a time per activity
    if not open_to(member, activity):
        raise ActivityError(_("该活动不面向您所在的村(社区)"))
    if activity.status != ActivityStatus.OPEN:
        raise ActivityError(_("该活动已停止报名"))
    if activity.starts_at <= now:
        raise ActivityError(_("活动已开始,不能再报名"))
    existing = SignUp.objects.filter(activity=activity, member=member).first()
    if existing is not None and existing.status == SignUpStatus.SIGNED:
        return existing
    taken = SignUp.objects.filter(activity=activity, status=SignUpStatus.SIGNED).count()
    if activity.capacity and taken >= activity.capacity:
        raise ActivityError(_("名额已满(%(n)d 人)") % {"n": activity.capacity})
    if existing is not None:
        existing.status, existing.signed_at = SignUpStatus.SIGNED, now
        existing.save(update_fields=["status", "signed_at"])
        return existing
    return SignUp.objects.create(activity=activity, member=member, signed_at=now)


@transaction.atomic
def signup_cancel(*, user, activity: Activity, now: datetime.datetime | None = None) -> SignUp | None:
    now = now or timezone.now()
    member = scope_for(user).member
    if member is None:
        raise PermissionDenied
    row = SignUp.objects.select_for_update().filter(activity=activity, member=member).first()
    if row is None or row.status == SignUpStatus.CANCELLED:
        return row
    if activity.starts_at <= now:
        raise ActivityError(_("活动已开始,不能取消报名"))
    row.status = SignUpStatus.CANCELLED
    row.save(update_fields=["status"])
    return row


@dataclass
class AttendanceEntry:
    member_id: int
    attended: bool
    hours: str | Decimal | None = None


@transaction.atomic
def attendance_record(
    *, user, activity: Activity, entries: list[AttendanceEntry], now: datetime.datetime | None = None
) -> int:
    """The organiser (or a manager) records who came and their hours; a walk-in of the area gets a row too.

    Validates every entry before writing any: one bad hours value changes nothing.
    """
    now = now or timezone.now()
    if not can_record(user, activity):
        raise PermissionDenied
    if activity.starts_at > now:
        raise ActivityError(_("活动开始后才能登记出勤"))
    rows = {s.member_id: s for s in SignUp.objects.select_for_update().filter(activity=activity)}
    new_ids = [e.member_id for e in entries if e.member_id not in rows]
    walk_ins = {m.pk: m for m in Member.objects.filter(pk__in=new_ids, path__startswith=activity.path)}
    cleaned = []
    for e in entries:
        try:
            hours = Decimal(str(e.hours)) if e.hours not in (None, "") else activity.hours
        except InvalidOperation:
            raise ActivityError(_("时长必须是数字")) from None
        if not e.attended:
            hours = Decimal(0)
        if hours < 0 or hours > 24:
            raise ActivityError(_("志愿服务时长应在 0 到 24 小时之间"))
        if e.member_id not in rows and e.member_id not in walk_ins:
            raise ActivityError(_("只能登记本镇/本村的人员"))
        cleaned.append((e, hours.quantize(Decimal("0.1"))))
    changed = 0
    for e, hours in cleaned:
        row = rows.get(e.member_id) or SignUp(activity=activity, member_id=e.member_id, signed_at=now)
        row.attended, row.hours, row.recorded_by, row.recorded_at = e.attended, hours, user, now
        row.save()
        changed += 1
    return changed


def session_record_yard_meeting(*, user, activity: Activity, household_codes: str):
    """Record a lecture-team session as one 屋场夜话 contact for the households present (visits' contact service).

    Only the organiser, once the session has started; the households must be within the organiser's scope
    (the contact service checks). Recording twice returns the same contact (its client id is the session's).
    """
    import uuid

    from grids.models import Household
    from visits.enums import ContactKind
    from visits.services import contact_record

    if activity.team_id is None:
        raise ActivityError(_("只有宣讲队的宣讲活动才能记为屋场夜话"))
    member = scope_for(user).member
    if member is None or activity.organiser_id != member.pk:
        raise PermissionDenied
    if activity.starts_at > timezone.now():
        raise ActivityError(_("活动开始后才能登记出勤"))
    codes = [c for c in household_codes.replace(",", " ").replace("，", " ").split() if c]
    households = list(Household.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {h.code for h in households})
    if missing or not households:
        raise ActivityError(_("找不到这些户编号:%(codes)s") % {"codes": "、".join(missing) or "—"})
    contact = contact_record(
        user=user,
        kind=ContactKind.YARD_MEETING,
        occurred_at=activity.starts_at,
        duties=["policy"],
        households=households,
        summary=_("宣讲:%(title)s") % {"title": activity.title},
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"lianhu:activity:{activity.pk}"),
    )
    Activity.objects.filter(pk=activity.pk).update(contact=contact)
    return contact


def photo_files(upload):
    """(image, thumbnail) for one upload: visits' cleaning (re-encoded JPEG, no EXIF, at most 1600 px a side)
    plus a 320 px copy. Any refusal becomes one message in the page's language."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from visits.services import photo_clean

    name = getattr(upload, "name", "") or ""
    max_bytes = int(settings.LIANHU.get("CONTACT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))  # as visits' photos
    if upload.size is not None and upload.size > max_bytes:
        raise ActivityError(
            _("照片“%(name)s”超过 %(mb)d MB,请压缩后再上传")
            % {"name": name, "mb": max_bytes // (1024 * 1024)}
        )
    try:
        image = photo_clean(upload)
    except ValidationError:
        raise ActivityError(
            _("“%(name)s”不是可用的图片,只能上传 JPEG、PNG 或 WebP 照片") % {"name": name}
        ) from None
    with Image.open(io.BytesIO(image.read())) as img:
        img.thumbnail((THUMB_SIDE, THUMB_SIDE))
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=80, optimize=True)
    image.seek(0)
    return image, ContentFile(out.getvalue(), name="thumb.jpg")


@transaction.atomic
def photos_add(
    *, user, activity: Activity, uploads, now: datetime.datetime | None = None
) -> list[ActivityPhoto]:
    """The organiser or a manager of the station adds photos once the activity has started.

    Every file is checked before any is stored: one bad file stores nothing.
    """
    now = now or timezone.now()
    if not can_record(user, activity):
        raise PermissionDenied
    if activity.starts_at > now:
        raise ActivityError(_("活动开始后才能上传照片"))
    uploads = list(uploads)
    if not uploads:
        raise ActivityError(_("请选择要上传的照片"))
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        raise ActivityError(_("一次最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS_PER_UPLOAD})
    Activity.objects.select_for_update().filter(pk=activity.pk).first()  # two uploads at once: one at a time
    have = ActivityPhoto.objects.filter(activity=activity).count()
    if have + len(uploads) > MAX_PHOTOS:
        raise ActivityError(
            _("每个活动最多 %(max)d 张照片,已有 %(have)d 张") % {"max": MAX_PHOTOS, "have": have}
        )
    files = [photo_files(upload) for upload in uploads]
    photos = []
    for image, thumb in files:
        photo = ActivityPhoto(activity=activity, uploaded_by=user, created_at=now)
        photo.image.save("photo.jpg", image, save=False)
        photo.thumb.save("thumb.jpg", thumb, save=False)
        photo.save()
        photos.append(photo)
    return photos


def photo_delete(*, user, photo: ActivityPhoto) -> None:
    if not can_record(user, photo.activity):
        raise PermissionDenied
    image, thumb = photo.image, photo.thumb
    photo.delete()
    transaction.on_commit(lambda: (image.delete(save=False), thumb.delete(save=False)))


@dataclass
class SessionIn:
    team: LectureTeam
    starts_at: datetime.datetime
    hours: Decimal
    location: str
    topic: str
    present: list[int]  # team members present (member ids)
    household_codes: str = ""  # households present, to record as one 屋场夜话 contact (optional)


@transaction.atomic
def session_record(*, user, data: SessionIn, now: datetime.datetime | None = None) -> Activity:
    """A lecture session held: an activity of the team's station (kind 政策宣讲, the recording member as
    organiser), attendance with hours for the team members present, and, when households are given, one
    屋场夜话 contact for them through the contact service. All or nothing: a bad household code records nothing.
    """
    now = now or timezone.now()
    team = data.team
    if not can_record_session(user, team):
        raise PermissionDenied
    organiser = scope_for(user).member
    if data.starts_at > now:
        raise ActivityError({"date": _("只能登记已经举行的宣讲")})
    if not (Decimal("0.5") <= data.hours <= Decimal(24)):
        raise ActivityError({"hours": _("时长应在 0.5 到 24 小时之间")})
    members = set(team.members.values_list("pk", flat=True)) | ({team.leader_id} - {None})
    strangers = set(data.present) - members
    if strangers:
        raise ActivityError({"present": _("只能登记本宣讲队的队员")})
    from .enums import ActivityKind

    activity = Activity.objects.create(
        station=team.station,
        team=team,
        title=data.topic,
        kind=ActivityKind.LECTURE,
        starts_at=data.starts_at,
        ends_at=data.starts_at + datetime.timedelta(hours=float(data.hours)),
        location=data.location,
        organiser=organiser,
        capacity=0,
        hours=data.hours,
        status=ActivityStatus.CLOSED,
        created_by=user,
    )
    SignUp.objects.bulk_create(
        [
            SignUp(
                activity=activity,
                member_id=mid,
                signed_at=now,
                attended=True,
                hours=data.hours,
                recorded_by=user,
                recorded_at=now,
            )
            for mid in sorted(set(data.present))
        ]
    )
    if data.household_codes.strip():
        session_record_yard_meeting(user=user, activity=activity, household_codes=data.household_codes)
        activity.refresh_from_db(fields=["contact"])
    return activity


def team_sessions(teams: list[LectureTeam], limit: int | None = None) -> dict[int, list[Activity]]:
    """Sessions held per team (newest first), each with `present` (team members attended) and `reached`
    (households of its 屋场夜话 contact, 0 if none): one query for any number of teams."""
    qs = (
        Activity.objects.filter(team__in=teams, starts_at__lte=timezone.now())
        .annotate(
            present=Count("signups", filter=Q(signups__attended=True), distinct=True),
            reached=Count("contact__reached", distinct=True),
        )
        .order_by("-starts_at", "-id")
    )
    if limit is not None:  # the newest `limit` of each team, cut in the database
        newest = Window(
            RowNumber(), partition_by=[F("team_id")], order_by=[F("starts_at").desc(), F("id").desc()]
        )
        qs = qs.annotate(newest=newest).filter(newest__lte=limit)
    out: dict[int, list[Activity]] = {t.pk: [] for t in teams}
    for a in qs:
        out[a.team_id].append(a)
    return out


# --- reads ------------------------------------------------------------------------------------------------


def absentees(activity: Activity, on: datetime.date | None = None) -> QuerySet[Member]:
    """Members a training requires (e.g. every grid head under its station) who did not attend."""
    kind = REQUIRED_POSITION.get(activity.required)
    if kind is None:
        return Member.objects.none()
    on = on or timezone.localdate(activity.starts_at)
    required = Position.objects.current(on).filter(kind=kind, place__path__startswith=activity.path)
    came = SignUp.objects.filter(activity=activity, attended=True).values("member_id")
    return (
        Member.objects.filter(pk__in=required.values("member_id"))
        .exclude(pk__in=came)
        .order_by("path", "name")
    )


def volunteer_summary(member: Member, year: int) -> dict:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    rows = SignUp.objects.filter(member=member, activity__starts_at__gte=start, activity__starts_at__lt=end)
    agg = rows.aggregate(
        total_hours=Sum("hours", filter=Q(attended=True)),
        attended_n=Count("id", filter=Q(attended=True)),
        signed_n=Count("id", filter=Q(status=SignUpStatus.SIGNED)),
        missed_n=Count("id", filter=Q(attended=False)),
    )
    return {
        "hours": agg["total_hours"] or Decimal(0),
        "attended": agg["attended_n"],
        "signed": agg["signed_n"],
        "missed": agg["missed_n"],
    }


def volunteer_hours(
    member_ids: list[int], start: datetime.datetime, end: datetime.datetime
) -> dict[int, Decimal]:
    """Attended hours per member for activities that began in [start, end) (the award ranking's component)."""
    return {
        row["member_id"]: row["h"]
        for row in SignUp.objects.filter(
            member_id__in=member_ids,
            attended=True,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
        .values("member_id")
        .annotate(h=Sum("hours"))
        .order_by()
    }


def members_year_record(
    *, member_ids: list[int], path: str, year: int, on: datetime.date | None = None
) -> dict:
    """Each member's year in the activities of stations under `path` (the yearly appraisal's entry):
    {member_id: {"hours", "attended", "absent", "trainings_missed"}}, members without any activity omitted.

    - hours / attended: attended sign-ups of activities that began in the year;
    - absent: signed up (not cancelled) and recorded as not attending;
    - trainings_missed: trainings of the year (over by `on`) that required a post the member held on the
      training's day (e.g. all grid heads under its station), without an attended row.
    At most four queries whatever the number of members or trainings.
    """
    on = on or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = min(
        datetime.datetime(year + 1, 1, 1, tzinfo=tz), datetime.datetime.combine(on, datetime.time.max, tz)
    )
    out: dict[int, dict] = {}

    def row(mid: int) -> dict:
        return out.setdefault(mid, {"hours": Decimal(0), "attended": 0, "absent": 0, "trainings_missed": 0})

    # 1: sign-ups per member (hours, attended, absent)
    for r in (
        SignUp.objects.filter(
            member_id__in=member_ids,
            activity__path__startswith=path,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
        .values("member_id")
        .annotate(
            h=Sum("hours", filter=Q(attended=True)),
            came=Count("id", filter=Q(attended=True)),
            absent=Count("id", filter=Q(attended=False, status=SignUpStatus.SIGNED)),
        )
        .order_by()
    ):
        if r["came"] or r["absent"]:
            rec = row(r["member_id"])
            rec["hours"], rec["attended"], rec["absent"] = r["h"] or Decimal(0), r["came"], r["absent"]
    # 2: the year's trainings that require attendees, and who attended them
    trainings = list(
        Activity.objects.filter(
            path__startswith=path,
            required__in=list(REQUIRED_POSITION),
            starts_at__gte=start,
            ends_at__lt=end,
        )
        .exclude(status=ActivityStatus.CANCELLED)
        .values("id", "path", "required", "starts_at")
        .order_by()
    )
    if not trainings:
        return out
    came = set(
        SignUp.objects.filter(
            activity_id__in=[t["id"] for t in trainings], attended=True, member_id__in=member_ids
        ).values_list("activity_id", "member_id")
    )
    # 3: the posts those trainings require, held by these members at some time in the year
    posts = list(
        Position.objects.filter(
            member_id__in=member_ids,
            kind__in=list(REQUIRED_POSITION.values()),
            place__path__startswith=path,
            start_date__lte=end.date(),
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start.date()))
        .values("member_id", "kind", "place__path", "start_date", "end_date")
    )
    for t in trainings:
        kind = REQUIRED_POSITION[t["required"]]
        day = timezone.localdate(t["starts_at"])
        required = {
            p["member_id"]
            for p in posts
            if p["kind"] == kind
            and p["place__path"].startswith(t["path"])
            and p["start_date"] <= day
            and (p["end_date"] is None or p["end_date"] >= day)
        }
        for mid in required:
            if (t["id"], mid) not in came:
                row(mid)["trainings_missed"] += 1
    return out
