"""Delivery receipts (回执) pushed by the SMS providers, applied to the delivery rows.

What each provider offers (docs/channels.md says the same):
- Tencent Cloud SMS: "短信下发状态通知" (https://cloud.tencent.com/document/api/382/5807,
  https://www.tencentcloud.com/zh/document/product/382/43547): a POST of a JSON array of {sid, mobile, report_status SUCCESS|FAIL, errmsg,
  description, user_receive_time} to the callback URL set in the console; answer {"result": 0, "errmsg": "OK"}.
  `sid` is the SerialNo that SendSms returned (Delivery.provider_ref).
- Alibaba Cloud SMS: "HTTP批量推送模式" of the SmsReport message (help.aliyun.com, 短信服务 > 开发参考 >
  SmsReport): a POST of a JSON array of {biz_id,
  phone_number, success, err_code, err_msg, report_time, out_id}; answer {"code": 0, "msg": "接收成功"}.
  (The other mode, an MNS queue, needs a queue consumer: not implemented.)
- WeCom app messages: no delivery receipt exists; the send answer's `invaliduser` is all there is.

Neither SMS provider signs these pushes (no signature header or field is documented for either). So the
verification is ours: the callback URL carries a secret token (LIANHU_SMS_RECEIPT_TOKEN, compared in constant
time; no token configured → the URLs answer 404), and an item only counts if its message id is one of our
deliveries on that channel *and* its phone number is that delivery's recipient's. Put the provider's source
ranges in the proxy's allow list too if the town's network team can.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from grids.validators import normalize_phone

from ..enums import Channel, DeliveryStatus
from ..models import Delivery

logger = logging.getLogger("notifications.channels")

MAX_ITEMS = 1000


def _local_digits(phone: str) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) > 11 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _when(text: str):
    parsed = parse_datetime((text or "").replace("/", "-")) if text else None
    if parsed is None:
        return timezone.now()
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def receipts_apply(*, items: list[dict]) -> int:
    """Apply normalized receipts [{ref, phone, ok, code, when}] to SMS deliveries. Returns how many changed.

    Queries: one select and one bulk update, whatever the number of items.
    """
    by_ref = {item["ref"]: item for item in items if item.get("ref")}
    if not by_ref:
        return 0
    rows = list(
        Delivery.objects.filter(
            channel=Channel.SMS,
            provider_ref__in=list(by_ref),
            status__in=[DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
            sent_at__isnull=False,
        ).select_related("notification__recipient")
    )
    changed = []
    for row in rows:
        item = by_ref[row.provider_ref]
        recipient_phone = normalize_phone(row.notification.recipient.phone)
        if not recipient_phone or _local_digits(item["phone"]) != _local_digits(recipient_phone):
            logger.warning("sms receipt for delivery %s ignored: the number does not match", row.pk)
            continue
        row.receipt_code = (item.get("code") or "")[:40]
        if item["ok"]:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = item["when"]
        else:
            row.status = DeliveryStatus.FAILED
            row.last_error = f"receipt: {item.get('code') or '-'} {item.get('detail') or ''}".strip()[:300]
        changed.append(row)
    Delivery.objects.bulk_update(changed, ["status", "receipt_code", "delivered_at", "last_error"])
    return len(changed)


def _check_token(token: str) -> None:
    expected = settings.LIANHU_SMS.get("RECEIPT_TOKEN") or ""
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404


def _json_list(request: HttpRequest) -> list[dict] | None:
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or len(data) > MAX_ITEMS or not all(isinstance(i, dict) for i in data):
        return None
    return data


def _receive(request: HttpRequest, token: str, *, provider: str, item, ok: dict, bad: dict) -> JsonResponse:
    """A provider's receipt callback: check the token, read the JSON list, map each entry with `item`,
    apply them; answer with the provider's own `ok` / `bad` bodies."""
    _check_token(token)
    data = _json_list(request)
    if data is None:
        return JsonResponse(bad, status=400)
    items = [item(i) for i in data]
    changed = receipts_apply(items=items)
    logger.info("%s sms receipts: %s received, %s applied", provider, len(items), changed)
    return JsonResponse(ok)


def _item(i: dict, *, ok: bool, ref: str, phone: str, code: str, detail: str, when: str) -> dict:
    """One provider entry as receipts_apply reads it; the other arguments name the provider's keys."""

    def text(key: str) -> str:
        return str(i.get(key) or "")

    return {
        "ref": text(ref),
        "phone": text(phone),
        "ok": ok,
        "code": text(code),
        "detail": text(detail)[:100],
        "when": _when(text(when)),
    }


def _tencent_item(i: dict) -> dict:
    return _item(
        i,
        ok=i.get("report_status") == "SUCCESS",
        ref="sid",
        phone="mobile",
        code="errmsg",
        detail="description",
        when="user_receive_time",
    )


def _aliyun_item(i: dict) -> dict:
    return _item(
        i,
        ok=i.get("success") is True or str(i.get("success")).lower() == "true",
        ref="biz_id",
        phone="phone_number",
        code="err_code",
        detail="err_msg",
        when="report_time",
    )


@csrf_exempt
@require_POST
def tencent_receipt(request: HttpRequest, token: str):
    return _receive(
        request,
        token,
        provider="tencent",
        item=_tencent_item,
        ok={"result": 0, "errmsg": "OK"},
        bad={"result": 1, "errmsg": "bad request body"},
    )


@csrf_exempt
@require_POST
def aliyun_receipt(request: HttpRequest, token: str):
    return _receive(
        request,
        token,
        provider="aliyun",
        item=_aliyun_item,
        ok={"code": 0, "msg": "接收成功"},
        bad={"code": 1, "msg": "bad request body"},
    )
