"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25 SendSms) through the official Tea SDK.

Settings (settings.LIANHU_SMS, from the environment): ALIYUN_ACCESS_KEY_ID / ALIYUN_ACCESS_KEY_SECRET
(ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET), SIGN_NAME, TEMPLATES (named parameters: {"var": "field"});
ALIYUN_ENDPOINT and ALIYUN_PROTOCOL only to point the SDK elsewhere (the tests' local fake). The SDK signs
every request with ACS3-HMAC-SHA256 (Authorization header, x-acs-signature-nonce, x-acs-content-sha256).

Errors (SendSms error codes, https://www.alibabacloud.com/help/doc-detail/73694.htm and the
API error-code table of 短信服务):
business errors come back with HTTP 200 and Code != "OK"; gateway errors as HTTP 4xx/5xx, which the SDK
raises (ClientException / ServerException / ThrottlingException, each with a code). Retryable: frequency
control (isv.BUSINESS_LIMIT_CONTROL), system errors (isp.SYSTEM_ERROR, isp.GATEWAY_ERROR), Throttling*,
ServiceUnavailable, HTTP 429/5xx and network errors. Permanent: a bad number (isv.MOBILE_NUMBER_ILLEGAL),
a template or signature not approved (isv.SMS_TEMPLATE_ILLEGAL, isv.SMS_SIGNATURE_ILLEGAL), missing or bad
parameters (isv.TEMPLATE_MISSING_PARAMETERS, isv.INVALID_PARAMETERS, isv.INVALID_JSON_PARAM,
isv.PARAM_LENGTH_LIMIT, isv.PARAM_NOT_SUPPORT_URL), blacklisted words (isv.BLACK_KEY_CONTROL_LIMIT), the account
(isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE, isp.RAM_PERMISSION_DENY) and bad keys (InvalidAccessKeyId.*,
SignatureDoesNotMatch); the per-number daily limit (isv.DAY_LIMIT_CONTROL) too.
"""

from __future__ import annotations

import json

from django.conf import settings

from ..services import ChannelError
from .sms import TemplateSmsChannel
from .templates import SmsTemplate, params_named

RETRYABLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
    }
)


def is_retryable(code: str, status: int | None = None) -> bool:
    if status is not None and (status == 429 or status >= 500):
        return True
    return code in RETRYABLE_CODES or code.startswith("Throttling")


class AliyunSmsChannel(TemplateSmsChannel):
    provider = "aliyun"

    def _client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import utils_models

        conf = settings.LIANHU_SMS
        if not (conf.get("ALIYUN_ACCESS_KEY_ID") and conf.get("ALIYUN_ACCESS_KEY_SECRET")):
            raise ChannelError("Aliyun SMS is not configured", permanent=True)
        timeout_ms = int(conf.get("TIMEOUT_SECONDS", 10) * 1000)
        config = utils_models.Config(
            access_key_id=conf["ALIYUN_ACCESS_KEY_ID"],
            access_key_secret=conf["ALIYUN_ACCESS_KEY_SECRET"],
            endpoint=conf.get("ALIYUN_ENDPOINT") or "dysmsapi.aliyuncs.com",
            protocol=conf.get("ALIYUN_PROTOCOL", "https"),
            read_timeout=timeout_ms,
            connect_timeout=timeout_ms,
        )
        return Client(config)

    def _send(self, *, phone: str, template: SmsTemplate, values: dict[str, str], reference: str) -> str:
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        conf = settings.LIANHU_SMS
        client = self._client()
        request = models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=conf.get("SIGN_NAME", ""),
            template_code=template.template,
            template_param=json.dumps(params_named(template, values), ensure_ascii=False),
            out_id=reference or None,
        )
        try:
            # The backoff and retries are ours (notifications.services): the SDK tries once.
            response = client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except AlibabaCloudException as exc:
            code = exc.code or "Unknown"
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            raise ChannelError(
                f"aliyun {code} (HTTP {status or '-'})", permanent=not is_retryable(code, status)
            ) from None
        except Exception as exc:  # network: refused, timeouts, TLS; the SDK wraps them
            raise ChannelError(f"aliyun network error: {exc.__class__.__name__}") from None
        body = response.body
        if body is None or body.code != "OK":
            code = (body.code if body else None) or "Unknown"
            raise ChannelError(f"aliyun {code}", permanent=not is_retryable(code))
        return body.biz_id or ""
