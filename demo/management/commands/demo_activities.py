"""python manage.py demo_activities [--if-empty] [--seed N]

A year's calendar of 新时代文明实践 for the demo town: the town's 所 and every village's 站, an activity for each
calendar template in the twelve months around today (the past ten and a half and the next two), sign-ups from
the members they are open to, and attendance with hours for those already held (about one in eight signed-up
members did not come). The grid-head training leaves a few grid heads absent. Written with bulk_create.
The first village also gets a 宣讲队 with three sessions held, and a few generated photos on its latest activities.
"""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from activities.enums import ActivityKind, ActivityStatus, RequiredGroup, SignUpStatus
from activities.models import Activity, ActivityPhoto, ActivityTemplate, LectureTeam, SignUp
from activities.services import photo_files, station_for
from grids.enums import PlaceKind
from grids.models import Place
from members.enums import PositionKind
from members.models import Member, Position

TOWN_KINDS = {ActivityKind.COMMEMORATION, ActivityKind.LECTURE, ActivityKind.TRAINING}


class Command(BaseCommand):
    help = "给演示镇建一年的新时代文明实践活动、报名和出勤。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="已有活动时什么也不做")
        parser.add_argument("--seed", type=int, default=2021)

    @transaction.atomic
    def handle(self, *args, if_empty, seed, **options):
        if if_empty and Activity.objects.exists():
            self.stdout.write("已有实践活动,跳过 (activities exist; skipped)")
            return
        town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("path").first()
        if town is None:
            raise CommandError("没有演示镇,请先运行 demo_town (no demo town; run demo_town first)")
        rng = random.Random(seed)
        tz = timezone.get_current_timezone()
        today = timezone.localdate()
        now = timezone.now()
        villages = list(
            Place.objects.filter(kind=PlaceKind.VILLAGE, path__startswith=town.path).order_by("path")
        )
        stations = {town.pk: station_for(town), **{v.pk: station_for(v) for v in villages}}
        officers = {
            p.place_id: p.member
            for p in Position.objects.current()
            .filter(kind=PositionKind.VILLAGE_OFFICER)
            .select_related("member")
        }
        town_staff = (
            Position.objects.current()
            .filter(kind=PositionKind.OFFICE_DIRECTOR, place=town)
            .select_related("member")
            .first()
        )
        town_organiser = town_staff.member if town_staff else Member.objects.filter(path=town.path).first()
        activities = []
        for template in ActivityTemplate.objects.all():
            day = datetime.date(today.year + 1, template.month, template.day)
            while day > today + datetime.timedelta(days=60):
                day = day.replace(year=day.year - 1)
            starts = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=tz)
            places = [town] if template.kind in TOWN_KINDS else villages
            for place in places:
                organiser = town_organiser if place is town else officers.get(place.pk, town_organiser)
                activities.append(
                    Activity(
                        station=stations[place.pk],
                        path=place.path,
                        template=template,
                        title=template.title,
                        kind=template.kind,
                        starts_at=starts,
                        ends_at=starts + datetime.timedelta(hours=2 if template.hours <= 2 else 4),
                        location=f"{place.name}党群服务中心",
                        organiser=organiser,
                        capacity=template.capacity,
                        hours=template.hours,
                        description=template.description,
                        required=template.required,
                    )
                )
        Activity.objects.bulk_create(activities, batch_size=1000)
        members_by_village: dict[str, list[int]] = {}
        for pk, path in Member.objects.filter(path__startswith=town.path, is_migrant=False).values_list(
            "id", "path"
        ):
            for v in villages:
                if path.startswith(v.path):
                    members_by_village.setdefault(v.path, []).append(pk)
        everyone = [pk for ids in members_by_village.values() for pk in ids]
        grid_heads = list(
            Position.objects.current()
            .filter(kind=PositionKind.GRID_HEAD, place__path__startswith=town.path)
            .values_list("member_id", flat=True)
            .distinct()
        )
        signups = []
        for a in activities:
            if a.required == RequiredGroup.GRID_HEADS:
                pool = rng.sample(grid_heads, k=int(len(grid_heads) * 0.9))
            else:
                pool = members_by_village.get(a.path) or everyone
                want = min(len(pool), a.capacity or 60) * rng.uniform(0.5, 0.9)
                pool = rng.sample(pool, k=int(want))
            held = a.starts_at <= now
            for pk in pool:
                came = held and rng.random() < 0.88
                signups.append(
                    SignUp(
                        activity=a,
                        member_id=pk,
                        status=SignUpStatus.SIGNED,
                        signed_at=a.starts_at - datetime.timedelta(days=rng.randint(1, 10)),
                        attended=came if held else None,
                        hours=a.hours if came else 0,
                        recorded_at=a.ends_at if held else None,
                    )
                )
        SignUp.objects.bulk_create(signups, batch_size=2000)
        upcoming = sum(1 for a in activities if a.starts_at > now)
        self.stdout.write(
            f"新时代文明实践:{len(stations)} 个所/站,{len(activities)} 项活动(其中 {upcoming} 项尚未开始),"
            f"{len(signups)} 人次报名 (activities demo built)"
        )
        self._lecture_team_and_photos(villages, stations, officers, members_by_village, rng, now)

    def _lecture_team_and_photos(self, villages, stations, officers, members_by_village, rng, now) -> None:
        """The first village's 宣讲队 (its 专干 leads) with three sessions held, and two generated photos on each
        of the three latest activities held there (small JPEGs drawn with Pillow)."""
        if not villages:
            return
        village = villages[0]
        leader = officers.get(village.pk)
        pool = [pk for pk in members_by_village.get(village.path, []) if not leader or pk != leader.pk]
        team = LectureTeam.objects.create(
            station=stations[village.pk],
            name=f"{village.name}宣讲队",
            topics="党的二十届三中全会精神\n惠民惠农政策\n移风易俗\n防汛防火安全",
            leader=leader,
        )
        members = rng.sample(pool, k=min(5, len(pool)))
        # sessions follow the calendar's lecture template (宣讲队进村), like the other demo activities
        lecture = ActivityTemplate.objects.filter(kind=ActivityKind.LECTURE).first()
        team.members.add(*members, *([leader.pk] if leader else []))
        for i, (topic, days) in enumerate((("惠民惠农政策", 70), ("移风易俗", 40), ("防汛防火安全", 12))):
            starts = (now - datetime.timedelta(days=days)).replace(
                hour=11, minute=30, second=0, microsecond=0
            )
            session = Activity.objects.create(
                station=team.station,
                team=team,
                template=lecture,
                title=topic,
                kind=ActivityKind.LECTURE,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=2),
                location=f"{village.name}{i + 1}组屋场",
                organiser=leader or Member.objects.get(pk=members[0]),
                capacity=0,
                status=ActivityStatus.CLOSED,
            )
            SignUp.objects.bulk_create(
                SignUp(
                    activity=session,
                    member_id=pk,
                    signed_at=starts,
                    attended=True,
                    hours=session.hours,
                    recorded_at=session.ends_at,
                )
                for pk in [*(rng.sample(members, k=min(3, len(members)))), *([leader.pk] if leader else [])]
            )
        held = Activity.objects.filter(path=village.path, starts_at__lt=now, team__isnull=True).order_by(
            "-starts_at"
        )[:3]
        n = 0
        for a in held:
            for _ in range(2):
                out = io.BytesIO()
                img = Image.new("RGB", (640, 480), tuple(rng.randint(90, 230) for _ in range(3)))
                draw = ImageDraw.Draw(img)
                for _ in range(6):
                    x, y = rng.randint(0, 560), rng.randint(0, 400)
                    draw.ellipse((x, y, x + 80, y + 80), fill=tuple(rng.randint(0, 255) for _ in range(3)))
                img.save(out, format="JPEG", quality=70)
                image, thumb = photo_files(SimpleUploadedFile("demo.jpg", out.getvalue(), "image/jpeg"))
                photo = ActivityPhoto(activity=a, created_at=a.ends_at)
                photo.image.save("photo.jpg", image, save=False)
                photo.thumb.save("thumb.jpg", thumb, save=False)
                photo.save()
                n += 1
        self.stdout.write(f"宣讲队:{team.name},3 场宣讲;活动照片 {n} 张 (lecture team and photos)")
