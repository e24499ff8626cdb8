"""What the two SMS providers share: template lookup, the folded count of digests, masked logging."""

from __future__ import annotations

import logging
import re

from grids.validators import mask_phone
from members.models import Member

from ..enums import Channel
from ..models import Delivery, Notification
from ..services import ChannelBackend, ChannelError
from . import rules
from .templates import SmsTemplate, TemplateConfigError, field_values, template_for

logger = logging.getLogger("notifications.channels")
MOBILE = re.compile(r"^1[3-9]\d{9}$")  # as grids.validators


def _uses_folded(kind: str) -> bool:
    """Whether the kind's template has a parameter for the folded count (only then are folded rows counted)."""
    try:
        template = template_for(kind)
    except TemplateConfigError:
        return False
    if template is None:
        return False
    fields = template.params.values() if isinstance(template.params, dict) else template.params
    return "folded" in fields


class TemplateSmsChannel(ChannelBackend):
    """An SMS backend that sends approved templates. Subclasses implement `_send` and return the provider id."""

    channel = Channel.SMS
    provider = ""
    # Quiet hours and the daily cap apply (notifications.channels.rules).
    metered = True

    def address_for(self, member: Member) -> str:
        # Only mobiles get SMS (a member's number may be a landline: 0731-...).
        return member.phone if MOBILE.match(member.phone or "") else ""

    def _send(self, *, phone: str, template: SmsTemplate, values: dict[str, str], reference: str) -> str:
        raise NotImplementedError

    def send(self, *, member: Member, notification: Notification) -> str:
        return self._send_one(member=member, notification=notification, folded_ids=[], reference="")

    def send_delivery(self, delivery: Delivery) -> str:
        notification = delivery.notification
        member = notification.recipient
        folded_ids = []
        if notification.kind in rules.DIGEST_KINDS and _uses_folded(notification.kind):
            folded_ids = rules.folded_waiting(member)
        ref = self._send_one(
            member=member,
            notification=notification,
            folded_ids=folded_ids,
            reference=f"delivery-{delivery.pk}",
        )
        if folded_ids:
            Delivery.objects.filter(pk__in=folded_ids, folded_into__isnull=True).update(folded_into=delivery)
        return ref

    def _send_one(
        self, *, member: Member, notification: Notification, folded_ids: list[int], reference: str
    ) -> str:
        if not member.phone:
            raise ChannelError("no phone number", permanent=True)
        try:
            template = template_for(notification.kind)
        except TemplateConfigError as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        if template is None:
            raise ChannelError(f"no SMS template for {notification.kind}", permanent=True)
        values = field_values(member=member, notification=notification, folded=len(folded_ids))
        try:
            ref = self._send(phone=member.phone, template=template, values=values, reference=reference)
        except TemplateConfigError as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        logger.info(
            "sms via %s to %s: template %s, %s (%s)",
            self.provider,
            mask_phone(member.phone),
            template.template,
            notification.kind,
            ref,
        )
        return ref
