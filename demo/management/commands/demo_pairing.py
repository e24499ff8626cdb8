"""python manage.py demo_pairing [--if-empty]

One pairing gap in the demo town, so a new user sees 配对建议 working: an ordinary party member of the first
village goes to work away (exempt from linking) while still holding their households, and a draft batch
re-pairs those households (mode "rebalance"). Members of that village get a location near the middle of
their group's households, so the proposal shows distances. Run after demo_town (dev.py serve does).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Avg

from grids.enums import PlaceKind
from grids.models import Household, Place
from members.enums import ExemptReason, LinkType, MemberRole
from members.models import Link, Member
from pairing.enums import PairingMode
from pairing.models import PairingBatch
from pairing.services import batch_propose


class Command(BaseCommand):
    help = "给演示镇加一个配对缺口(一名党员外出务工免于联户),并提出一批待确认的配对建议。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="已有配对批次时什么也不做")

    @transaction.atomic
    def handle(self, *args, if_empty, **options):
        if if_empty and PairingBatch.objects.exists():
            self.stdout.write("已有配对批次,跳过 (pairing batches exist; skipped)")
            return
        village = Place.objects.filter(kind=PlaceKind.VILLAGE).order_by("path").first()
        if village is None:
            raise CommandError("没有演示镇,请先运行 demo_town (no demo town; run demo_town first)")
        centres = {
            row["grid_id"]: row
            for row in Household.objects.filter(path__startswith=village.path)
            .values("grid_id")
            .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
        }
        members = list(Member.objects.filter(path__startswith=village.path, latitude__isnull=True))
        for m in members:
            centre = centres.get(m.home_id)
            if centre and centre["lat"] is not None:
                m.latitude, m.longitude = round(centre["lat"], 5), round(centre["lon"], 5)
        Member.objects.bulk_update(members, ["latitude", "longitude"], batch_size=500)
        holders = Link.objects.current().filter(link_type=LinkType.PARTY_HOUSEHOLD).values("member_id")
        leaving = (
            Member.objects.filter(
                path__startswith=village.path,
                role=MemberRole.PARTY_MEMBER,
                is_exempt=False,
                is_migrant=False,
                user__isnull=True,
                positions__isnull=True,
                pk__in=holders,
            )
            .order_by("path", "name", "pk")
            .first()
        )
        if leaving is None:
            raise CommandError("第一个村没有可用的党员 (no party member to use)")
        leaving.is_exempt = True
        leaving.exempt_reason = ExemptReason.WORKING_AWAY
        leaving.exempt_note = "外出务工(演示:其联系户待重新配对)"
        leaving.save(update_fields=["is_exempt", "exempt_reason", "exempt_note"])
        batch = batch_propose(
            user=None, place=village, mode=PairingMode.REBALANCE, subject=leaving, note="演示 demo"
        )
        s = batch.summary
        self.stdout.write(
            f"配对缺口:{village.name} 的 {leaving.name} 外出务工,{s['to_pair']} 户待重新配对;"
            f"待确认的配对批次 #{batch.pk}:新建 {s['creating']} 条,结束 {s['ending']} 条,无法配对 {s['unmet']} 户"
            f" (pairing gap and draft batch #{batch.pk}: see /pairing/)"
        )
