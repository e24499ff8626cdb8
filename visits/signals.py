"""Keep LinkTally in step with contacts written one by one (see visits/tallies.py)."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Contact, ContactHousehold
from .periods import local_date
from .tallies import link_on, tally_add


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


@receiver(post_delete, sender=ContactHousehold)
def reached_uncounted(sender, instance: ContactHousehold, **kwargs):
    tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at, delta=-1)


@receiver(pre_save, sender=Contact)
def place_link(sender, instance: Contact, raw=False, **kwargs):
    if instance._state.adding and instance.place_id and instance.link_id is None and not raw:
        instance.link_id = link_on(
            member_id=instance.member_id, place_id=instance.place_id, on=local_date(instance.occurred_at)
        )


@receiver(post_save, sender=Contact)
def place_counted(sender, instance: Contact, created: bool, raw=False, **kwargs):
    # Household contacts count through their ContactHousehold rows.
    if created and not raw and instance.place_id:
        tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at)


@receiver(post_delete, sender=Contact)
def place_uncounted(sender, instance: Contact, **kwargs):
    if instance.place_id:
        tally_add(link_ids=[instance.link_id], kind=instance.kind, occurred_at=instance.occurred_at, delta=-1)
