"""Keep LinkTally, ContactMonthTally and LastContact in step with contacts written one by one (visits/tallies.py)."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from grids.signals import household_paths_moved

from .enums import DUTY_FIELDS
from .models import Contact, ContactHousehold
from .periods import local_date
from .tallies import (
    last_contact_note,
    last_contact_recount,
    link_on,
    month_tallies_recount,
    month_tally_add,
    tally_add,
)

# What a contact's month tally depends on: where, when, which kind, which duties.
MONTH_COUNTED = ("path", "occurred_at", "kind", "struck", *DUTY_FIELDS.values())
# Set on a contact whose tallies were written with it: `contact_record` writes the contact, its reach rows and
# every tally in one statement, then sends post_save for other apps (verification); the receivers here skip it.
COUNTED_ATTR = "_tallies_written"


def _already_counted(instance) -> bool:
    return getattr(instance, COUNTED_ATTR, False)


@receiver(pre_save, sender=ContactHousehold)
def reached_link(sender, instance: ContactHousehold, raw=False, **kwargs):
    if instance.link_id is None and not raw:
        instance.link_id = link_on(
            member_id=instance.member_id,
            household_id=instance.household_id,
            on=local_date(instance.occurred_at),
        )


@receiver(post_save, sender=ContactHousehold)
def reached_counted(sender, instance: ContactHousehold, created: bool, raw=False, **kwargs):
    if created and not raw:
        tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at)
        last_contact_note(household_ids=[instance.household_id], at=instance.occurred_at)


@receiver(post_delete, sender=ContactHousehold)
def reached_uncounted(sender, instance: ContactHousehold, **kwargs):
    tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at, delta=-1)
    last_contact_recount([instance.household_id])


@receiver(pre_save, sender=Contact)
def place_link(sender, instance: Contact, raw=False, **kwargs):
    if instance._state.adding and instance.place_id and instance.link_id is None and not raw:
        instance.link_id = link_on(
            member_id=instance.member_id, place_id=instance.place_id, on=local_date(instance.occurred_at)
        )


@receiver(post_save, sender=Contact)
def place_counted(sender, instance: Contact, created: bool, raw=False, **kwargs):
    # Household contacts count through their ContactHousehold rows.
    if created and not raw and instance.place_id and not _already_counted(instance):
        tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at)


@receiver(post_delete, sender=Contact)
def place_uncounted(sender, instance: Contact, **kwargs):
    if instance.place_id and not instance.struck:
        tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at, delta=-1)


def _month_count(values: dict, delta: int) -> None:
    if values.get("struck"):  # a contact decided false counts nowhere (visits.services.contact_strike)
        return
    month_tally_add(
        path=values["path"],
        kind=values["kind"],
        occurred_at=values["occurred_at"],
        duty_fields=[field for field in DUTY_FIELDS.values() if values[field]],
        delta=delta,
    )


@receiver(pre_save, sender=Contact)
def month_counted_before(sender, instance: Contact, raw=False, update_fields=None, **kwargs):
    """Before a contact is changed, remember what it counted for (one query; corrections are rare)."""
    instance._month_counted = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(MONTH_COUNTED):
        return
    instance._month_counted = Contact.objects.filter(pk=instance.pk).values(*MONTH_COUNTED).first()


@receiver(post_save, sender=Contact)
def month_counted(sender, instance: Contact, created: bool, raw=False, **kwargs):
    if raw:
        return
    now = {field: getattr(instance, field) for field in MONTH_COUNTED}
    if created:
        if not _already_counted(instance):
            _month_count(now, +1)
        return
    before = getattr(instance, "_month_counted", None)
    if before is not None and before != now:
        _month_count(before, -1)
        _month_count(now, +1)


@receiver(post_delete, sender=Contact)
def month_uncounted(sender, instance: Contact, **kwargs):
    _month_count({field: getattr(instance, field) for field in MONTH_COUNTED}, -1)


@receiver(household_paths_moved)
def month_recounted(sender, old_paths, new_paths, **kwargs):
    """Households changed grid and their contacts' paths were rewritten: recount both sides."""
    month_tallies_recount([*old_paths, *new_paths])
