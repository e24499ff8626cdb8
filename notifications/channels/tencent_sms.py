"""Tencent Cloud SMS (腾讯云短信) through the official SDK, API 2021-01-11 SendSms.

Settings (settings.LIANHU_SMS, from the environment): TENCENT_SECRET_ID / TENCENT_SECRET_KEY
(TENCENTCLOUD_SECRET_ID / _KEY), TENCENT_SDK_APP_ID, TENCENT_REGION, SIGN_NAME, TEMPLATES; TENCENT_ENDPOINT and
TENCENT_PROTOCOL only to point the SDK elsewhere (the tests' local fake). The SDK signs every request with
TC3-HMAC-SHA256 (Authorization header).

Errors (https://cloud.tencent.com/document/api/382/55981 SendStatus.Code, the SMS error codes
https://cloud.tencent.com/document/api/382/59177 and the common ones https://cloud.tencent.com/document/api/382/52075): a request-level error raises TencentCloudSDKException;
a per-number failure comes back in SendStatusSet[].Code with HTTP 200. Retryable: frequency limits that pass
(LimitExceeded.PhoneNumberThirtySecondLimit / OneHourLimit, LimitExceeded.DeliveryFrequencyLimit,
RequestLimitExceeded*), InternalError.* (InternalError.Timeout, InternalError.OtherError...), the SDK's
ClientNetworkError / ServerNetworkError (network, HTTP 5xx). Everything else is permanent: a bad number
(InvalidParameterValue.IncorrectPhoneNumber), a template not approved or not matching
(FailedOperation.TemplateIncorrectOrUnapproved, InvalidParameterValue.TemplateParameterFormatError /
TemplateParameterLengthLimit), a signature not approved (FailedOperation.SignatureIncorrectOrUnapproved),
a number on the do-not-disturb list (FailedOperation.PhoneNumberInBlacklist), the per-number daily limit
(LimitExceeded.PhoneNumberDailyLimit: retrying within minutes cannot help), no balance, bad keys (AuthFailure.*).
Town staff can resend a failed delivery from the delivery page once the cause is fixed.
"""

from __future__ import annotations

from django.conf import settings

from ..services import ChannelError
from .sms import TemplateSmsChannel
from .templates import SmsTemplate, params_list

RETRYABLE_PREFIXES = (
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
    "RequestLimitExceeded",
    "InternalError",
    "ClientNetworkError",
    "ServerNetworkError",
)


def is_retryable(code: str) -> bool:
    return any(code == p or code.startswith(p + ".") for p in RETRYABLE_PREFIXES)


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else "+86" + phone


class TencentSmsChannel(TemplateSmsChannel):
    provider = "tencent"

    def _client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        conf = settings.LIANHU_SMS
        if not (
            conf.get("TENCENT_SECRET_ID")
            and conf.get("TENCENT_SECRET_KEY")
            and conf.get("TENCENT_SDK_APP_ID")
        ):
            raise ChannelError("Tencent SMS is not configured", permanent=True)
        http = HttpProfile(
            protocol=conf.get("TENCENT_PROTOCOL", "https"),
            endpoint=conf.get("TENCENT_ENDPOINT") or "sms.tencentcloudapi.com",
            reqTimeout=conf.get("TIMEOUT_SECONDS", 10),
        )
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        cred = credential.Credential(conf["TENCENT_SECRET_ID"], conf["TENCENT_SECRET_KEY"])
        return sms_client.SmsClient(cred, conf.get("TENCENT_REGION") or "ap-guangzhou", profile)

    def _send(self, *, phone: str, template: SmsTemplate, values: dict[str, str], reference: str) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        conf = settings.LIANHU_SMS
        client = self._client()
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [e164(phone)]
        request.SmsSdkAppId = conf["TENCENT_SDK_APP_ID"]
        request.SignName = conf.get("SIGN_NAME", "")
        request.TemplateId = template.template
        request.TemplateParamSet = params_list(template, values)
        request.SessionContext = reference
        try:
            response = client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "Unknown"
            # The message can echo the request (the number): keep the code and the request id only.
            raise ChannelError(
                f"tencent {code} (request {exc.get_request_id() or '-'})", permanent=not is_retryable(code)
            ) from None
        statuses = response.SendStatusSet or []
        if not statuses:
            raise ChannelError("tencent: empty SendStatusSet")
        status = statuses[0]
        if status.Code != "Ok":
            raise ChannelError(f"tencent {status.Code}", permanent=not is_retryable(status.Code or ""))
        return status.SerialNo or ""
