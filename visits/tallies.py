"""Keeping LinkTally in step with contacts.

Every way a contact is written goes through here: the services (contact_record creates rows one by one, so
the signals fire; contact_update moves counts explicitly) and any direct `objects.create` (tests, imports),
through the signals in visits/signals.py. `bulk_create` fires no signal: after a bulk load call
`tallies_rebuild()`.

Which link a contact counts towards: the link of the contact's member to that household (or place) that was
active on the contact's local date, stored on the row (ContactHousehold.link, Contact.link for places).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, DateField, F, Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek, TruncYear

from members.models import Link

from .enums import ContactKind, Period
from .periods import TZ, local_date, period_bounds

TRUNC = {
    Period.WEEK: TruncWeek,
    Period.MONTH: TruncMonth,
    Period.QUARTER: TruncQuarter,
    Period.YEAR: TruncYear,
}
BATCH = 5000


def link_on(
    *, member_id: int, on: datetime.date, household_id: int | None = None, place_id: int | None = None
):
    """The member's link to the household/place active on `on`, or None."""
    target = {"household_id": household_id} if household_id else {"place_id": place_id}
    return (
        Link.objects.filter(member_id=member_id, start_date__lte=on, **target)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("-start_date")
        .values_list("pk", flat=True)
        .first()
    )


def tally_add(*, link_ids: Iterable[int], kind: str, occurred_at: datetime.datetime, delta: int = 1) -> None:
    """Add `delta` contacts of `kind` at `occurred_at` to each link's week, month, quarter and year."""
    from .models import LinkTally

    link_ids = sorted({pk for pk in link_ids if pk})
    if not link_ids or kind not in ContactKind.values:
        return
    day = local_date(occurred_at)
    for period in Period:
        start = period_bounds(period, day)[0]
        LinkTally.objects.bulk_create(
            [LinkTally(link_id=pk, period=period, start=start) for pk in link_ids], ignore_conflicts=True
        )
        LinkTally.objects.filter(link_id__in=link_ids, period=period, start=start).update(
            **{kind: F(kind) + delta}
        )


def tallies_rebuild() -> int:
    """Recount every tally from the contacts (after a bulk load or a repair). Returns the rows written."""
    from .models import Contact, ContactHousehold, LinkTally

    LinkTally.objects.all().delete()
    sources = [
        ContactHousehold.objects.filter(link__isnull=False),
        Contact.objects.filter(place__isnull=False, link__isnull=False),
    ]
    written = 0
    for period, trunc in TRUNC.items():
        for source in sources:
            rows = (
                source.annotate(start=trunc("occurred_at", tzinfo=TZ, output_field=DateField()))
                .values("link_id", "start")
                .annotate(**{kind: Count("pk", filter=Q(kind=kind)) for kind in ContactKind.values})
                .order_by()
            )
            batch = []
            for row in rows.iterator(chunk_size=BATCH):
                batch.append(LinkTally(period=period, **row))
                if len(batch) >= BATCH:
                    LinkTally.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
            LinkTally.objects.bulk_create(batch)
            written += len(batch)
    return written
