"""Save-time signals: after a contact's transaction commits, check it in the background (visits knows nothing
of this app).

The check (verification.services.check_contact: two reads and maybe a few writes) used to run in the request
that saved the contact, a quarter of its CPU time (docs/benchmarks.md). It is now a Celery task,
`verification.check_contact`, sent after the commit on the publishing connection notifications.outbox keeps. If the
broker does not take it, the check runs here as before (nothing is lost), and for the next
BROKER_RETRY_SECONDS every check runs here without trying the broker (a dead broker costs a save nothing).
"""

from __future__ import annotations

import time
from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from notifications.outbox import enqueue
from visits.models import Contact

from .services import check_contact
from .tasks import check_contact_task

BROKER_RETRY_SECONDS = 30.0
_broker_down_until = 0.0


def check_later(contact_id: int, created: bool) -> None:
    """Send the check to a worker, or run it now if the broker is (or recently was) not taking tasks."""
    global _broker_down_until
    if time.monotonic() >= _broker_down_until:
        if enqueue(check_contact_task, contact_id, created):
            return
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
    check_contact(contact_id, created=created)


@receiver(post_save, sender=Contact, dispatch_uid="verification_check_contact")
def contact_saved(sender, instance: Contact, created: bool = False, raw=False, **kwargs):
    if raw:
        return
    transaction.on_commit(partial(check_later, instance.pk, created))
