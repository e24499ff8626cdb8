"""Save-time signals: after a contact's transaction commits, check it (visits knows nothing of this app)."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from visits.models import Contact

from .services import check_contact


@receiver(post_save, sender=Contact, dispatch_uid="verification_check_contact")
def contact_saved(sender, instance: Contact, created: bool = False, raw=False, **kwargs):
    if raw:
        return
    transaction.on_commit(partial(check_contact, instance.pk, created=created))
