"""Writes on members and links. Reassigning ends a link and starts another, so history is kept."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.errors import Invalid

from .enums import LINK_TARGET, TargetKind
from .models import Link, Member


@transaction.atomic
def link_create(
    *,
    member: Member,
    link_type: str,
    target,
    start_date: datetime.date | None = None,
    note: str = "",
) -> Link:
    """Link a member to a household, a place or a migrant member. Refuses exempt members and wrong roles
    (Link.clean, through full_clean)."""
    kind = LINK_TARGET[link_type]
    link = Link(member=member, link_type=link_type, start_date=start_date or timezone.localdate(), note=note)
    if kind == TargetKind.HOUSEHOLD:
        link.household = target
    elif kind == TargetKind.MIGRANT:
        link.migrant = target
    else:
        link.place = target
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def link_end(*, link: Link, end_date: datetime.date | None = None) -> Link:
    end_date = end_date or timezone.localdate()
    if end_date < link.start_date:
        raise Invalid(_("结束日期不能早于开始日期"))
    link.end_date = end_date
    link.save(update_fields=["end_date"])
    return link


@transaction.atomic
def link_reassign(*, link: Link, new_member: Member, on: datetime.date | None = None) -> Link:
    """Hand a link's target to another member from `on`: the old link ends the day before, the new starts on `on`.

    Side effects: ends `link`, creates and returns the new link. Both remain, so the household's history shows who
    looked after it when.
    """
    on = on or timezone.localdate()
    if link.end_date is not None and link.end_date < on:
        raise Invalid(_("该联系已结束"))
    if on <= link.start_date:
        raise Invalid(_("交接日期必须晚于原联系开始日期"))
    link_end(link=link, end_date=on - datetime.timedelta(days=1))
    return link_create(
        member=new_member, link_type=link.link_type, target=link.target, start_date=on, note=link.note
    )
