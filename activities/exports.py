"""新时代文明实践台账: activities of the year and volunteer hours per member, with the shared ledger writer."""

import datetime

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.ledger import Column, Sheet, write_ledger

from .enums import SignUpStatus
from .models import Activity, ActivityPhoto, SignUp
from .services import stations_managed_by


def activities_ledger(*, user, year: int, out) -> dict:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    stations = stations_managed_by(user)
    activities = (
        Activity.objects.filter(station__in=stations, starts_at__gte=start, starts_at__lt=end)
        .select_related("station", "organiser")
        .annotate(
            signed=Count("signups", filter=Q(signups__status=SignUpStatus.SIGNED)),
            came=Count("signups", filter=Q(signups__attended=True)),
            total_hours=Sum("signups__hours", filter=Q(signups__attended=True)),
            # a subquery, not a second join: joined with the sign-ups it would multiply the counts
            photo_n=Coalesce(
                Subquery(
                    ActivityPhoto.objects.filter(activity=OuterRef("pk"))
                    .order_by()
                    .values("activity")
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("starts_at", "id")
    )
    hours = (
        SignUp.objects.filter(
            activity__station__in=stations, activity__starts_at__gte=start, activity__starts_at__lt=end
        )
        .values("member__name", "member__home__name", "member__role")
        .annotate(n=Count("id", filter=Q(attended=True)), h=Sum("hours", filter=Q(attended=True)))
        .order_by("-h", "member__name")
    )
    caption = _("新时代文明实践台账 %(year)d 年") % {"year": year}
    return write_ledger(
        [
            Sheet(
                title=str(_("活动")),
                caption=caption,
                columns=[
                    Column(str(_("日期")), 18, "datetime"),
                    Column(str(_("实践所/站")), 24),
                    Column(str(_("活动")), 24),
                    Column(str(_("类型")), 14),
                    Column(str(_("地点")), 20),
                    Column(str(_("组织者")), 10),
                    Column(str(_("名额")), 8, "int"),
                    Column(str(_("报名")), 8, "int"),
                    Column(str(_("参加")), 8, "int"),
                    Column(str(_("志愿服务时长")), 12, "decimal"),
                    Column(str(_("照片")), 8, "int"),
                ],
                rows=(
                    (
                        a.starts_at,
                        a.station.name,
                        a.title,
                        a.get_kind_display(),
                        a.location,
                        a.organiser.name,
                        a.capacity,
                        a.signed,
                        a.came,
                        a.total_hours or 0,
                        a.photo_n,
                    )
                    for a in activities.iterator(chunk_size=2000)
                ),
            ),
            Sheet(
                title=str(_("志愿服务时长")),
                caption=caption,
                columns=[
                    Column(str(_("姓名")), 10),
                    Column(str(_("所在地")), 20),
                    Column(str(_("参加次数")), 10, "int"),
                    Column(str(_("志愿服务时长")), 12, "decimal"),
                ],
                rows=(
                    (r["member__name"], r["member__home__name"], r["n"], r["h"] or 0)
                    for r in hours.iterator()
                ),
            ),
        ],
        out,
    )
