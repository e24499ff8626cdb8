"""Demo: a few implausible records in last month's activity, the nightly checks, and a drawn call list.

    manage.py demo_verification [--if-empty]

So that a new user opening 走访核实 sees each kind of signal and a call list with results: one member's four
home visits within six minutes at households far apart, one member's five copied summaries, one visit entered
five days late; then the pattern job for the month, the month's sample (seeded), three calls confirmed and one
denied (which opens a case for the discipline commission). Runs after demo_town and demo_activity.
"""

from __future__ import annotations

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from grids.enums import PlaceKind
from grids.models import Place
from members.models import Link
from verification.enums import CallOutcome
from verification.models import Flag, Sample
from verification.services import call_record, check_contact, distance_m, patterns_run, sample_draw
from visits.enums import ContactKind
from visits.models import Contact, ContactHousehold
from visits.periods import TZ


class Command(BaseCommand):
    help = "Plant a few implausible contacts in last month, run the checks and draw the call list (demo)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing if flags or samples exist")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and (Flag.objects.exists() or Sample.objects.exists()):
            self.stdout.write("verification demo already present")
            return
        town = Place.objects.filter(kind=PlaceKind.TOWN).order_by("pk").first()
        staff = get_user_model().objects.filter(username="centre").first()
        if town is None or staff is None:
            self.stdout.write("no demo town: run demo_town first")
            return
        month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        day = datetime.datetime.combine(month + datetime.timedelta(days=9), datetime.time(9, 30), tzinfo=TZ)
        members = self._members_with_households(town, 5)
        with transaction.atomic():
            burst_member, households = self._spread_out(members)
            for i, household in enumerate(households):
                self._contact(
                    burst_member,
                    household,
                    day + datetime.timedelta(minutes=2 * i),
                    "入户走访,了解家庭近况。",
                )
            copier = next(m for m in members if m != burst_member)
            for i, household in enumerate(itertools.islice(itertools.cycle(members[copier]), 5)):
                at = day + datetime.timedelta(days=1 + i, hours=1)
                self._contact(copier, household, at, "入户走访,宣传了惠民政策,了解了家庭情况,暂无诉求。")
            late_member = next(m for m in members if m not in (burst_member, copier))
            late = self._contact(late_member, members[late_member][0], day + datetime.timedelta(days=3), "")
            Contact.objects.filter(pk=late.pk).update(
                created_at=late.occurred_at + datetime.timedelta(days=5)
            )
            check_contact(late.pk)
            counts = patterns_run(town=town, month=month)
            sample = sample_draw(user=staff, town=town, month=month, seed=20261201)
            calls = list(sample.calls.filter(household__isnull=False).order_by("-flagged", "id")[:4])
            for call in calls[:3]:
                call_record(user=staff, call=call, outcome=CallOutcome.CONFIRMED)
            if len(calls) == 4:
                call_record(
                    user=staff, call=calls[3], outcome=CallOutcome.DENIED, note="户主说上个月没有人上门。"
                )
        self.stdout.write(
            f"verification demo: {Flag.objects.count()} flags ({counts}), {sample.calls.count()} calls drawn for"
            f" {month:%Y-%m}, 4 recorded"
        )

    @staticmethod
    def _members_with_households(town: Place, n: int) -> dict:
        """n members of the town with at least four located households each (their current links)."""
        ids = list(
            Link.objects.current()
            .filter(path__startswith=town.path, household__latitude__isnull=False, member__user__isnull=True)
            .values("member_id")
            .annotate(n=Count("id"))
            .filter(n__gte=4)
            .order_by("member_id")
            .values_list("member_id", flat=True)[:n]
        )
        found: dict = {}
        for link in (
            Link.objects.current()
            .filter(member_id__in=ids, household__isnull=False)
            .select_related("member", "household")
        ):
            found.setdefault(link.member, []).append(link.household)
        return found

    @staticmethod
    def _spread_out(members: dict):
        """The member whose four farthest-apart households are farthest apart (the burst stands out)."""

        def span(households):
            return sum(
                distance_m(a.latitude, a.longitude, b.latitude, b.longitude)
                for a, b in zip(households, households[1:], strict=False)
            )

        best = max(
            ((m, list(combo)) for m, hs in members.items() for combo in itertools.combinations(hs[:8], 4)),
            key=lambda pair: span(pair[1]),
        )
        return best

    @staticmethod
    def _contact(member, household, at, summary: str) -> Contact:
        contact = Contact.objects.create(
            member=member,
            kind=ContactKind.HOME_VISIT,
            occurred_at=at,
            household=household,
            summary=summary,
            duty_opinion=True,
            path=household.path,
        )
        ContactHousehold.objects.create(
            contact=contact, household=household, member=member, kind=ContactKind.HOME_VISIT, occurred_at=at
        )
        Contact.objects.filter(pk=contact.pk).update(created_at=at, updated_at=at)
        return contact
