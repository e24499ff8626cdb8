"""Save-time signals: after a contact's transaction commits, check it (visits knows nothing of this app).

A contact just recorded through visits.services.contact_record carries what the check needs (its member and
household as read for the recording, and the member's link start dates), so it is checked here at once
(`check_recorded`): no query, nothing sent, unless something is found. Any other save (a correction, a contact
saved directly) is checked by the Celery task `verification.check_contact`, sent after the commit on the
publishing connection notifications.outbox keeps, which reads the contact again. If the broker does not take
it, the check runs here (nothing is lost), and for the next BROKER_RETRY_SECONDS every such check runs here
without trying the broker (a dead broker costs a save nothing). A check that fails here is sent to a worker.
"""

from __future__ import annotations

import logging
import time
from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from notifications.outbox import enqueue
from visits.models import Contact

from .services import check_contact, check_recorded
from .tasks import check_contact_task

logger = logging.getLogger(__name__)

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
    transaction.on_commit(partial(check_saved, instance, created))


def check_saved(contact: Contact, created: bool) -> None:
    """After the commit: check a contact just recorded here, or send the check to a worker."""
    if created:
        try:
            if check_recorded(contact) is not None:
                return
        except Exception:  # the contact is saved; its check must not fail the request, a worker redoes it
            logger.exception(
                "save-time check of contact %s failed in the request; sent to a worker", contact.pk
            )
    check_later(contact.pk, created)
