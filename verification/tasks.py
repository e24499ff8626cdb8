"""Nightly pattern checks, one town at a time (beat: config/celery.py)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from grids.enums import PlaceKind
from grids.models import Place

from .services import check_contact, patterns_run

log = logging.getLogger(__name__)


@shared_task(name="verification.patterns_nightly")
def patterns_nightly() -> int:
    """Yesterday's month for every town (on the 1st that is the month just ended, now judged whole)."""
    month = (timezone.localdate() - datetime.timedelta(days=1)).replace(day=1)
    towns = list(Place.objects.filter(kind=PlaceKind.TOWN).values_list("pk", flat=True))
    for town_id in towns:
        patterns_town.delay(town_id, month.isoformat())
    return len(towns)


@shared_task(name="verification.patterns_town")
def patterns_town(town_id: int, month: str) -> dict:
    town = Place.objects.get(pk=town_id)
    counts = patterns_run(town=town, month=datetime.date.fromisoformat(month))
    log.info("verification patterns town=%s month=%s %s", town_id, month, counts)
    return counts


@shared_task(name="verification.check_contact")
def check_contact_task(contact_id: int, created: bool = False) -> int:
    """A saved contact's save-time signals (verification.signals sends it after the commit). Returns how many."""
    return len(check_contact(contact_id, created=created))
